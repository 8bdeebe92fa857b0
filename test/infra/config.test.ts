import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  decodeConfigValue,
  decodeConfigValues,
  encodeConfigValue,
  loadStackConfig,
  parseStackConfig,
  parseStackConfigYaml,
  stacksWithConfig,
  withoutReleaseFields,
} from "../../infra/config.js";
import { ConfigError } from "../../infra/errors.js";
import { EXAMPLE_STACKS, exampleInput } from "./fixtures.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the cases break arbitrary nested fields of a parsed YAML document
type Mutable = Record<string, any>;

/** Parse a broken copy of an example config and return the problems it reports. */
function problemsOf(stack: string, mutate: (config: Mutable) => void): string[] {
  const input = structuredClone(exampleInput(stack)) as Mutable;
  mutate(input);
  try {
    parseStackConfig(input, `Pulumi.${stack}.yaml`);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail("the config was accepted");
}

describe("stack config schema", () => {
  for (const stack of EXAMPLE_STACKS) {
    it(`Pulumi.${stack}.yaml parses`, async () => {
      const config = await loadStackConfig(process.cwd(), stack);
      assert.equal(config.environment, stack);
    });
  }

  const cases: [string, string, (c: Mutable) => void, string][] = [
    [
      "a malformed instance class",
      "staging",
      (c) => {
        c.database.instanceClass = "r6g.large";
      },
      "Pulumi.staging.yaml: flightdeck:database.instanceClass: must be an RDS instance class like db.t4g.medium",
    ],
    [
      "production without deletion protection",
      "production",
      (c) => {
        c.database.deletionProtection = false;
      },
      "Pulumi.production.yaml: flightdeck:database.deletionProtection: must be true in production",
    ],
    [
      "production without Multi-AZ",
      "production",
      (c) => {
        c.database.multiAz = false;
      },
      "Pulumi.production.yaml: flightdeck:database.multiAz: must be true in production",
    ],
    [
      "production with short backups",
      "production",
      (c) => {
        c.database.backupRetentionDays = 3;
      },
      "Pulumi.production.yaml: flightdeck:database.backupRetentionDays: must be at least 7 days in production",
    ],
    [
      "production restoring a snapshot",
      "production",
      (c) => {
        c.database.snapshotIdentifier = "prod-copy";
      },
      "Pulumi.production.yaml: flightdeck:database.snapshotIdentifier: production never restores from a snapshot; remove it",
    ],
    [
      "two schedulers",
      "staging",
      (c) => {
        c.tiers.scheduler.desired = 2;
        c.tiers.scheduler.max = 2;
      },
      "Pulumi.staging.yaml: flightdeck:tiers.scheduler.max: the scheduler runs at most one instance (exactly one Celery beat); set max to 1",
    ],
    [
      "a scheduler that could scale",
      "staging",
      (c) => {
        c.tiers.scheduler.min = 0;
      },
      "Pulumi.staging.yaml: flightdeck:tiers.scheduler: min, desired and max must be equal: 1 runs Celery beat, 0 pauses it (got 0/1/1)",
    ],
    [
      "min above desired",
      "staging",
      (c) => {
        c.tiers.app.min = 3;
      },
      "Pulumi.staging.yaml: flightdeck:tiers.app: min <= desired <= max must hold (got min 3, desired 2, max 4)",
    ],
    [
      "a malformed snapshot id",
      "staging",
      (c) => {
        c.database.snapshotIdentifier = "1-bad_snapshot";
      },
      "Pulumi.staging.yaml: flightdeck:database.snapshotIdentifier: must be an RDS snapshot name (letters, digits, hyphens, starting with a letter) or a snapshot ARN",
    ],
    [
      "testing without a snapshot",
      "testing",
      (c) => {
        delete c.database.snapshotIdentifier;
      },
      "Pulumi.testing.yaml: flightdeck:database.snapshotIdentifier: is required outside production: testing restores its database from an anonymised snapshot",
    ],
    [
      "an unknown top-level key",
      "staging",
      (c) => {
        c.databse = {};
      },
      "Pulumi.staging.yaml: flightdeck:databse: is not a flightdeck option",
    ],
    [
      "an unknown nested key",
      "staging",
      (c) => {
        c.cache.nodes = 2;
      },
      "Pulumi.staging.yaml: flightdeck:cache: unknown option 'nodes'",
    ],
    [
      "a CIDR outside /16../24",
      "staging",
      (c) => {
        c.network.cidr = "10.20.0.0/8";
      },
      "Pulumi.staging.yaml: flightdeck:network.cidr: must be an IPv4 CIDR block with a prefix from /16 to /24, like 10.20.0.0/16",
    ],
    [
      "a network too small for its AZs",
      "staging",
      (c) => {
        c.network.cidr = "10.20.0.0/24";
        c.network.azs = 6;
      },
      "Pulumi.staging.yaml: flightdeck:network.cidr: a /24 network is too small for 6 availability zones (use /23 or larger)",
    ],
    [
      "a generated password",
      "staging",
      (c) => {
        c.database.passwordManagement = "generated";
      },
      "Pulumi.staging.yaml: flightdeck:database.passwordManagement: must be rds-managed (RDS keeps the master password in Secrets Manager; a password generated at each program run would change on every update)",
    ],
    [
      "a worker drain shorter than AWS allows",
      "staging",
      (c) => {
        c.deploy = { workerDrainSeconds: 10 };
      },
      "Pulumi.staging.yaml: flightdeck:deploy.workerDrainSeconds: must be at least 30 (the shortest lifecycle hook timeout AWS allows)",
    ],
    [
      "a domain without its zone",
      "staging",
      (c) => {
        delete c.dnsZone;
      },
      "Pulumi.staging.yaml: flightdeck:dnsZone: is required when domain is set: the certificate is validated in this Route 53 zone",
    ],
    [
      "previews without a preview domain",
      "previews",
      (c) => {
        delete c.preview.domain;
      },
      "Pulumi.previews.yaml: flightdeck:preview.domain: is required: each preview is served at https://<sha7>.<preview.domain>",
    ],
    [
      "previews with a database",
      "previews",
      (c) => {
        c.database = exampleInput("staging").database;
      },
      "Pulumi.previews.yaml: flightdeck:environment: a previews stack has no database, cache or tiers: each preview runs its own on one machine",
    ],
    [
      "a short commit SHA",
      "staging",
      (c) => {
        c.image = { commit: "abc1234" };
      },
      "Pulumi.staging.yaml: flightdeck:image.commit: must be a full 40-character lower-case commit SHA",
    ],
    [
      "a malformed region",
      "staging",
      (c) => {
        c.region = "useast1";
      },
      "Pulumi.staging.yaml: aws:region: must be an AWS region like us-east-1",
    ],
    [
      "a staging stack without a cache",
      "staging",
      (c) => {
        delete c.cache;
      },
      "Pulumi.staging.yaml: flightdeck:cache: is required for a staging environment",
    ],
  ];

  for (const [label, stack, mutate, message] of cases) {
    it(`rejects ${label}`, () => {
      assert.deepEqual(problemsOf(stack, mutate), [message]);
    });
  }

  it("reports every problem at once", () => {
    const problems = problemsOf("production", (c) => {
      c.database.multiAz = false;
      c.database.deletionProtection = false;
      c.tiers.app.min = 20;
    });
    assert.deepEqual(problems.sort(), [
      "Pulumi.production.yaml: flightdeck:database.deletionProtection: must be true in production",
      "Pulumi.production.yaml: flightdeck:database.multiAz: must be true in production",
      "Pulumi.production.yaml: flightdeck:tiers.app: min <= desired <= max must hold (got min 20, desired 3, max 12)",
    ]);
  });

  it("rejects YAML that does not parse, naming the file", () => {
    assert.throws(
      () => parseStackConfigYaml("config:\n  a: [1, 2\n", "Pulumi.staging.yaml"),
      (error: ConfigError) => {
        assert.equal(error.problems.length, 1);
        assert.match(error.problems[0] ?? "", /^Pulumi\.staging\.yaml: is not valid YAML: /);
        return true;
      },
    );
  });

  it("rejects a YAML document that is not a mapping with config", () => {
    assert.throws(() => parseStackConfigYaml("- 1\n", "Pulumi.staging.yaml"), {
      problems: ["Pulumi.staging.yaml: must be a YAML mapping with a 'config:' key"],
    });
    assert.throws(() => parseStackConfigYaml("config: 3\n", "Pulumi.staging.yaml"), {
      problems: ["Pulumi.staging.yaml: config: must be a mapping of Pulumi config keys"],
    });
  });

  it("decodes structured values Pulumi passes as JSON text", () => {
    const decoded = decodeConfigValues({
      "flightdeck:network": '{"cidr":"10.0.0.0/16","azs":2,"nat":"single"}',
      "flightdeck:environment": "staging",
      "flightdeck:tags": "{not json",
    });
    assert.deepEqual(decoded["flightdeck:network"], { cidr: "10.0.0.0/16", azs: 2, nat: "single" });
    assert.equal(decoded["flightdeck:environment"], "staging");
    assert.equal(decoded["flightdeck:tags"], "{not json");
  });

  it("lists the stacks that have a config file, dotted names included", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flightdeck-stacks-"));
    for (const f of ["Pulumi.yaml", "Pulumi.qa.eu.yaml", "Pulumi.staging.yaml", "notes.yaml"]) {
      writeFileSync(join(dir, f), "config: {}\n");
    }
    assert.deepEqual(await stacksWithConfig(dir), ["qa.eu", "staging"]);
    assert.deepEqual(await stacksWithConfig(join(dir, "missing")), []);
  });

  it("without the release fields, a config is what its committed file says", async () => {
    const committed = await loadStackConfig(process.cwd(), "staging");
    const released = parseStackConfig(
      {
        ...exampleInput("staging"),
        image: { commit: "a".repeat(40), amiId: "ami-0123456789abcdef0" },
        release: { actor: "alice@example.com", operation: "deploy", at: "2026-11-21T12:00:00.000Z" },
      },
      "Pulumi.staging.yaml",
    );
    const { image: _image, ...rest } = committed;
    assert.deepEqual(withoutReleaseFields(released), rest);
    assert.deepEqual(withoutReleaseFields(released), withoutReleaseFields(committed));
  });

  it("decodes every value as the engine side encoded it: one codec for the program and the automation layer", () => {
    const values = {
      network: { cidr: "10.0.0.0/16", azs: 2 },
      list: ["a"],
      on: true,
      count: 3,
      name: "staging",
    };
    const encoded = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, encodeConfigValue(v)]));
    assert.deepEqual(decodeConfigValues(encoded), values);
    assert.equal(decodeConfigValue(" [1, 2 "), " [1, 2 ", "text that is not JSON stays text");
  });
});

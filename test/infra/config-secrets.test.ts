import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import {
  loadStackConfigWithWarnings,
  parseStackConfig,
  parseStackConfigYaml,
  parseStackConfigYamlWithWarnings,
} from "../../infra/config.js";
import { ConfigError } from "../../infra/errors.js";
import { stackTags } from "../../infra/tags.js";
import { exampleInput } from "./fixtures.js";

const ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";
const PASSWORD = "hunter2-but-longer";

/** The staging example as a `Pulumi.staging.yaml`, with extra Pulumi keys. */
function stagingYaml(extra: Record<string, unknown>): string {
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(exampleInput("staging"))) {
    config[key === "region" ? "aws:region" : `flightdeck:${key}`] = value;
  }
  return stringify({ config: { ...config, ...extra } });
}

describe("secrets in a stack config", () => {
  it("warns about a secret-looking value in plain config, naming the key and never the value", () => {
    const text = stagingYaml({
      "flightdeck:tags": { team: "web", password: PASSWORD, owner: ACCESS_KEY_ID },
      "myapp:dbPassword": PASSWORD,
      "aws:secretKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "myapp:apiToken": { secure: "v1:AAAABBBBCCCC" },
      "myapp:settings": { nested: [{ note: `key ${ACCESS_KEY_ID}` }] },
    });
    const { config, warnings } = parseStackConfigYamlWithWarnings(text, "Pulumi.staging.yaml");
    assert.equal(config.environment, "staging");
    const keys = warnings.map((w) => /^Pulumi\.staging\.yaml: ([^ ]+): /.exec(w)?.[1]);
    assert.deepEqual(keys.sort(), [
      "aws:secretKey",
      "flightdeck:tags.owner",
      "flightdeck:tags.password",
      "myapp:dbPassword",
      "myapp:settings.nested.0.note",
    ]);
    for (const warning of warnings) {
      assert.ok(!warning.includes(PASSWORD) && !warning.includes(ACCESS_KEY_ID), warning);
      assert.ok(!warning.includes("wJalrXUtnFEMI"), warning);
      assert.match(warning, /plain text/);
      assert.match(warning, /Secrets Manager|SSM Parameter Store/);
    }
    const owner = warnings.find((w) => w.includes("flightdeck:tags.owner")) ?? "";
    assert.match(owner, /AWS access key id \(AKIA…\)/);
    assert.match(owner, /left out of the AWS tags/);
  });

  it("walks a value that refers to itself (a recursive YAML alias) once", function () {
    this.timeout(10_000);
    const text = stagingYaml({}).replace(
      "config:\n",
      "config:\n  myapp:loop: &loop\n    password: plain-text-secret\n    again: *loop\n",
    );
    const { warnings } = parseStackConfigYamlWithWarnings(text, "Pulumi.staging.yaml");
    assert.deepEqual(
      warnings.map((w) => w.split(": ")[1]),
      ["myapp:loop.password"],
    );
  });

  it("has no warnings for the example configs", async () => {
    for (const stack of ["production", "staging", "testing", "previews"]) {
      const { warnings } = await loadStackConfigWithWarnings(process.cwd(), stack);
      assert.deepEqual(warnings, [], stack);
    }
  });

  it("loads a file's warnings with its config", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flightdeck-secrets-"));
    writeFileSync(join(dir, "Pulumi.staging.yaml"), stagingYaml({ "myapp:password": PASSWORD }));
    const { config, warnings } = await loadStackConfigWithWarnings(dir, "staging");
    assert.equal(config.environment, "staging");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? "", /^Pulumi\.staging\.yaml: myapp:password: /);
  });

  it("never puts a secret-looking tag on AWS resources", () => {
    const config = parseStackConfig(
      {
        ...exampleInput("staging"),
        tags: { team: "web", password: PASSWORD, "api-token": "abc", owner: ACCESS_KEY_ID, cost: "x" },
      },
      "Pulumi.staging.yaml",
    );
    const tags = stackTags(config, "staging");
    assert.equal(tags.team, "web");
    assert.equal(tags.cost, "x");
    for (const key of ["password", "api-token", "owner"]) assert.equal(tags[key], undefined, key);
    assert.ok(!Object.values(tags).some((v) => v.includes(ACCESS_KEY_ID) || v.includes(PASSWORD)));
  });

  it("says where secrets go when a flightdeck key holds a secure: value", () => {
    const text = stagingYaml({
      "flightdeck:domain": { secure: "v1:AAAABBBBCCCC" },
      "flightdeck:tags": { apiKey: { secure: "v1:DDDDEEEE" } },
      "flightdeck:dbPassword": { secure: "v1:FFFF" },
    });
    assert.throws(
      () => parseStackConfigYaml(text, "Pulumi.staging.yaml"),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        const byKey = new Map(
          error.problems.map((p) => [/^Pulumi\.staging\.yaml: ([^ ]+): /.exec(p)?.[1], p]),
        );
        assert.deepEqual(
          [...byKey.keys()].sort(),
          ["flightdeck:dbPassword", "flightdeck:domain", "flightdeck:tags.apiKey"],
          error.problems.join("\n"),
        );
        for (const problem of error.problems) {
          assert.ok(!problem.includes("expected string, received object"), problem);
          assert.match(problem, /secure:/);
          assert.match(problem, /flightdeck does not decrypt/);
          assert.match(problem, /AWS Secrets Manager/);
          assert.match(problem, /aws ssm put-parameter --type SecureString/);
        }
        return true;
      },
    );
  });
});

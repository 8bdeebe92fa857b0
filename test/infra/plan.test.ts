import assert from "node:assert/strict";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { stacksWithConfig } from "../../infra/config.js";
import { UserError } from "../../infra/errors.js";
import {
  isSecretKey,
  mandatoryViolations,
  maskSecrets,
  type PlanDocument,
  planOffline,
} from "../../infra/plan.js";
import { SECRET_MASK } from "../../infra/resources.js";

const projectDir = process.cwd();
const COMMIT = "0123456789abcdef0123456789abcdef01234567";

/** Every value under a key that looks secret, anywhere in the document's resources. */
function secretLookingValues(doc: PlanDocument): unknown[] {
  const found: unknown[] = [];
  const walk = (value: unknown, key?: string) => {
    if (key !== undefined && isSecretKey(key)) found.push(value);
    if (Array.isArray(value)) for (const v of value) walk(v);
    else if (value !== null && typeof value === "object")
      for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  for (const r of doc.resources) walk(r.inputs);
  return found;
}

function assertWellFormed(doc: PlanDocument): void {
  assert.equal(doc.offline, true);
  assert.ok(doc.resources.length > 0);
  // One JSON document: nothing is lost or changed by serialising it.
  assert.deepEqual(JSON.parse(JSON.stringify(doc)), doc);
  assert.deepEqual(Object.keys(doc), ["stack", "commit", "offline", "resources", "cost", "policies"]);
  // `scheduled`: a preview's cost on its sleep schedule, beside the always-on figures.
  const costKeys = ["currency", "hourly", "daily", "monthly", "lines", "unpriced"];
  assert.deepEqual(
    Object.keys(doc.cost).filter((k) => k !== "scheduled"),
    costKeys,
  );
  for (const r of doc.resources) assert.deepEqual(Object.keys(r), ["type", "name", "parent", "inputs"]);
  const hourly = doc.cost.lines.reduce((sum, l) => sum + l.hourly, 0);
  assert.equal(doc.cost.hourly, hourly);
  assert.ok(doc.cost.hourly > 0);
  for (const value of secretLookingValues(doc))
    assert.ok(value === SECRET_MASK || typeof value === "boolean", String(value));
  assert.ok(!JSON.stringify(doc).includes(pulumi.runtime.specialSecretSig), "no Pulumi secret left unmasked");
}

describe("offline plan", function () {
  // Each plan runs the whole program under the mock runtime (about a second or two here).
  this.timeout(60_000);

  for (const stack of ["production", "staging", "testing", "previews"]) {
    it(`plans Pulumi.${stack}.yaml with every resource, its cost and no mandatory violation`, async () => {
      const doc = await planOffline({ projectDir, stack });
      assertWellFormed(doc);
      assert.equal(doc.stack, stack);
      assert.equal(doc.commit, null);
      assert.deepEqual(mandatoryViolations(doc), []);
      assert.deepEqual(doc.cost.unpriced, [], "every example resource is in the price table");
    });
  }

  it("plans a commit: the document and the commit tags name it", async () => {
    const doc = await planOffline({ projectDir, stack: "staging", commit: COMMIT });
    assert.equal(doc.commit, COMMIT);
    const tagged = doc.resources.filter(
      (r) => (r.inputs.tags as Record<string, unknown> | undefined)?.["flightdeck:commit"],
    );
    assert.ok(tagged.length > 5);
    for (const r of tagged)
      assert.equal((r.inputs.tags as Record<string, unknown>)["flightdeck:commit"], COMMIT);
    const db = doc.resources.find((r) => r.type === "aws:rds/instance:Instance");
    assert.equal(db?.parent, "staging-db");
  });

  it("plans a commit's preview: its own stack, no NAT gateway and no load balancer", async () => {
    const doc = await planOffline({
      projectDir,
      stack: "preview",
      commit: COMMIT,
      now: new Date("2026-01-01T00:00:00Z"),
    });
    assertWellFormed(doc);
    assert.equal(doc.stack, "preview-0123456");
    assert.equal(doc.commit, COMMIT);
    assert.deepEqual(mandatoryViolations(doc), []);
    const types = doc.resources.map((r) => r.type);
    assert.ok(!types.includes("awsx:ec2:Vpc"));
    assert.ok(!types.includes("aws:lb/loadBalancer:LoadBalancer"));
    assert.ok(!doc.cost.lines.some((l) => /NAT|ALB|NLB/.test(l.item) || l.unit === "load-balancer-hour"));
    assert.ok(
      doc.cost.lines.some((l) => l.unit === "instance-hour"),
      "the preview's own machine is priced",
    );
  });

  it("asks for the commit of a preview, in full", async () => {
    await assert.rejects(planOffline({ projectDir, stack: "preview" }), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /needs the commit/);
      assert.match(e.tryMessage ?? "", /--commit/);
      return true;
    });
    await assert.rejects(
      planOffline({ projectDir, stack: "preview", commit: "0123456" }),
      /full 40-character/,
    );
    await assert.rejects(planOffline({ projectDir, stack: "staging", commit: "main" }), /full 40-character/);
  });

  it("refuses an unknown stack, listing the stacks that have a config file", async () => {
    assert.deepEqual(await stacksWithConfig(projectDir), ["previews", "production", "staging", "testing"]);
    await assert.rejects(planOffline({ projectDir, stack: "prod" }), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /no stack 'prod'.*Pulumi\.prod\.yaml/);
      assert.match(e.tryMessage ?? "", /previews, production, staging, testing, preview --commit <SHA>/);
      return true;
    });
  });

  it("finds the stacks of another project directory, and plans only what it has", async () => {
    const dir = await mkdtemp(join(tmpdir(), "flightdeck-plan-"));
    try {
      await copyFile(join(projectDir, "Pulumi.testing.yaml"), join(dir, "Pulumi.qa.yaml"));
      assert.deepEqual(await stacksWithConfig(dir), ["qa"]);
      await assert.rejects(
        planOffline({ projectDir: dir, stack: "preview", commit: COMMIT }),
        /no stack 'preview'/,
      );
      const doc = await planOffline({ projectDir: dir, stack: "qa" });
      assert.equal(doc.stack, "qa");
      assert.ok(doc.resources.some((r) => r.name.startsWith("qa-")));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("plan document secrets", () => {
  const secret = (value: unknown) => ({
    [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
    value,
  });

  it("masks Pulumi secrets and values under secret-looking keys, at any depth", () => {
    const masked = maskSecrets({
      userData: secret("role=app\npassword=hunter2"),
      password: "hunter2",
      masterPassword: "hunter2",
      authToken: "abc",
      nested: { list: [{ clientSecret: "s3cr3t" }, secret(42)] },
      manageMasterUserPassword: true,
      metadataOptions: { httpTokens: "required" },
      unknown: undefined,
      name: "db",
    });
    assert.deepEqual(masked, {
      userData: SECRET_MASK,
      password: SECRET_MASK,
      masterPassword: SECRET_MASK,
      authToken: SECRET_MASK,
      nested: { list: [{ clientSecret: SECRET_MASK }, SECRET_MASK] },
      manageMasterUserPassword: true,
      metadataOptions: { httpTokens: "required" },
      name: "db",
    });
    assert.ok(!JSON.stringify(masked).includes("hunter2"));
  });

  it("keeps only mandatory findings as violations", () => {
    const doc = {
      policies: [
        { policy: "ebs-gp3", level: "advisory" as const, resource: "lt", message: "m" },
        { policy: "imdsv2-required", level: "mandatory" as const, resource: "lt", message: "m" },
      ],
    };
    assert.deepEqual(
      mandatoryViolations(doc).map((p) => p.policy),
      ["imdsv2-required"],
    );
  });
});

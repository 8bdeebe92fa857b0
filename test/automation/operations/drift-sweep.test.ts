/** drift, sweep and the dashboard's overview through the in-memory engine over a real git repository. */
import assert from "node:assert/strict";
import type { DriftReport, SweepResult } from "../../../automation/api.js";
import { configMapOf } from "../../../automation/config-map.js";
import { OperationFailedError } from "../../../automation/errors.js";
import type { Leftovers, TaggedResource } from "../../../automation/sweep/port.js";
import { ExitCode, UserError } from "../../../infra/errors.js";
import { Setup, type World, world } from "./world.js";

const REGION = "us-east-1";
const arn = (type: string, id: string) => `arn:aws:ec2:${REGION}:123456789012:${type}/${id}`;

/**
 * Test double of the leftovers port: a fixed list of tagged resources, and a
 * log of the deletes asked for (each may be made to fail).
 */
class FakeLeftovers implements Leftovers {
  deleted: string[] = [];
  constructor(
    readonly resources: TaggedResource[],
    readonly failing: Record<string, string> = {},
  ) {}
  async tagged(region: string, key: string): Promise<TaggedResource[]> {
    assert.equal(region, REGION);
    return this.resources.filter((r) => key in r.tags);
  }
  async delete(_region: string, target: string): Promise<void> {
    this.deleted.push(target);
    const failure = this.failing[target];
    if (failure) throw new Error(failure);
  }
}

const tagged = (resourceArn: string, stack: string): TaggedResource => ({
  arn: resourceArn,
  tags: { "flightdeck:stack": stack, "flightdeck:environment": "preview" },
});

describe("operations (memory engine)", function () {
  this.timeout(60_000);
  let w: World;

  before(() => {
    w = world();
  });

  describe("drift", () => {
    function seeded(s: Setup) {
      s.engine.seed("staging", { config: configMapOf({ environment: "staging" }), resourceCount: 3 });
      s.engine.seed("production", { config: configMapOf({ environment: "production" }), resourceCount: 2 });
      s.engine.seed("preview-abcdef0", { config: configMapOf({ environment: "preview" }), resourceCount: 2 });
    }

    it("reports what changed outside flightdeck, records each check, and fails with exit 1", async () => {
      const s = new Setup(w);
      seeded(s);
      s.engine.drift("staging", "r1", "update", ["tags", "ingress"]);
      s.engine.drift("staging", "r2", "delete");
      // A preview's drift is not checked by default: previews are not environments.
      s.engine.drift("preview-abcdef0", "r0", "delete");
      await assert.rejects(s.ops.drift({}), (error: unknown) => {
        assert.ok(error instanceof OperationFailedError);
        assert.equal(error.exitCode, ExitCode.failed);
        assert.match(
          error.message,
          /staging: flightdeck:seed:Resource r1: changed outside flightdeck \(ingress, tags\)/,
        );
        assert.match(error.message, /staging: flightdeck:seed:Resource r2: deleted outside flightdeck/);
        return true;
      });
      const report = s.lastResult().data as DriftReport;
      assert.deepEqual(
        report.stacks.map((r) => r.stack),
        ["production", "staging"],
      );
      assert.deepEqual(report.drifted, ["staging"]);
      assert.deepEqual(report.failed, []);
      const staging = report.stacks.find((r) => r.stack === "staging");
      assert.deepEqual(
        staging?.drifted.map((d) => [d.name, d.change, d.properties]),
        [
          ["r1", "update", ["ingress", "tags"]],
          ["r2", "delete", undefined],
        ],
      );
      // The same findings are kept beside the stacks, for the dashboard and the next run.
      const record = (await s.engine.records.list("staging", "drift")).last as DriftReport["stacks"][number];
      assert.equal(record.checkedAt, s.clock.toISOString());
      assert.deepEqual(
        record.drifted.map((d) => d.name),
        ["r1", "r2"],
      );
      const clean = (await s.engine.records.list("production", "drift")).last as { drifted: unknown[] };
      assert.deepEqual(clean.drifted, []);
      assert.deepEqual(await s.engine.records.list("preview-abcdef0", "drift"), {});
      // A refresh preview changes nothing: no update in history, and the drift is still there.
      assert.deepEqual(await s.engine.history("staging"), []);
      await assert.rejects(s.ops.drift({ envs: ["staging"] }), OperationFailedError);
    });

    it("passes (exit 0) once the state has taken the live resources over, for the named stacks only", async () => {
      const s = new Setup(w);
      seeded(s);
      s.engine.drift("staging", "r1", "update", ["tags"]);
      s.engine.drift("production", "r0", "update", ["size"]);
      await s.engine.refresh("staging");
      const report = await s.ops.drift({ envs: ["staging"] });
      assert.deepEqual(
        report.stacks.map((r) => [r.stack, r.drifted.length]),
        [["staging", 0]],
      );
      assert.equal(s.lastResult().ok, true);
      assert.equal(s.lastResult().exitCode, 0);
      assert.match(s.lastResult().summary, /no drift in 1 stack\(s\): staging/);
    });

    it("names an unknown environment (exit 2) before checking anything", async () => {
      const s = new Setup(w);
      seeded(s);
      await assert.rejects(s.ops.drift({ envs: ["staging", "qa"] }), (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.equal(error.exitCode, ExitCode.usage);
        assert.match(error.message, /'qa'/);
        assert.match(error.tryMessage ?? "", /production, staging/);
        return true;
      });
      assert.deepEqual(await s.engine.records.list("staging", "drift"), {});
    });

    it("a check that cannot run fails the operation and is recorded with its reason", async () => {
      const s = new Setup(w, {
        fail: (stack, kind) =>
          stack === "production" && kind === "refresh" ? "AccessDenied: ec2:Describe*" : undefined,
      });
      seeded(s);
      await assert.rejects(s.ops.drift({}), /the drift check failed in 1 stack\(s\): production/);
      const report = s.lastResult().data as DriftReport;
      assert.deepEqual(report.failed, ["production"]);
      const record = (await s.engine.records.list("production", "drift")).last as { error?: string };
      assert.match(record.error ?? "", /AccessDenied/);
    });
  });

  describe("sweep", () => {
    async function setUp() {
      const s0 = new Setup(w);
      s0.engine.seed("staging", { config: configMapOf({ environment: "staging" }), resourceCount: 2 });
      const known = (await s0.engine.resources("staging"))[0]?.id as string;
      const resources = [
        tagged(arn("vpc", "vpc-0dead"), "preview-dead000"),
        tagged(arn("subnet", "subnet-0dead"), "preview-dead000"),
        tagged(arn("security-group", "sg-0dead"), "preview-dead000"),
        tagged(`arn:aws:rds:${REGION}:123456789012:db:preview-dead000-db`, "preview-dead000"),
        tagged(arn("instance", "i-0stray"), "staging"),
        tagged(arn("subnet", known), "staging"),
      ];
      return { s0, resources, known };
    }

    it("dry run (the default): lists leftovers of gone stacks and those their state lacks, deletes nothing", async () => {
      const { s0, resources, known } = await setUp();
      const fake = new FakeLeftovers(resources);
      const s = new Setup(w, {}, { engine: s0.engine, leftovers: fake, env: { AWS_REGION: REGION } });
      const result = await s.ops.sweep({});
      assert.equal(result.dryRun, true);
      assert.deepEqual(fake.deleted, []);
      assert.deepEqual(
        result.leftovers.map((l) => [l.arn.split(":").pop(), l.reason, l.deletable]),
        [
          ["vpc/vpc-0dead", "stack-gone", true],
          ["subnet/subnet-0dead", "stack-gone", true],
          ["security-group/sg-0dead", "stack-gone", true],
          ["preview-dead000-db", "stack-gone", false],
          ["instance/i-0stray", "not-in-state", true],
        ],
      );
      // What the staging state holds is no leftover.
      assert.ok(!result.leftovers.some((l) => l.arn.endsWith(known)));
      assert.deepEqual(result.regions, [REGION]);
      assert.equal(s.lastResult().exitCode, 0);
    });

    it("--delete goes in dependency order, reports every failure (exit 1) and leaves other types to a person", async () => {
      const { s0, resources } = await setUp();
      const fake = new FakeLeftovers(resources, {
        [arn("security-group", "sg-0dead")]: "DependencyViolation: resource sg-0dead has a dependent object",
      });
      const s = new Setup(w, {}, { engine: s0.engine, leftovers: fake });
      await assert.rejects(s.ops.sweep({ delete: true, regions: [REGION] }), (error: unknown) => {
        assert.ok(error instanceof OperationFailedError);
        assert.equal(error.exitCode, ExitCode.failed);
        assert.match(error.message, /sg-0dead: DependencyViolation/);
        return true;
      });
      assert.deepEqual(fake.deleted, [
        arn("instance", "i-0stray"),
        arn("security-group", "sg-0dead"),
        arn("subnet", "subnet-0dead"),
        arn("vpc", "vpc-0dead"),
      ]);
      const result = s.lastResult().data as SweepResult;
      assert.deepEqual(
        result.failed.map((f) => f.arn),
        [arn("security-group", "sg-0dead")],
      );
      assert.equal(result.deleted.length, 3);
      assert.deepEqual(result.byHand, [`arn:aws:rds:${REGION}:123456789012:db:preview-dead000-db`]);
    });

    it("never judges the resources of a stack whose update is running", async () => {
      const { resources } = await setUp();
      const s = new Setup(w, { updateLatencyMs: 200 }, { leftovers: new FakeLeftovers(resources) });
      s.engine.seed("staging", { config: configMapOf({ environment: "staging" }), resourceCount: 2 });
      const running = s.engine.up("staging");
      const result = await s.ops.sweep({ regions: [REGION] });
      await running;
      assert.deepEqual(result.skipped, [{ stack: "staging", reason: "an update is running on it" }]);
      assert.ok(result.leftovers.every((l) => l.stack !== "staging"));
    });
  });

  describe("overview (the dashboard's rows)", () => {
    it("adds environments not deployed with their planned cost, commits behind, and the last drift check", async () => {
      const s = new Setup(
        w,
        {},
        { costPerDay: async (_stack, config) => (config.environment === "production" ? 120.5 : 10) },
      );
      await s.ops.deploy({ env: "testing", commit: w.c2 });
      await s.ops.deploy({ env: "staging", commit: w.c1 });
      s.engine.drift("staging", "app", "update", ["desiredCapacity"]);
      await s.ops.drift({ envs: ["staging"] }).catch(() => undefined);
      const rows = await s.ops.overview();
      const row = (stack: string) => rows.find((r) => r.stack === stack);
      assert.equal(row("production")?.notDeployed, true);
      assert.equal(row("production")?.environment, "production");
      assert.equal(row("production")?.costPerDayUsd, 120.5);
      assert.equal(row("previews")?.notDeployed, true);
      assert.equal(row("staging")?.notDeployed, undefined);
      // c1..c2 is one commit (`git rev-list --count`): staging lacks one of testing's.
      assert.deepEqual(row("staging")?.behind, { of: "testing", commits: 1 });
      assert.equal(row("testing")?.behind, undefined);
      assert.deepEqual(
        row("staging")?.drift?.drifted.map((d) => [d.name, d.properties]),
        [["app", ["desiredCapacity"]]],
      );
      assert.equal(row("testing")?.drift, undefined);
      assert.deepEqual(
        rows.map((r) => r.stack),
        ["production", "staging", "testing", "previews"],
      );
      // status itself is unchanged: only the stacks that exist, no extra fields.
      const status = await s.ops.status();
      assert.deepEqual(
        status.map((r) => r.stack),
        ["staging", "testing"],
      );
      assert.ok(status.every((r) => r.behind === undefined && r.drift === undefined));
    });
  });
});

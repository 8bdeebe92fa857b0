/** Every operation through the in-memory engine, over a real git repository holding the project's configs. */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ImageResolver, OperationDeps, Operations } from "../../automation/api.js";
import { configMapOf, recordedRelease } from "../../automation/config-map.js";
import { MemoryEngine, type MemoryEngineOptions } from "../../automation/engine/memory.js";
import {
  type RunOptions,
  StackLockedError,
  UpdateCancelledError,
  type UpdateRecord,
} from "../../automation/engine.js";
import { OperationFailedError } from "../../automation/errors.js";
import type { FlightdeckEvent, ResultEvent } from "../../automation/events.js";
import { createOperations } from "../../automation/operations.js";
import { GuardError, UserError } from "../../infra/errors.js";
import { ALICE, DAVE, projectRepo, type TempRepo } from "./helpers.js";

const RM = "release-managers@example.com";

/** Images by commit, counting lookups; `generation` changes every AMI id (a rebuilt image). */
class FakeImages implements ImageResolver {
  calls: string[] = [];
  generation = 0;
  async imageFor(commit: string): Promise<string> {
    this.calls.push(commit);
    return `ami-0${this.generation}${commit.slice(0, 15)}`;
  }
}

interface World {
  repo: TempRepo;
  c1: string;
  c2: string;
  feature: string;
}

function world(): World {
  const repo = projectRepo();
  const c1 = repo.commit(DAVE, "feature A");
  const c2 = repo.commit(ALICE, "feature B", "Paired.\n\nCo-authored-by: Bob <Bob@Example.com>");
  repo.git("checkout", "--quiet", "-b", "feature");
  const feature = repo.commit(DAVE, "unmerged work");
  repo.git("checkout", "--quiet", "main");
  return { repo, c1, c2, feature };
}

class Setup {
  readonly events: FlightdeckEvent[] = [];
  readonly images = new FakeImages();
  readonly engine: MemoryEngine;
  readonly ops: Operations;
  clock = new Date("2026-11-21T12:00:00.000Z");

  constructor(
    readonly w: World,
    engineOptions: MemoryEngineOptions = {},
    extra: Partial<OperationDeps> = {},
  ) {
    this.engine = extra.engine instanceof MemoryEngine ? extra.engine : new MemoryEngine(engineOptions);
    this.ops = createOperations({
      engine: this.engine,
      projectDir: w.repo.dir,
      images: this.images,
      onEvent: (e) => this.events.push(e),
      now: () => this.clock,
      env: {},
      ...extra,
    });
  }

  results(): ResultEvent[] {
    return this.events.filter((e): e is ResultEvent => e.type === "result");
  }

  lastResult(): ResultEvent {
    const r = this.results().at(-1);
    assert.ok(r, "no result event");
    return r;
  }
}

async function refusedBy(promise: Promise<unknown>, guard: string, pattern?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GuardError, `expected a GuardError, got ${String(error)}`);
    assert.equal(error.guard, guard);
    assert.equal(error.exitCode, 3);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

function recorded(record: UpdateRecord | undefined) {
  assert.ok(record, "no history record");
  return recordedRelease(record.config);
}

describe("operations (memory engine)", function () {
  this.timeout(60_000);
  let w: World;

  before(() => {
    w = world();
  });

  describe("deploy", () => {
    it("deploys a commit, recording commit, image and actor in the stack", async () => {
      const s = new Setup(w);
      const result = await s.ops.deploy({
        env: "staging",
        commit: w.c1.slice(0, 8),
        actor: "dave@example.com",
      });
      assert.equal(result.stack, "staging");
      assert.equal(result.commit, w.c1);
      assert.equal(result.imageId, `ami-00${w.c1.slice(0, 15)}`);
      assert.equal(result.url, "https://staging.example.com");
      assert.equal(result.actor, "dave@example.com");
      const [last] = await s.engine.history("staging");
      assert.equal(last?.result, "succeeded");
      const r = recorded(last);
      assert.equal(r.commit, w.c1);
      assert.equal(r.imageId, result.imageId);
      assert.deepEqual(r.release, {
        actor: "dave@example.com",
        operation: "deploy",
        at: s.clock.toISOString(),
      });
      assert.match(last?.message ?? "", /flightdeck deploy [0-9a-f]{7} by dave@example.com/);
      assert.deepEqual(s.lastResult().data, result);
      assert.equal(s.lastResult().exitCode, 0);
    });

    it("defaults to HEAD and takes the actor from git's user.email", async () => {
      const s = new Setup(w);
      const result = await s.ops.deploy({ env: "testing" });
      assert.equal(result.commit, w.c2);
      assert.equal(result.actor, "ci@example.com");
    });

    it("refuses an unknown environment, listing the known ones (exit 2)", async () => {
      const s = new Setup(w);
      await assert.rejects(s.ops.deploy({ env: "qa", actor: RM }), (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.equal(error.exitCode, 2);
        assert.match(error.message, /unknown environment 'qa'/);
        assert.equal(error.tryMessage, "Known environments: previews, production, staging, testing.");
        return true;
      });
      assert.equal(s.lastResult().exitCode, 2);
    });

    it("refuses an unknown commit, naming it", async () => {
      const s = new Setup(w);
      await assert.rejects(s.ops.deploy({ env: "staging", commit: "nope", actor: RM }), /'nope'/);
    });

    it("fails with exit 1 and a recorded failed update when the engine fails", async () => {
      const s = new Setup(w, {
        fail: (stack) => (stack === "staging" ? "instance refresh failed" : undefined),
      });
      await assert.rejects(s.ops.deploy({ env: "staging", actor: RM }), /instance refresh failed/);
      assert.equal(s.lastResult().exitCode, 1);
      assert.equal((await s.engine.history("staging"))[0]?.result, "failed");
      assert.ok(s.events.some((e) => e.type === "resource" && e.status === "failed"));
      assert.ok(s.events.some((e) => e.type === "diagnostic" && e.severity === "error"));
    });
  });

  describe("production guards", () => {
    it("allows an allowed deployer who wrote none of the commits, from main, on a clean tree", async () => {
      const s = new Setup(w);
      const result = await s.ops.deploy({ env: "production", commit: w.c1, actor: RM });
      assert.equal(result.commit, w.c1);
      const guards = s.events.filter((e) => e.type === "guard");
      assert.deepEqual(
        guards.map((g) => (g.type === "guard" ? [g.guard, g.allowed] : [])),
        [
          ["allowed-branch", true],
          ["clean-tree", true],
          ["allowed-deployer", true],
          ["separation-of-duties", true],
        ],
      );
    });

    it("refuses a deployer who is not allowed", async () => {
      const s = new Setup(w);
      await refusedBy(
        s.ops.deploy({ env: "production", commit: w.c1, actor: "mallory@example.com" }),
        "allowed-deployer",
      );
      assert.equal(s.lastResult().exitCode, 3);
      assert.equal(s.engine.has("production"), false, "nothing was touched");
    });

    it("refuses an author, and a co-author, of a commit being released; allows someone else", async () => {
      const s = new Setup(w);
      await s.ops.deploy({ env: "production", commit: w.c1, actor: RM });
      // Production runs c1; releasing c2 (Alice, co-authored by Bob).
      await refusedBy(
        s.ops.deploy({ env: "production", commit: w.c2, actor: "alice@example.com" }),
        "separation-of-duties",
        /alice@example.com wrote/,
      );
      await refusedBy(
        s.ops.deploy({ env: "production", commit: w.c2, actor: "bob@example.com" }),
        "separation-of-duties",
        /bob@example.com wrote or co-wrote/,
      );
      assert.equal((await s.engine.history("production")).length, 1, "refusals leave no update");
      // The release managers wrote none of it.
      const result = await s.ops.deploy({ env: "production", commit: w.c2, actor: RM });
      assert.equal(result.commit, w.c2);
    });

    it("refuses a commit that is not on main", async () => {
      const s = new Setup(w);
      await refusedBy(
        s.ops.deploy({ env: "production", commit: "feature", actor: RM }),
        "allowed-branch",
        /not reachable from main/,
      );
    });

    it("refuses a dirty tree", async () => {
      const s = new Setup(w);
      w.repo.write(
        "Pulumi.production.yaml",
        `${readFileSync(join(w.repo.dir, "Pulumi.production.yaml"), "utf8")}# edited\n`,
      );
      try {
        await refusedBy(
          s.ops.deploy({ env: "production", commit: w.c1, actor: RM }),
          "clean-tree",
          /Pulumi.production.yaml/,
        );
      } finally {
        w.repo.git("checkout", "--", "Pulumi.production.yaml");
      }
    });
  });

  describe("promote", () => {
    it("deploys exactly the image and commit the source runs, recording where it came from", async () => {
      const s = new Setup(w);
      const staged = await s.ops.deploy({ env: "staging", commit: w.c1, actor: "dave@example.com" });
      s.images.generation = 1; // a rebuilt image for the same commit must not be picked up
      const lookups = s.images.calls.length;
      const promoted = await s.ops.promote({ from: "staging", to: "production", actor: RM });
      assert.equal(promoted.commit, staged.commit);
      assert.equal(promoted.imageId, staged.imageId);
      assert.equal(s.images.calls.length, lookups, "no image lookup on promote");
      const r = recorded((await s.engine.history("production"))[0]);
      assert.equal(r.imageId, staged.imageId);
      assert.deepEqual(r.release, {
        actor: RM,
        operation: "promote",
        at: s.clock.toISOString(),
        from: "staging",
      });
    });

    it("refuses when the source's last update failed", async () => {
      let failStaging = false;
      const s = new Setup(w, {
        fail: (stack) => (failStaging && stack === "staging" ? "broken" : undefined),
      });
      await s.ops.deploy({ env: "staging", commit: w.c1, actor: RM });
      failStaging = true;
      await assert.rejects(s.ops.deploy({ env: "staging", commit: w.c2, actor: RM }));
      await refusedBy(
        s.ops.promote({ from: "staging", to: "production", actor: RM }),
        "promote-source",
        /ended failed/,
      );
    });

    it("still applies the target's protection", async () => {
      const s = new Setup(w);
      await s.ops.deploy({ env: "staging", commit: w.c1, actor: RM });
      await refusedBy(
        s.ops.promote({ from: "staging", to: "production", actor: "mallory@example.com" }),
        "allowed-deployer",
      );
    });
  });

  describe("rollback", () => {
    it("redeploys the image recorded when the commit last ran successfully", async () => {
      const s = new Setup(w);
      const first = await s.ops.deploy({ env: "staging", commit: w.c1, actor: RM });
      await s.ops.deploy({ env: "staging", commit: w.c2, actor: RM });
      s.images.generation = 2;
      const lookups = s.images.calls.length;
      const back = await s.ops.rollback({ env: "staging", commit: w.c1.slice(0, 7), actor: RM });
      assert.equal(back.commit, w.c1);
      assert.equal(back.imageId, first.imageId);
      assert.equal(s.images.calls.length, lookups, "no image lookup on rollback");
      const r = recorded((await s.engine.history("staging"))[0]);
      assert.equal(r.release?.operation, "rollback");
      assert.equal(r.imageId, first.imageId);
    });

    it("refuses a commit that never ran successfully there", async () => {
      const s = new Setup(w);
      await s.ops.deploy({ env: "staging", commit: w.c1, actor: RM });
      await refusedBy(
        s.ops.rollback({ env: "staging", commit: w.c2, actor: RM }),
        "rollback-history",
        /never deployed/,
      );
    });
  });

  describe("previews", () => {
    it("creates, lists, expires and removes a commit's preview", async () => {
      const s = new Setup(w);
      const up = await s.ops.previewUp({ commit: w.c2, actor: "alice@example.com" });
      const stack = `preview-${w.c2.slice(0, 7)}`;
      assert.equal(up.stack, stack);
      assert.equal(up.url, `https://${w.c2.slice(0, 7)}.preview.example.com`);
      const r = recorded((await s.engine.history(stack))[0]);
      assert.deepEqual(r.previewMeta, {
        commit: w.c2,
        branch: "main",
        author: "alice@example.com",
        createdAt: "2026-11-21T12:00:00.000Z",
        expiresAt: "2026-11-23T12:00:00.000Z",
      });
      assert.equal(r.release?.operation, "preview");

      let list = await s.ops.previewList();
      assert.deepEqual(
        list.map((p) => [p.stack, p.expired, p.url]),
        [[stack, false, up.url]],
      );
      s.clock = new Date("2026-11-23T13:00:00.000Z");
      list = await s.ops.previewList();
      assert.equal(list[0]?.expired, true);

      const down = await s.ops.previewDown({ ref: w.c2.slice(0, 9) });
      assert.equal(down.stack, stack);
      assert.equal(s.engine.has(stack), false);
      assert.deepEqual(await s.ops.previewList(), []);
    });

    it("takes the TTL given, and keeps the creation time when run again", async () => {
      const s = new Setup(w);
      await s.ops.previewUp({ commit: w.c1, ttl: "2h", actor: RM });
      s.clock = new Date("2026-11-21T13:00:00.000Z");
      await s.ops.previewUp({ commit: w.c1, ttl: "2h", actor: RM });
      const [p] = await s.ops.previewList();
      assert.equal(p?.createdAt, "2026-11-21T12:00:00.000Z");
      assert.equal(p?.expiresAt, "2026-11-21T15:00:00.000Z");
      await assert.rejects(s.ops.previewUp({ commit: w.c1, ttl: "soon", actor: RM }), /not a duration/);
    });
  });

  describe("reap", () => {
    const sha = (n: number) =>
      `${n}`.padStart(7, "0").replace(/\d/g, (d) => "abcdef0123"[Number(d)] as string) + "f".repeat(33);

    function seedPreview(engine: MemoryEngine, n: number, createdAt: string, expiresAt: string): string {
      const commit = sha(n);
      const stack = `preview-${commit.slice(0, 7)}`;
      engine.seed(stack, {
        config: configMapOf({
          environment: "preview",
          image: { commit, amiId: "ami-0123456789abcdef0" },
          previewMeta: { commit, createdAt, expiresAt },
        }),
        resourceCount: 3,
      });
      return stack;
    }

    it("destroys and removes expired previews, lists every failure, and fails (exit 1)", async () => {
      const broken = [`preview-${sha(2).slice(0, 7)}`, `preview-${sha(4).slice(0, 7)}`];
      const s = new Setup(w, {
        destroyLatencyMs: 5,
        fail: (stack, kind) =>
          kind === "destroy" && broken.includes(stack) ? `DependencyViolation in ${stack}` : undefined,
      });
      const expired = [1, 2, 3, 4].map((n) =>
        seedPreview(s.engine, n, "2026-11-19T00:00:00.000Z", "2026-11-20T00:00:00.000Z"),
      );
      const alive = seedPreview(s.engine, 5, "2026-11-21T00:00:00.000Z", "2026-11-22T00:00:00.000Z");
      s.engine.seed("staging", { config: configMapOf({ environment: "staging" }), resourceCount: 3 });
      await assert.rejects(s.ops.reap({}), (error: unknown) => {
        assert.ok(error instanceof OperationFailedError);
        assert.equal(error.exitCode, 1);
        for (const stack of broken)
          assert.match(error.message, new RegExp(`${stack}: .*DependencyViolation`));
        return true;
      });
      const data = s.lastResult().data as {
        destroyed: string[];
        failed: { stack: string }[];
        candidates: string[];
      };
      assert.deepEqual([...data.candidates].sort(), [...expired].sort());
      assert.deepEqual([...data.destroyed].sort(), [expired[0], expired[2]].sort());
      assert.deepEqual(data.failed.map((f) => f.stack).sort(), [...broken].sort());
      assert.equal(s.lastResult().exitCode, 1);
      for (const stack of broken) {
        assert.equal(s.engine.has(stack), true, "a failed destroy keeps its stack for the next reap");
        assert.equal((await s.engine.history(stack))[0]?.result, "failed");
      }
      for (const stack of [expired[0], expired[2]]) assert.equal(s.engine.has(stack as string), false);
      assert.equal(s.engine.has(alive), true);
      assert.equal(s.engine.has("staging"), true);
      const items = s.events.filter((e) => e.type === "item" && e.status === "failed");
      assert.equal(items.length, 2);
    });

    it("lists without touching anything on a dry run, and honours --older-than", async () => {
      const s = new Setup(w);
      const old = seedPreview(s.engine, 6, "2026-11-20T00:00:00.000Z", "2026-11-25T00:00:00.000Z");
      const young = seedPreview(s.engine, 7, "2026-11-21T11:00:00.000Z", "2026-11-25T00:00:00.000Z");
      const dry = await s.ops.reap({ dryRun: true, olderThan: "1d" });
      assert.deepEqual(dry.candidates, [old]);
      assert.deepEqual(dry.destroyed, []);
      assert.equal(s.engine.has(old), true);
      assert.deepEqual((await s.engine.history(old)).length, 0, "nothing ran");
      const real = await s.ops.reap({ olderThan: "1d" });
      assert.deepEqual(real.destroyed, [old]);
      assert.equal(s.engine.has(old), false);
      assert.equal(s.engine.has(young), true);
    });

    it("never runs more destroys at once than the concurrency", async () => {
      const s = new Setup(w, { destroyLatencyMs: 20 });
      for (let n = 10; n < 19; n++)
        seedPreview(s.engine, n, "2026-11-19T00:00:00.000Z", "2026-11-20T00:00:00.000Z");
      let inFlight = 0;
      let most = 0;
      const destroy = s.engine.destroy.bind(s.engine);
      s.engine.destroy = async (stack: string, o?: RunOptions) => {
        inFlight++;
        most = Math.max(most, inFlight);
        try {
          return await destroy(stack, o);
        } finally {
          inFlight--;
        }
      };
      const result = await s.ops.reap({ concurrency: 3 });
      assert.equal(result.destroyed.length, 9);
      assert.equal(most, 3);
    });
  });

  describe("locks and cancellation", () => {
    it("reports a locked stack with its holder (exit 4)", async () => {
      // Long enough that the second deploy reaches the engine while the first still holds the lock.
      const s = new Setup(w, { updateLatencyMs: 2_000, holder: "carol@ci-runner (pid 77)" });
      const started = new Promise<void>((resolve) => {
        s.events.push = (...items: FlightdeckEvent[]) => {
          for (const e of items) if (e.type === "resource" && e.status === "started") resolve();
          return Array.prototype.push.apply(s.events, items);
        };
      });
      const first = s.ops.deploy({ env: "staging", commit: w.c1, actor: RM });
      await started;
      const second = s.ops.deploy({ env: "staging", commit: w.c2, actor: RM });
      await assert.rejects(second, (error: unknown) => {
        assert.ok(error instanceof StackLockedError);
        assert.equal(error.exitCode, 4);
        assert.equal(error.holder, "carol@ci-runner (pid 77)");
        assert.match(error.message, /locked by another update by carol@ci-runner \(pid 77\) since /);
        return true;
      });
      assert.equal(s.lastResult().exitCode, 4);
      await first;
      assert.equal((await s.engine.history("staging")).length, 1);
    });

    it("cancels a running update through the engine and reports what it left (exit 130)", async () => {
      const controller = new AbortController();
      const s = new Setup(w, { updateLatencyMs: 5_000 }, { signal: controller.signal });
      s.events.push = (...items: FlightdeckEvent[]) => {
        for (const e of items) if (e.type === "resource" && e.status === "started") controller.abort();
        return Array.prototype.push.apply(s.events, items);
      };
      const t0 = Date.now();
      await assert.rejects(s.ops.deploy({ env: "staging", commit: w.c1, actor: RM }), UpdateCancelledError);
      assert.ok(Date.now() - t0 < 4_000, "it did not wait for the update to finish");
      const result = s.lastResult();
      assert.equal(result.exitCode, 130);
      assert.equal(result.ok, false);
      const step = s.events.find((e) => e.type === "step" && /cancelled/.test(e.message));
      assert.ok(step && step.type === "step");
      assert.match(step.message, /recorded as failed/);
      assert.equal((await s.engine.history("staging"))[0]?.result, "failed");
    });

    it("touches nothing when cancelled before the update starts", async () => {
      const controller = new AbortController();
      controller.abort();
      const s = new Setup(w, {}, { signal: controller.signal });
      await assert.rejects(s.ops.deploy({ env: "staging", commit: w.c1, actor: RM }), UpdateCancelledError);
      assert.equal(s.engine.has("staging"), false);
    });
  });

  describe("status and history", () => {
    it("builds the deployment matrix with cost, and each environment's history", async () => {
      const s = new Setup(
        w,
        {},
        {
          costPerDay: async (stack, config) =>
            config.environment === "production" ? 120.5 : stack === "staging" ? 40 : undefined,
        },
      );
      await s.ops.deploy({ env: "staging", commit: w.c1, actor: "dave@example.com" });
      await s.ops.promote({ from: "staging", to: "production", actor: RM });
      await s.ops.previewUp({ commit: w.c2, actor: RM });
      s.clock = new Date("2026-11-22T12:00:00.000Z");
      const rows = await s.ops.status();
      assert.deepEqual(
        rows.map((r) => [
          r.stack,
          r.environment,
          r.commit,
          r.lastUpdate?.result,
          r.lastUpdate?.actor,
          r.costPerDayUsd,
        ]),
        [
          ["production", "production", w.c1, "succeeded", RM, 120.5],
          ["staging", "staging", w.c1, "succeeded", "dave@example.com", 40],
          [`preview-${w.c2.slice(0, 7)}`, "preview", w.c2, "succeeded", RM, undefined],
        ],
      );
      const preview = rows[2];
      assert.equal(preview?.branch, "main");
      assert.equal(preview?.msLeft, 24 * 3_600_000);
      assert.equal(rows[0]?.url, "https://app.example.com");
      assert.equal(rows[0]?.imageId, rows[1]?.imageId);

      const history = await s.ops.history({ env: "production" });
      assert.equal(history.length, 1);
      assert.deepEqual(
        {
          commit: history[0]?.commit,
          imageId: history[0]?.imageId,
          actor: history[0]?.actor,
          result: history[0]?.result,
        },
        { commit: w.c1, imageId: rows[1]?.imageId, actor: RM, result: "succeeded" },
      );
      assert.equal(typeof history[0]?.durationMs, "number");
      await assert.rejects(s.ops.history({ env: "nowhere" }), /does not exist/);
    });
  });

  describe("status with an unreadable stack", () => {
    it("still lists every stack, and reports the one it could not read", async () => {
      const s = new Setup(w);
      s.engine.seed("staging", { config: configMapOf({ environment: "staging" }) });
      s.engine.seed("legacy", {});
      const history = s.engine.history.bind(s.engine);
      s.engine.history = async (stack: string, limit?: number) => {
        if (stack === "legacy") throw new Error("backend read timed out");
        return history(stack, limit);
      };
      const rows = await s.ops.status();
      assert.deepEqual(
        rows.map((r) => [r.stack, r.environment]),
        [
          ["staging", "staging"],
          ["legacy", "unknown"],
        ],
      );
      const failed = s.events.find((e) => e.type === "item" && e.status === "failed");
      assert.ok(failed?.type === "item");
      assert.equal(failed.stack, "legacy");
      assert.match(failed.message ?? "", /timed out/);
      assert.equal(s.lastResult().exitCode, 0);
    });
  });

  describe("plan", () => {
    it("previews through the engine and applies the offline plan's cost and policies", async () => {
      const s = new Setup(w);
      const plan = (await s.ops.plan({ stack: "staging", commit: w.c1 })) as {
        stack: string;
        commit: string;
        cost: unknown;
        policies: unknown[];
        engine: { changes: Record<string, number> };
      };
      assert.equal(plan.stack, "staging");
      assert.equal(plan.commit, w.c1);
      assert.ok(plan.cost && typeof plan.cost === "object");
      assert.ok(Array.isArray(plan.policies));
      assert.ok((plan.engine.changes.create ?? 0) > 0);
      assert.equal((await s.engine.history("staging")).length, 0, "a plan changes nothing");
    });

    it("leaves no planned image behind: status of a stack never deployed shows no commit", async () => {
      const s = new Setup(w);
      await s.ops.plan({ stack: "staging", commit: w.c1 });
      const [row] = await s.ops.status();
      assert.equal(row?.stack, "staging");
      assert.equal(row?.commit, undefined, "nothing ran on staging");
      assert.equal(row?.imageId, undefined);
      // A stack that runs a commit keeps showing it after a plan of another one.
      await s.ops.deploy({ env: "staging", commit: w.c1, actor: RM });
      const running = (await s.engine.getConfig("staging"))["flightdeck:image"];
      await s.ops.plan({ stack: "staging", commit: w.c2 });
      assert.deepEqual((await s.engine.getConfig("staging"))["flightdeck:image"], running);
      assert.equal((await s.ops.status())[0]?.commit, w.c1);
    });

    it("plans a preview from its own stack config, read once, and plans the commit it serves", async () => {
      const s = new Setup(w);
      await s.ops.previewUp({ commit: w.c1, actor: RM });
      const stack = `preview-${w.c1.slice(0, 7)}`;
      const before = await s.engine.getConfig(stack);
      let reads = 0;
      const getConfig = s.engine.getConfig.bind(s.engine);
      s.engine.getConfig = (name: string) => {
        reads++;
        return getConfig(name);
      };
      const plan = (await s.ops.plan({ stack })) as { stack: string; commit: string };
      assert.equal(plan.stack, stack);
      assert.equal(plan.commit, w.c1);
      assert.equal(reads, 1, "one config read serves the schema check and what the stack records");
      assert.deepEqual(await getConfig(stack), before, "a plan changes nothing");
    });
  });

  describe("event stream", () => {
    it("starts with start, ends in exactly one result, and is written to a JSON-lines log", async () => {
      const fresh = world();
      const s = new Setup(fresh);
      await s.ops.deploy({ env: "staging", commit: fresh.c1, actor: RM });
      await assert.rejects(
        s.ops.deploy({ env: "production", commit: fresh.c1, actor: "mallory@example.com" }),
      );
      const byOperation: FlightdeckEvent[][] = [];
      for (const e of s.events) {
        if (e.type === "start") byOperation.push([]);
        byOperation.at(-1)?.push(e);
      }
      assert.equal(byOperation.length, 2);
      for (const stream of byOperation) {
        assert.equal(stream[0]?.type, "start");
        assert.equal(stream.filter((e) => e.type === "result").length, 1);
        assert.equal(stream.at(-1)?.type, "result");
        const start = stream[0];
        assert.ok(start?.type === "start" && start.logFile);
        const lines = readFileSync(start.logFile, "utf8").trimEnd().split("\n");
        assert.deepEqual(
          lines.map((l) => JSON.parse(l)),
          JSON.parse(JSON.stringify(stream)),
        );
        assert.match(
          start.logFile,
          /\.flightdeck\/logs\/2026-11-21T12-00-00-000Z-deploy-(staging|production)\.jsonl$/,
        );
      }
      const refused = byOperation[1]?.at(-1);
      assert.ok(refused?.type === "result");
      assert.deepEqual([refused.ok, refused.exitCode, refused.error?.name], [false, 3, "GuardError"]);
      assert.ok(byOperation[1]?.some((e) => e.type === "guard" && !e.allowed));
    });

    it("writes logs where logDir says", async () => {
      const logDir = mkdtempSync(join(tmpdir(), "flightdeck-logs-"));
      const s = new Setup(w, {}, { logDir });
      await s.ops.status();
      assert.deepEqual(readdirSync(logDir), ["2026-11-21T12-00-00-000Z-status-all.jsonl"]);
    });

    it("keeps the tree clean (logs and work files stay under the ignored .flightdeck/)", async () => {
      assert.equal(w.repo.git("status", "--porcelain"), "");
    });
  });
});

/** reap through the in-memory engine. */
import assert from "node:assert/strict";
import { configMapOf } from "../../../automation/config-map.js";
import type { MemoryEngine } from "../../../automation/engine/memory.js";
import type { RunOptions } from "../../../automation/engine.js";
import { OperationFailedError } from "../../../automation/errors.js";
import { Setup, type World, world } from "./world.js";

describe("operations (memory engine)", function () {
  this.timeout(60_000);
  let w: World;

  before(() => {
    w = world();
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
});

/** Running engine updates: locks and cancellation, through the in-memory engine. */
import assert from "node:assert/strict";
import { StackLockedError, UpdateCancelledError } from "../../../automation/engine.js";
import type { FlightdeckEvent } from "../../../automation/events.js";
import { RM, Setup, type World, world } from "./world.js";

describe("operations (memory engine)", function () {
  this.timeout(60_000);
  let w: World;

  before(() => {
    w = world();
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
});

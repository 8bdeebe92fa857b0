/** status and history through the in-memory engine over a real git repository. */
import assert from "node:assert/strict";
import { configMapOf } from "../../../automation/config-map.js";
import { pipelineStepBy, Setup, UUID, type World, world } from "./world.js";

/** Rita's Bitbucket identity (a pipeline step), and git's user.email at a terminal (unverified). */
const RITA = `bitbucket:${UUID.rita}`;
const GIT = "ci@example.com";

describe("operations (memory engine)", function () {
  this.timeout(60_000);
  let w: World;

  before(() => {
    w = world();
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
      await s.ops.deploy({ env: "staging", commit: w.c1 });
      await s.runAs(pipelineStepBy("rita")).ops.promote({ from: "staging", to: "production" });
      await s.runAs({}).ops.previewUp({ commit: w.c2 });
      s.clock = new Date("2026-11-22T12:00:00.000Z");
      const rows = await s.ops.status();
      assert.deepEqual(
        rows.map((r) => [
          r.stack,
          r.environment,
          r.commit,
          r.lastUpdate?.result,
          r.lastUpdate?.actor,
          r.lastUpdate?.actorVerified,
          r.costPerDayUsd,
        ]),
        [
          ["production", "production", w.c1, "succeeded", RITA, undefined, 120.5],
          ["staging", "staging", w.c1, "succeeded", GIT, false, 40],
          [`preview-${w.c2.slice(0, 7)}`, "preview", w.c2, "succeeded", GIT, false, undefined],
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
        { commit: w.c1, imageId: rows[1]?.imageId, actor: RITA, result: "succeeded" },
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
});

/** The operations' shared context: every stream starts with start, ends in one result, and is logged. */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FlightdeckEvent } from "../../../automation/events.js";
import { RM, Setup, type World, world } from "./world.js";

describe("operations (memory engine)", function () {
  this.timeout(60_000);
  let w: World;

  before(() => {
    w = world();
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
      // Operations that write logs and stack config (each test file has its own world, so they run here).
      const s = new Setup(w);
      await s.ops.deploy({ env: "staging", commit: w.c1, actor: RM });
      await s.ops.previewUp({ commit: w.c2, actor: RM });
      await s.ops.plan({ stack: "staging" });
      assert.equal(w.repo.git("status", "--porcelain"), "");
    });
  });
});

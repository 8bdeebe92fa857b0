/**
 * What running the program needs (the real engine: its plugins) is made ready
 * by the operations that run it, before they change anything, and never by a
 * read: `status` on a machine without the plugins answers at once. Through the
 * in-memory engine with `prepareUpdates` failing as the real one does offline.
 */
import assert from "node:assert/strict";
import { MemoryCloud } from "../../../automation/cloud/memory.js";
import { EngineUnavailableError } from "../../../automation/engine.js";
import { MemoryEngine } from "../../../automation/engine/memory.js";
import { Setup, type World, world } from "./world.js";

class UnpreparedEngine extends MemoryEngine {
  calls = 0;
  ready = false;
  prepareUpdates(): Promise<void> {
    this.calls++;
    if (this.ready) return Promise.resolve();
    return Promise.reject(
      new EngineUnavailableError("the Pulumi plugin aws 7.48.0 is not installed and could not be downloaded"),
    );
  }
}

describe("operations make the program's needs ready first (prepareUpdates)", () => {
  let w: World;
  before(() => {
    w = world();
  });

  it("a deploy that cannot have them exits 2 before anything changes; reads never ask for them", async () => {
    const engine = new UnpreparedEngine();
    const cloud = new MemoryCloud(engine);
    const s = new Setup(w, {}, { engine, cloud });
    await assert.rejects(
      s.ops.deploy({ env: "staging", commit: w.c1 }),
      (error: Error & { exitCode?: number }) => {
        assert.equal(error.exitCode, 2);
        assert.match(error.message, /plugin aws 7\.48\.0 is not installed/);
        return true;
      },
    );
    assert.equal(engine.calls, 1);
    assert.deepEqual(await engine.listStacks(), [], "no stack was created");
    assert.equal(cloud.machines.length, 0, "no release machine started");
    assert.ok(!s.events.some((e) => e.type === "guard"), "it failed before the guards even ran");

    await s.ops.status();
    await s.ops.history({ env: "staging" }).catch(() => undefined);
    await s.ops.where({ query: w.c1 });
    assert.equal(engine.calls, 1, "reads never ask");

    engine.ready = true;
    const result = await s.ops.deploy({ env: "staging", commit: w.c1 });
    assert.equal(result.commit, w.c1);
    assert.equal(engine.calls, 2);
  });
});

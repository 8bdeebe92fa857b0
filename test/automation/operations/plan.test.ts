/** plan through the in-memory engine over a real git repository. */
import assert from "node:assert/strict";
import { RM, Setup, type World, world } from "./world.js";

describe("operations (memory engine)", function () {
  this.timeout(60_000);
  let w: World;

  before(() => {
    w = world();
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
});

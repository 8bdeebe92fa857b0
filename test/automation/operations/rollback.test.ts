/** rollback through the in-memory engine over a real git repository. */
import assert from "node:assert/strict";
import { RM, recorded, refusedBy, Setup, type World, world } from "./world.js";

describe("operations (memory engine)", function () {
  this.timeout(60_000);
  let w: World;

  before(() => {
    w = world();
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
});

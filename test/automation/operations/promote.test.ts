/** promote through the in-memory engine over a real git repository. */
import assert from "node:assert/strict";
import { pipelineStepBy, RM, recorded, refusedBy, Setup, UUID, type World, world } from "./world.js";

describe("operations (memory engine)", function () {
  this.timeout(60_000);
  let w: World;

  before(() => {
    w = world();
  });

  describe("promote", () => {
    it("deploys exactly the image and commit the source runs, recording where it came from", async () => {
      const s = new Setup(w);
      const staged = await s.ops.deploy({ env: "staging", commit: w.c1, actor: "dave@example.com" });
      s.images.generation = 1; // a rebuilt image for the same commit must not be picked up
      const lookups = s.images.calls.length;
      const promoted = await s
        .runAs(pipelineStepBy("rita"))
        .ops.promote({ from: "staging", to: "production" });
      assert.equal(promoted.commit, staged.commit);
      assert.equal(promoted.imageId, staged.imageId);
      assert.equal(s.images.calls.length, lookups, "no image lookup on promote");
      const r = recorded((await s.engine.history("production"))[0]);
      assert.equal(r.imageId, staged.imageId);
      assert.deepEqual(r.release, {
        actor: `bitbucket:${UUID.rita}`,
        operation: "promote",
        at: s.clock.toISOString(),
        from: "staging",
        verified: true,
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
        s.runAs(pipelineStepBy("rita")).ops.promote({ from: "staging", to: "production" }),
        "promote-source",
        /ended failed/,
      );
    });

    it("still applies the target's protection", async () => {
      const s = new Setup(w);
      await s.ops.deploy({ env: "staging", commit: w.c1, actor: RM });
      await refusedBy(
        s.runAs(pipelineStepBy("mallory")).ops.promote({ from: "staging", to: "production" }),
        "allowed-deployer",
      );
    });
  });
});

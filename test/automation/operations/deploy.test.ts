/** deploy, and the production guards it applies, through the in-memory engine over a real git repository. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../../infra/errors.js";
import { pipelineStepBy, RM, recorded, refusedBy, Setup, UUID, type World, world } from "./world.js";

describe("operations (memory engine)", function () {
  this.timeout(60_000);
  let w: World;

  before(() => {
    w = world();
  });

  describe("deploy", () => {
    it("deploys a commit, recording commit, image and actor (unverified at a terminal) in the stack", async () => {
      const s = new Setup(w);
      const result = await s.ops.deploy({ env: "staging", commit: w.c1.slice(0, 8) });
      assert.equal(result.stack, "staging");
      assert.equal(result.commit, w.c1);
      assert.equal(result.imageId, `ami-00${w.c1.slice(0, 15)}`);
      assert.equal(result.url, "https://staging.example.com");
      assert.equal(result.actor, "ci@example.com");
      const [last] = await s.engine.history("staging");
      assert.equal(last?.result, "succeeded");
      const r = recorded(last);
      assert.equal(r.commit, w.c1);
      assert.equal(r.imageId, result.imageId);
      assert.deepEqual(r.release, {
        actor: "ci@example.com",
        operation: "deploy",
        at: s.clock.toISOString(),
        verified: false,
      });
      assert.match(last?.message ?? "", /flightdeck deploy [0-9a-f]{7} by ci@example.com \(unverified\)/);
      assert.deepEqual(s.lastResult().data, result);
      assert.equal(s.lastResult().exitCode, 0);
      const [entry] = await s.ops.history({ env: "staging" });
      assert.deepEqual([entry?.actor, entry?.actorVerified], ["ci@example.com", false]);
    });

    it("records the CI's verified identity in a pipeline step", async () => {
      const s = new Setup(w).runAs(pipelineStepBy("alice"));
      const result = await s.ops.deploy({ env: "staging", commit: w.c1 });
      assert.equal(result.actor, `bitbucket:${UUID.alice}`);
      const r = recorded((await s.engine.history("staging"))[0]);
      assert.deepEqual([r.release?.actor, r.release?.verified], [`bitbucket:${UUID.alice}`, true]);
      const [entry] = await s.ops.history({ env: "staging" });
      assert.equal(entry?.actorVerified, undefined, "only an unverified actor is marked");
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
    it("allows an allowed deployer who wrote none of the commits, from main, on a clean tree, in the pipeline", async () => {
      const s = new Setup(w).runAs(pipelineStepBy("rita"));
      const result = await s.ops.deploy({ env: "production", commit: w.c1 });
      assert.equal(result.commit, w.c1);
      const guards = s.events.filter((e) => e.type === "guard");
      assert.deepEqual(
        guards.map((g) => (g.type === "guard" ? [g.guard, g.allowed] : [])),
        [
          ["protection-rules", true],
          ["allowed-branch", true],
          ["clean-tree", true],
          ["actor-identity", true],
          ["allowed-deployer", true],
          ["separation-of-duties", true],
        ],
      );
    });

    it("refuses a deployer who is not allowed", async () => {
      const s = new Setup(w).runAs(pipelineStepBy("mallory"));
      await refusedBy(s.ops.deploy({ env: "production", commit: w.c1 }), "allowed-deployer");
      assert.equal(s.lastResult().exitCode, 3);
      assert.equal(s.engine.has("production"), false, "nothing was touched");
    });

    it("refuses an author, and a co-author, of a commit being released; allows someone else", async () => {
      const s = new Setup(w).runAs(pipelineStepBy("rita"));
      await s.ops.deploy({ env: "production", commit: w.c1 });
      // Production runs c1; releasing c2 (Alice, co-authored by Bob).
      await refusedBy(
        s.runAs(pipelineStepBy("alice")).ops.deploy({ env: "production", commit: w.c2 }),
        "separation-of-duties",
        /\(alice\) wrote/,
      );
      await refusedBy(
        s.runAs(pipelineStepBy("bob")).ops.deploy({ env: "production", commit: w.c2 }),
        "separation-of-duties",
        /\(bob\) wrote or co-wrote/,
      );
      assert.equal((await s.engine.history("production")).length, 1, "refusals leave no update");
      // The release manager wrote none of it.
      const result = await s.runAs(pipelineStepBy("rita")).ops.deploy({ env: "production", commit: w.c2 });
      assert.equal(result.commit, w.c2);
    });

    it("refuses a commit that is not on main", async () => {
      const s = new Setup(w).runAs(pipelineStepBy("rita"));
      await refusedBy(
        s.ops.deploy({ env: "production", commit: "feature" }),
        "allowed-branch",
        /not reachable from main/,
      );
    });

    it("refuses a dirty tree", async () => {
      const s = new Setup(w).runAs(pipelineStepBy("rita"));
      w.repo.write(
        "Pulumi.production.yaml",
        `${readFileSync(join(w.repo.dir, "Pulumi.production.yaml"), "utf8")}# edited\n`,
      );
      try {
        await refusedBy(
          s.ops.deploy({ env: "production", commit: w.c1 }),
          "clean-tree",
          /Pulumi.production.yaml/,
        );
      } finally {
        w.repo.git("checkout", "--", "Pulumi.production.yaml");
      }
    });
  });
});

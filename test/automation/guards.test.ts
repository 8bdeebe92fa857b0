import assert from "node:assert/strict";
import { configMapOf } from "../../automation/config-map.js";
import type { UpdateRecord } from "../../automation/engine.js";
import {
  allowedBranchGuard,
  allowedDeployerGuard,
  cleanTreeGuard,
  guardError,
  promoteGuard,
  protectionDecisions,
  rollbackGuard,
  separationOfDutiesGuard,
} from "../../automation/guards.js";
import { GuardError } from "../../infra/errors.js";

const A = "a".repeat(40);
const B = "b".repeat(40);
const C = "c".repeat(40);

function record(
  version: number,
  commit: string | undefined,
  result: UpdateRecord["result"],
  extra: Partial<UpdateRecord> = {},
): UpdateRecord {
  const values: Record<string, unknown> = { environment: "staging" };
  if (commit) values.image = { commit, amiId: `ami-0${commit.slice(0, 16)}` };
  values.release = { actor: "alice@example.com", operation: "deploy", at: "2026-01-01T00:00:00.000Z" };
  return {
    version,
    kind: "update",
    result,
    message: "",
    startTime: `2026-01-0${version}T00:00:00.000Z`,
    endTime: `2026-01-0${version}T00:05:00.000Z`,
    config: configMapOf(values),
    environment: {},
    ...extra,
  };
}

describe("guards", () => {
  describe("allowed branch", () => {
    it("allows any branch when none is set", () => {
      assert.equal(allowedBranchGuard({ stack: "testing", commit: A }).allowed, true);
    });
    it("allows a commit reachable from the branch", () => {
      const d = allowedBranchGuard({
        stack: "production",
        commit: A,
        allowedBranch: "main",
        reachability: { reachable: true, checked: ["main"] },
      });
      assert.equal(d.allowed, true);
      assert.match(d.reason, /aaaaaaa is on main/);
    });
    it("refuses a commit not on the branch, saying to merge first", () => {
      const d = allowedBranchGuard({
        stack: "production",
        commit: A,
        allowedBranch: "main",
        reachability: { reachable: false, checked: ["main", "origin/main"] },
      });
      assert.equal(d.allowed, false);
      assert.match(d.reason, /not reachable from main and origin\/main/);
      assert.match(d.tryMessage ?? "", /Merge/);
    });
    it("refuses when the branch is not there, saying to fetch it", () => {
      const d = allowedBranchGuard({
        stack: "production",
        commit: A,
        allowedBranch: "main",
        reachability: { reachable: false, checked: [] },
      });
      assert.equal(d.allowed, false);
      assert.match(d.tryMessage ?? "", /git fetch origin main/);
    });
  });

  describe("clean tree", () => {
    it("allows anything when not required", () => {
      assert.equal(
        cleanTreeGuard({ stack: "staging", requireCleanTree: false, tree: { clean: false, dirty: ["x"] } })
          .allowed,
        true,
      );
    });
    it("allows a clean tree", () => {
      assert.equal(
        cleanTreeGuard({ stack: "production", requireCleanTree: true, tree: { clean: true, dirty: [] } })
          .allowed,
        true,
      );
    });
    it("refuses a dirty tree, listing files", () => {
      const d = cleanTreeGuard({
        stack: "production",
        requireCleanTree: true,
        tree: { clean: false, dirty: ["1", "2", "3", "4", "5", "6", "7"] },
      });
      assert.equal(d.allowed, false);
      assert.match(d.reason, /1, 2, 3, 4, 5, and 2 more/);
    });
  });

  describe("allowed deployer", () => {
    it("allows anyone when the list is empty", () => {
      assert.equal(
        allowedDeployerGuard({ stack: "staging", actor: "x@y.z", allowedDeployers: [] }).allowed,
        true,
      );
    });
    it("allows a listed deployer, case-insensitively", () => {
      assert.equal(
        allowedDeployerGuard({
          stack: "production",
          actor: "alice@example.com",
          allowedDeployers: ["Alice@Example.com"],
        }).allowed,
        true,
      );
    });
    it("refuses anyone else, naming who may", () => {
      const d = allowedDeployerGuard({
        stack: "production",
        actor: "mallory@example.com",
        allowedDeployers: ["alice@example.com"],
      });
      assert.equal(d.allowed, false);
      assert.match(d.tryMessage ?? "", /alice@example.com/);
    });
  });

  describe("separation of duties", () => {
    const authors = {
      commits: [B, C],
      emails: ["bob@example.com", "carol@example.com"],
      byEmail: { "bob@example.com": [C], "carol@example.com": [B, C] },
    };
    it("allows anything when off", () => {
      assert.equal(
        separationOfDutiesGuard({
          stack: "staging",
          enabled: false,
          actor: "bob@example.com",
          to: C,
          authors,
        }).allowed,
        true,
      );
    });
    it("allows a deployer who wrote none of the commits", () => {
      const d = separationOfDutiesGuard({
        stack: "production",
        enabled: true,
        actor: "alice@example.com",
        from: A,
        to: C,
        authors,
      });
      assert.equal(d.allowed, true);
      assert.match(d.reason, /none of the 2 commit/);
    });
    it("refuses an author or co-author, naming the commits", () => {
      const d = separationOfDutiesGuard({
        stack: "production",
        enabled: true,
        actor: "bob@example.com",
        from: A,
        to: C,
        authors,
      });
      assert.equal(d.allowed, false);
      assert.match(d.reason, /bob@example.com wrote or co-wrote 1 .*aaaaaaa\.\.ccccccc.*ccccccc/);
    });
    it("refuses an actor that is not an e-mail (it cannot be compared)", () => {
      const d = separationOfDutiesGuard({
        stack: "production",
        enabled: true,
        actor: "bitbucket:{1234}",
        to: C,
        authors,
      });
      assert.equal(d.allowed, false);
      assert.match(d.tryMessage ?? "", /FLIGHTDECK_ACTOR/);
    });
  });

  it("composes the four protection guards in order", () => {
    const decisions = protectionDecisions({
      stack: "production",
      commit: C,
      actor: "alice@example.com",
      protection: { allowedDeployers: [], separationOfDuties: false, requireCleanTree: false },
    });
    assert.deepEqual(
      decisions.map((d) => [d.guard, d.allowed]),
      [
        ["allowed-branch", true],
        ["clean-tree", true],
        ["allowed-deployer", true],
        ["separation-of-duties", true],
      ],
    );
  });

  describe("rollback", () => {
    const history = [record(3, C, "failed"), record(2, B, "succeeded"), record(1, A, "succeeded")];
    it("allows a commit that ran successfully, with the image recorded then", () => {
      const t = rollbackGuard({ stack: "staging", commit: A, history });
      assert.equal(t.decision.allowed, true);
      assert.equal(t.imageId, `ami-0${A.slice(0, 16)}`);
      assert.equal(t.record?.version, 1);
    });
    it("refuses a commit that only failed there", () => {
      const t = rollbackGuard({ stack: "staging", commit: C, history });
      assert.equal(t.decision.allowed, false);
      assert.match(t.decision.reason, /never successfully/);
      assert.match(t.decision.tryMessage ?? "", /bbbbbbb, aaaaaaa/);
    });
    it("refuses a commit that never ran there", () => {
      const t = rollbackGuard({ stack: "staging", commit: "d".repeat(40), history });
      assert.equal(t.decision.allowed, false);
      assert.match(t.decision.reason, /never deployed/);
    });
    it("ignores destroys and refreshes that recorded the commit", () => {
      const t = rollbackGuard({
        stack: "staging",
        commit: A,
        history: [record(1, A, "succeeded", { kind: "refresh" })],
      });
      assert.equal(t.decision.allowed, false);
    });
  });

  describe("promote", () => {
    it("allows a source whose last update succeeded, with its exact commit and image", () => {
      const s = promoteGuard({
        from: "staging",
        to: "production",
        history: [record(2, B, "succeeded"), record(1, A, "failed")],
      });
      assert.equal(s.decision.allowed, true);
      assert.equal(s.commit, B);
      assert.equal(s.imageId, `ami-0${B.slice(0, 16)}`);
    });
    it("refuses a source whose last update failed", () => {
      const s = promoteGuard({
        from: "staging",
        to: "production",
        history: [record(2, B, "failed"), record(1, A, "succeeded")],
      });
      assert.equal(s.decision.allowed, false);
      assert.match(s.decision.reason, /ended failed/);
    });
    it("refuses a source that runs no recorded image", () => {
      const s = promoteGuard({
        from: "staging",
        to: "production",
        history: [record(1, undefined, "succeeded")],
      });
      assert.equal(s.decision.allowed, false);
    });
    it("refuses a source never updated, or destroyed", () => {
      assert.equal(promoteGuard({ from: "staging", to: "production", history: [] }).decision.allowed, false);
      const destroyed = record(2, B, "succeeded", { kind: "destroy" });
      assert.equal(
        promoteGuard({ from: "staging", to: "production", history: [destroyed] }).decision.allowed,
        false,
      );
    });
  });

  it("turns a refusal into a GuardError with exit code 3", () => {
    const error = guardError({ guard: "clean-tree", allowed: false, reason: "dirty", tryMessage: "commit" });
    assert.ok(error instanceof GuardError);
    assert.equal(error.exitCode, 3);
    assert.equal(error.guard, "clean-tree");
    assert.equal(error.tryMessage, "commit");
  });
});

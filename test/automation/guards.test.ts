import assert from "node:assert/strict";
import { configMapOf, recordedRelease } from "../../automation/config-map.js";
import type { UpdateRecord } from "../../automation/engine.js";
import {
  actorIdentityGuard,
  allowedBranchGuard,
  allowedDeployerGuard,
  cleanTreeGuard,
  guardError,
  protectionDecisions,
  protectionRulesGuard,
  separationOfDutiesGuard,
} from "../../automation/guards.js";
import { promoteGuard, rollbackGuard } from "../../automation/history-guards.js";
import { releaseIdOf, type Verdicts } from "../../automation/rollout-verdicts.js";
import { PRODUCTION_STACK, stackNameProblems } from "../../infra/config/cross-field-rules.js";
import { protectionSchema } from "../../infra/config/sections.js";
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
  values.release = {
    actor: "alice@example.com",
    operation: "deploy",
    at: `2026-01-0${version}T00:00:00.000Z`,
  };
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

/** The rollout verdicts of `records` (default: every Pulumi success verified), as the deploy step writes them. */
function verdicts(records: UpdateRecord[], verdict: "verified" | "failed" = "verified"): Verdicts {
  const out: Verdicts = {};
  for (const r of records) {
    const id = releaseIdOf(r);
    if (!id || r.result !== "succeeded") continue;
    const commit = recordedRelease(r.config).commit ?? "";
    out[id] = {
      release: id,
      stack: "staging",
      commit,
      verdict,
      at: r.endTime ?? r.startTime,
      ...(verdict === "failed" ? { reason: "app's instance refresh ended RollbackSuccessful" } : {}),
    };
  }
  return out;
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
    it("refuses an actor that is nobody in people and not an e-mail (it cannot be compared)", () => {
      const d = separationOfDutiesGuard({
        stack: "production",
        enabled: true,
        actor: "bitbucket:{1234}",
        to: C,
        authors,
      });
      assert.equal(d.allowed, false);
      assert.match(d.tryMessage ?? "", /protection\.people/);
    });
    it("compares every e-mail of the person the actor is: a CI identity cannot hide an author", () => {
      const d = separationOfDutiesGuard({
        stack: "production",
        enabled: true,
        actor: "bitbucket:{b0b}",
        people: { bob: { emails: ["bob@work.example", "Bob@Example.com"], bitbucket: "{B0B}" } },
        from: A,
        to: C,
        authors,
      });
      assert.equal(d.allowed, false);
      assert.match(d.reason, /bitbucket:\{b0b\} \(bob\) wrote or co-wrote 1/);
    });
  });

  describe("allowed deployer, by person", () => {
    const people = {
      alice: { emails: ["alice@example.com"], bitbucket: "{a11ce}" },
      mallory: { emails: ["mallory@example.com"], bitbucket: "{3a11}" },
    };
    it("allows a listed person by any of their identities", () => {
      for (const actor of ["bitbucket:{a11ce}", "alice@example.com"]) {
        const d = allowedDeployerGuard({ stack: "production", actor, allowedDeployers: ["alice"], people });
        assert.equal(d.allowed, true, actor);
        assert.match(d.reason, /\(alice\) is an allowed deployer/);
      }
    });
    it("allows a raw identity listed for a person's other identity", () => {
      const d = allowedDeployerGuard({
        stack: "production",
        actor: "bitbucket:{a11ce}",
        allowedDeployers: ["alice@example.com"],
        people,
      });
      assert.equal(d.allowed, true);
    });
    it("refuses a person who is not listed, and an unknown identity, saying how to be added", () => {
      const d = allowedDeployerGuard({
        stack: "production",
        actor: "bitbucket:{3a11}",
        allowedDeployers: ["alice"],
        people,
      });
      assert.equal(d.allowed, false);
      assert.match(d.tryMessage ?? "", /Ask one of alice/);
      const unknown = allowedDeployerGuard({
        stack: "production",
        actor: "bitbucket:{new}",
        allowedDeployers: ["alice"],
        people,
      });
      assert.equal(unknown.allowed, false);
      assert.match(unknown.nextSteps?.join(" ") ?? "", /add it to their entry in protection\.people/);
    });
  });

  describe("actor identity (production)", () => {
    const actor = (verified: boolean, ci: boolean) => ({
      id: verified ? "bitbucket:{a11ce}" : "dev@example.com",
      source: verified ? ("bitbucket" as const) : ("git" as const),
      verified,
      ci,
    });
    const decide = (verified: boolean, ci: boolean, allowTerminalDeploys: boolean) =>
      actorIdentityGuard({ stack: "production", actor: actor(verified, ci), allowTerminalDeploys });
    it("allows the CI's verified identity", () => {
      assert.equal(decide(true, true, false).allowed, true);
    });
    it("refuses a terminal unless the rules allow terminal deploys (then says it is unverified)", () => {
      const refused = decide(false, false, false);
      assert.equal(refused.allowed, false);
      assert.match(refused.tryMessage ?? "", /pipeline/);
      assert.match(refused.nextSteps?.join(" ") ?? "", /allowTerminalDeploys: true/);
      const allowed = decide(false, false, true);
      assert.equal(allowed.allowed, true);
      assert.match(allowed.reason, /unverified/);
    });
    it("refuses a CI that names nobody, even where terminal deploys are allowed", () => {
      const d = decide(false, true, true);
      assert.equal(d.allowed, false);
      assert.match(d.reason, /BITBUCKET_STEP_TRIGGERER_UUID/);
    });
  });

  describe("protection rules (production)", () => {
    const file = "Pulumi.production.yaml";
    it("allows rules read from the rules branch, naming where", () => {
      const d = protectionRulesGuard({
        stack: "production",
        branch: "main",
        source: { found: true, ref: "origin/main", commit: A, file },
      });
      assert.equal(d.allowed, true);
      assert.match(d.reason, /Pulumi\.production\.yaml as committed on origin\/main \(aaaaaaa\)/);
    });
    it("refuses when the branch is missing (fetch it) or the file is not committed there (merge it)", () => {
      const noBranch = protectionRulesGuard({
        stack: "production",
        branch: "main",
        source: { found: false, file },
      });
      assert.equal(noBranch.allowed, false);
      assert.match(noBranch.tryMessage ?? "", /git fetch origin main/);
      const noFile = protectionRulesGuard({
        stack: "production",
        branch: "main",
        source: { found: false, file, ref: "main" },
      });
      assert.equal(noFile.allowed, false);
      assert.match(noFile.tryMessage ?? "", /merge it to main/);
    });
  });

  it("composes the protection guards in order: four for a stack, six for production", () => {
    const protection = {
      people: {},
      allowedDeployers: [],
      separationOfDuties: false,
      requireCleanTree: false,
      allowTerminalDeploys: false,
    };
    const actor = { id: "alice@example.com", source: "git" as const, verified: false, ci: false };
    const decisions = protectionDecisions({ stack: "staging", commit: C, actor, protection });
    assert.deepEqual(
      decisions.map((d) => [d.guard, d.allowed]),
      [
        ["allowed-branch", true],
        ["clean-tree", true],
        ["allowed-deployer", true],
        ["separation-of-duties", true],
      ],
    );
    const production = protectionDecisions({
      stack: "production",
      commit: C,
      actor: { id: "bitbucket:{a11ce}", source: "bitbucket", verified: true, ci: true },
      protection,
      rules: {
        branch: "main",
        source: { found: true, ref: "main", commit: A, file: "Pulumi.production.yaml" },
      },
    });
    assert.deepEqual(
      production.map((d) => [d.guard, d.allowed]),
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

  describe("rollback", () => {
    const history = [record(3, C, "failed"), record(2, B, "succeeded"), record(1, A, "succeeded")];
    const served = verdicts(history);
    it("allows a commit that ran successfully, with the image recorded then", () => {
      const t = rollbackGuard({ stack: "staging", commit: A, history, verdicts: served });
      assert.equal(t.decision.allowed, true);
      assert.equal(t.imageId, `ami-0${A.slice(0, 16)}`);
      assert.equal(t.record?.version, 1);
    });
    it("refuses a commit that only failed there", () => {
      const t = rollbackGuard({ stack: "staging", commit: C, history, verdicts: served });
      assert.equal(t.decision.allowed, false);
      assert.match(t.decision.reason, /never successfully/);
      assert.match(t.decision.tryMessage ?? "", /bbbbbbb, aaaaaaa/);
    });
    it("refuses a commit that never ran there", () => {
      const t = rollbackGuard({ stack: "staging", commit: "d".repeat(40), history, verdicts: served });
      assert.equal(t.decision.allowed, false);
      assert.match(t.decision.reason, /never deployed/);
    });
    it("ignores destroys and refreshes that recorded the commit", () => {
      const t = rollbackGuard({
        stack: "staging",
        commit: A,
        history: [record(1, A, "succeeded", { kind: "refresh" })],
        verdicts: {},
      });
      assert.equal(t.decision.allowed, false);
    });
    it("refuses a commit whose update Pulumi called a success but whose rollout failed", () => {
      const hollow = [record(2, B, "succeeded"), record(1, A, "succeeded")];
      const t = rollbackGuard({
        stack: "staging",
        commit: B,
        history: hollow,
        verdicts: {
          ...verdicts([hollow[1] as UpdateRecord]),
          ...verdicts([hollow[0] as UpdateRecord], "failed"),
        },
      });
      assert.equal(t.decision.allowed, false);
      assert.match(
        t.decision.reason,
        /never served there: its rollout failed: app's instance refresh ended RollbackSuccessful/,
      );
      assert.match(t.decision.tryMessage ?? "", /aaaaaaa/);
    });
    it("refuses a commit whose rollout was never verified", () => {
      const unchecked = [record(1, A, "succeeded")];
      const t = rollbackGuard({ stack: "staging", commit: A, history: unchecked, verdicts: {} });
      assert.equal(t.decision.allowed, false);
      assert.match(t.decision.reason, /never verified/);
    });
  });

  describe("promote", () => {
    it("allows a source whose last update succeeded, with its exact commit and image", () => {
      const s = promoteGuard({
        from: "staging",
        to: "production",
        history: [record(2, B, "succeeded"), record(1, A, "failed")],
        verdicts: verdicts([record(2, B, "succeeded")]),
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
        verdicts: verdicts([record(1, A, "succeeded")]),
      });
      assert.equal(s.decision.allowed, false);
      assert.match(s.decision.reason, /ended failed/);
    });
    it("refuses a source that runs no recorded image", () => {
      const s = promoteGuard({
        from: "staging",
        to: "production",
        history: [record(1, undefined, "succeeded")],
        verdicts: {},
      });
      assert.equal(s.decision.allowed, false);
    });
    it("refuses a source never updated, or destroyed", () => {
      assert.equal(
        promoteGuard({ from: "staging", to: "production", history: [], verdicts: {} }).decision.allowed,
        false,
      );
      const destroyed = record(2, B, "succeeded", { kind: "destroy" });
      assert.equal(
        promoteGuard({ from: "staging", to: "production", history: [destroyed], verdicts: {} }).decision
          .allowed,
        false,
      );
    });
    it("refuses a source whose last deploy's rollout failed, or was never verified", () => {
      const last = record(2, B, "succeeded");
      const failed = promoteGuard({
        from: "staging",
        to: "production",
        history: [last],
        verdicts: verdicts([last], "failed"),
      });
      assert.equal(failed.decision.allowed, false);
      assert.match(failed.decision.reason, /never served: its rollout failed/);
      const unchecked = promoteGuard({ from: "staging", to: "production", history: [last], verdicts: {} });
      assert.equal(unchecked.decision.allowed, false);
      assert.match(unchecked.decision.reason, /never verified/);
    });
  });

  describe("the rules' config", () => {
    const messages = (input: unknown) => {
      const r = protectionSchema.safeParse(input);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    };
    it("defaults to no people and no terminal deploys", () => {
      const p = protectionSchema.parse({});
      assert.deepEqual([p.people, p.allowTerminalDeploys], [{}, false]);
    });
    it("refuses an allowed deployer who is nobody in people, and a foreign identity", () => {
      assert.deepEqual(messages({ allowedDeployers: ["mallory", "okta:someone"] }), [
        "allowedDeployers.0: names nobody in people (none); add them there",
        "allowedDeployers.1: must be a person in people, an e-mail, bitbucket:{uuid} or github:<login>",
      ]);
    });
    it("refuses an identity given to two people, and a malformed Bitbucket UUID, together", () => {
      assert.deepEqual(
        messages({
          people: {
            alice: { emails: ["alice@example.com"], bitbucket: "{a11ce000-0000-4000-8000-000000000001}" },
            mallory: { emails: ["Alice@Example.com"], bitbucket: "a11ce" },
          },
        }),
        [
          "people.mallory.bitbucket: must be a Bitbucket account UUID in braces, like {0f1e2d3c-…}",
          "people.mallory: alice@example.com is also alice's: an identity belongs to one person",
        ],
      );
    });
    it("ties production to the stack's name, both ways", () => {
      assert.equal(PRODUCTION_STACK, "production");
      assert.match(
        stackNameProblems("production", "staging", "Pulumi.production.yaml").join(),
        /^Pulumi\.production\.yaml: flightdeck:environment: must be production/,
      );
      assert.match(
        stackNameProblems("prod2", "production", "Pulumi.prod2.yaml").join(),
        /only for the stack named production/,
      );
      assert.deepEqual(stackNameProblems("production", "production", "x"), []);
      assert.deepEqual(stackNameProblems("staging", "staging", "x"), []);
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

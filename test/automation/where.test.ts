/** where: which stacks run a commit, a branch or an issue key's commits, by git ancestry, over the memory engine and a real git repository. */
import assert from "node:assert/strict";
import type { WhereResult, WhereStack } from "../../automation/api.js";
import { UserError } from "../../infra/errors.js";
import { ALICE, DAVE, projectRepo } from "./helpers.js";
import { pipelineStepBy, Setup, UUID, type World } from "./operations/world.js";

/** Each stack as [stack, state, contained, version] (the update it has had the change since, or runs). */
function table(r: WhereResult): [string, WhereStack["state"], number, number | undefined][] {
  return r.stacks.map((s) => [s.stack, s.state, s.contained, s.version]);
}

/** When the engine recorded that update of the stack as finished. */
async function endOf(s: Setup, stack: string, version: number): Promise<string | undefined> {
  const record = (await s.engine.history(stack)).find((r) => r.version === version);
  assert.ok(record?.endTime);
  return record.endTime;
}

describe("operations: where", function () {
  this.timeout(60_000);
  let w: World & { k1: string; k2: string; merge: string; c3: string };

  before(() => {
    const repo = projectRepo();
    const k1 = repo.commit(DAVE, "ABC-1 first part of the login");
    // The second part names the key only in its branch's name, which only the merge commit keeps.
    repo.git("checkout", "--quiet", "-b", "feature/ABC-1-second");
    const k2 = repo.commit(ALICE, "Second part");
    repo.git("checkout", "--quiet", "main");
    repo.git("merge", "--quiet", "--no-ff", "--no-edit", "feature/ABC-1-second");
    const merge = repo.git("rev-parse", "HEAD");
    repo.git("branch", "--quiet", "-D", "feature/ABC-1-second");
    const c3 = repo.commit(DAVE, "Unrelated fix");
    w = { repo, c1: k1, c2: merge, feature: k2, k1, k2, merge, c3 };
  });

  async function deployed(): Promise<Setup> {
    const s = new Setup(w);
    await s.ops.deploy({ env: "testing", commit: w.k1 }); // testing v1
    await s.ops.deploy({ env: "testing", commit: w.merge }); // testing v2
    await s.ops.deploy({ env: "staging", commit: w.k1 }); // staging v1
    await s.runAs(pipelineStepBy("rita")).ops.deploy({ env: "production", commit: w.k1 });
    s.runAs({});
    s.engine.seed("previews", {});
    return s;
  }

  it("an issue key is in a stack only when every commit of it is; partial names what is missing", async () => {
    const s = await deployed();
    const r = await s.ops.where({ query: "ABC-1" });
    assert.equal(r.kind, "issue");
    // k1 mentions it; the merge names the branch; k2 came in through that merge.
    assert.deepEqual(r.commits.map((c) => c.sha).sort(), [w.k1, w.k2, w.merge].sort());
    assert.deepEqual(table(r), [
      ["production", "partial", 1, 1],
      ["staging", "partial", 1, 1],
      ["testing", "yes", 3, 2],
      ["previews", "not-deployed", 0, undefined],
    ]);
    const testing = r.stacks.find((x) => x.stack === "testing");
    assert.equal(testing?.since, await endOf(s, "testing", 2), "since the update that brought the last part");
    assert.equal(testing?.by, "ci@example.com");
    assert.equal(testing?.commit, w.merge);
    const production = r.stacks.find((x) => x.stack === "production");
    assert.deepEqual(production?.missing?.sort(), [w.k2, w.merge].sort());
    assert.equal(production?.by, `bitbucket:${UUID.rita}`);
    assert.equal(production?.url, "https://app.example.com");
    assert.equal(s.lastResult().summary, "ABC-1: in testing; partly in production, staging");
    assert.deepEqual(s.lastResult().data, r);
  });

  it("a commit is in every stack whose running commit descends from it, since the first update that had it", async () => {
    const s = await deployed();
    const r = await s.ops.where({ query: w.k1.slice(0, 10) });
    assert.equal(r.kind, "commit");
    assert.deepEqual(table(r), [
      ["production", "yes", 1, 1],
      ["staging", "yes", 1, 1],
      ["testing", "yes", 1, 1],
      ["previews", "not-deployed", 0, undefined],
    ]);
    assert.equal(r.stacks[2]?.since, await endOf(s, "testing", 1));
    const unrelated = await s.ops.where({ query: w.c3 });
    assert.deepEqual(
      unrelated.stacks.map((x) => x.state),
      ["no", "no", "no", "not-deployed"],
    );
  });

  it("a branch is its head; a merged, deleted branch is the commits its merge brought in", async () => {
    const s = await deployed();
    const main = await s.ops.where({ query: "main" });
    assert.equal(main.kind, "ref");
    assert.deepEqual(
      main.commits.map((c) => c.sha),
      [w.c3],
    );
    const merged = await s.ops.where({ query: "feature/ABC-1-second" });
    assert.equal(merged.kind, "merged-branch");
    assert.deepEqual(merged.commits.map((c) => c.sha).sort(), [w.k2, w.merge].sort());
    assert.deepEqual(
      merged.stacks.map((x) => [x.stack, x.state]),
      [
        ["production", "no"],
        ["staging", "no"],
        ["testing", "yes"],
        ["previews", "not-deployed"],
      ],
    );
  });

  it("a rollback takes the change away, and a redeploy has it again since then", async () => {
    const s = await deployed();
    await s.ops.rollback({ env: "testing", commit: w.k1 }); // testing v3
    assert.equal(
      (await s.ops.where({ query: "ABC-1" })).stacks.find((x) => x.stack === "testing")?.state,
      "partial",
    );
    await s.ops.deploy({ env: "testing", commit: w.c3 }); // testing v4
    const testing = (await s.ops.where({ query: "ABC-1" })).stacks.find((x) => x.stack === "testing");
    assert.deepEqual(
      [testing?.state, testing?.version, testing?.since],
      ["yes", 4, await endOf(s, "testing", 4)],
    );
  });

  it("says which running commit git does not know (fetch it)", async () => {
    const s = await deployed();
    const history = await s.engine.history("staging");
    const [last] = history;
    assert.ok(last);
    last.config["flightdeck:image"] = {
      value: JSON.stringify({ commit: "e".repeat(40), amiId: "ami-0123456789abcdef0" }),
    };
    s.engine.seed("staging", { history });
    const r = await s.ops.where({ query: w.k1 });
    assert.equal(r.stacks.find((x) => x.stack === "staging")?.state, "unknown");
    assert.ok(
      s.events.some((e) => e.type === "item" && e.stack === "staging" && /git fetch/.test(e.message ?? "")),
    );
  });

  it("refuses what is no commit, branch or key (exit 2)", async () => {
    const s = await deployed();
    const refused = async (query: string, pattern: RegExp) =>
      assert.rejects(s.ops.where({ query }), (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.equal(error.exitCode, 2);
        assert.match(error.message, pattern);
        return true;
      });
    await refused("NOPE-404", /no commit mentions NOPE-404/);
    await refused("no-such-branch", /'no-such-branch' is not a commit, branch or tag/);
    await refused("--all", /is not a commit, branch or issue key/);
    await refused("a b", /is not a commit, branch or issue key/);
    assert.equal(s.lastResult().exitCode, 2);
  });
});

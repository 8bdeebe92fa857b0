/** What a release brings: the commits between two commits of a real git repository, their authors, branches and issue keys. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  branchesOf,
  issueKeysIn,
  mergedBranchOf,
  releasedCommitLine,
  releasesBetween,
  releasesSummary,
} from "../../automation/changes.js";
import { isAncestor, logBetween } from "../../automation/git.js";
import {
  DEFAULT_ISSUE_KEY_PATTERN,
  issueKeyPatternProblem,
  issueKeyRegExp,
} from "../../infra/config/changes-section.js";
import { parseStackConfigYaml } from "../../infra/config.js";
import { ConfigError } from "../../infra/errors.js";
import { ALICE, BOB, CAROL, DAVE, TempRepo } from "./helpers.js";

/** A release's commits as [shortSha, direction, branch, keys] rows. */
function rows(commits: { shortSha: string; direction: string; branch?: string; issueKeys: string[] }[]) {
  return commits.map((c) => [c.shortSha, c.direction, c.branch, c.issueKeys]);
}

describe("changes: what a release brings", function () {
  this.timeout(30_000);
  let repo: TempRepo;
  let base: string;
  let first: string;
  let second: string;
  let merge: string;
  let after: string;
  let stray: string;

  before(() => {
    repo = new TempRepo();
    base = repo.commit(CAROL, "base");
    repo.git("checkout", "--quiet", "-b", "feature/ABC-7-login");
    first = repo.commit(DAVE, "Add the login form", "Co-authored-by: Bob <Bob@Example.com>");
    second = repo.commit(ALICE, "Validate e-mails", "Also closes XYZ-2.");
    repo.git("checkout", "--quiet", "main");
    // git's own merge message: "Merge branch '<name>'" (git fmt-merge-msg).
    repo.git("merge", "--quiet", "--no-ff", "--no-edit", "feature/ABC-7-login");
    merge = repo.git("rev-parse", "HEAD");
    after = repo.commit(CAROL, "Fix a typo");
    repo.git("checkout", "--quiet", "-b", "stray", base);
    stray = repo.commit(BOB, "Experiment QA-9");
    repo.git("checkout", "--quiet", "main");
  });

  it("lists the commits a deploy releases, newest first, with authors, co-authors, branch and issue keys", async () => {
    const r = await releasesBetween(repo.dir, { stack: "staging", from: base, to: after });
    assert.equal(r.from, base);
    assert.equal(r.to, after);
    assert.deepEqual([r.released, r.unreleased, r.more], [4, 0, 0]);
    const bySha = new Map(r.commits.map((c) => [c.sha, c]));
    assert.deepEqual(
      [...bySha.keys()].sort(),
      [first, second, merge, after].sort(),
      "exactly the commits reachable from the new commit and not from the running one",
    );
    assert.equal(r.commits[0]?.sha, after, "newest first");
    assert.deepEqual(bySha.get(first)?.coAuthors, ["bob@example.com"]);
    assert.equal(bySha.get(first)?.authorEmail, "dave@example.com");
    assert.equal(bySha.get(first)?.subject, "Add the login form");
    // The branch name is read from the merge commit; its keys go to every commit the merge brought in.
    assert.equal(bySha.get(first)?.branch, "feature/ABC-7-login");
    assert.equal(bySha.get(merge)?.branch, "feature/ABC-7-login");
    assert.deepEqual(bySha.get(first)?.issueKeys, ["ABC-7"]);
    assert.deepEqual(bySha.get(second)?.issueKeys, ["XYZ-2", "ABC-7"]);
    assert.equal(bySha.get(after)?.branch, undefined, "a commit made on main after the merge has no branch");
    assert.deepEqual(bySha.get(after)?.issueKeys, []);
    assert.deepEqual(r.issueKeys, ["ABC-7", "XYZ-2"]);
    assert.deepEqual(r.authors, [
      "alice@example.com",
      "bob@example.com",
      "carol@example.com",
      "ci@example.com",
      "dave@example.com",
    ]);
    assert.equal(bySha.get(merge)?.authorEmail, "ci@example.com", "git's user made the merge");
    assert.match(
      releasesSummary(r),
      /^releases 4 commits \([0-9a-f]{7} -> [0-9a-f]{7}\); issues ABC-7, XYZ-2$/,
    );
    assert.equal(
      releasedCommitLine(bySha.get(first) as NonNullable<ReturnType<typeof bySha.get>>),
      `+ ${first.slice(0, 7)} Add the login form [ABC-7] by dave@example.com, with bob@example.com`,
    );
  });

  it("shows a rollback as un-releasing the commits between", async () => {
    const r = await releasesBetween(repo.dir, { stack: "staging", from: after, to: base });
    assert.deepEqual([r.released, r.unreleased], [0, 4]);
    assert.ok(r.commits.every((c) => c.direction === "unrelease"));
    assert.match(releasesSummary(r), /^un-releases 4 commits/);
    assert.match(releasedCommitLine(r.commits[0] as (typeof r.commits)[number]), /^- /);
  });

  it("shows both sides when the running commit is on a branch the new one does not have", async () => {
    const r = await releasesBetween(repo.dir, { stack: "testing", from: stray, to: after });
    assert.deepEqual([r.released, r.unreleased], [4, 1]);
    const gone = r.commits.filter((c) => c.direction === "unrelease");
    assert.deepEqual(rows(gone), [[stray.slice(0, 7), "unrelease", undefined, ["QA-9"]]]);
  });

  it("lists at most the limit on a first deploy, and says how many more", async () => {
    const r = await releasesBetween(repo.dir, { stack: "staging", to: after, limit: 2 });
    assert.equal(r.from, undefined);
    assert.equal(r.commits.length, 2);
    assert.equal(r.released, 5, "base, the two feature commits, the merge and the fix");
    assert.equal(r.more, 3);
    assert.match(releasesSummary(r), /^first release: 5 commits up to [0-9a-f]{7}; 3 more not listed/);
  });

  it("has nothing to list when the stack runs the commit already", async () => {
    const r = await releasesBetween(repo.dir, { stack: "staging", from: after, to: after });
    assert.deepEqual([r.commits.length, r.released, r.unreleased], [0, 0, 0]);
    assert.match(releasesSummary(r), /^no new commits/);
  });

  it("reads issue keys with the stack's own pattern", async () => {
    const r = await releasesBetween(repo.dir, {
      stack: "staging",
      from: base,
      to: after,
      config: { changes: { issueKeyPattern: "XYZ-\\d+" } },
    });
    assert.deepEqual(r.issueKeys, ["XYZ-2"]);
  });

  it("refuses a range git cannot list, saying to fetch", async () => {
    await assert.rejects(
      logBetween(repo.dir, "0".repeat(40), after, 10),
      (error: Error & { tryMessage?: string }) => /git fetch/.test(error.tryMessage ?? ""),
    );
    await assert.rejects(logBetween(repo.dir, "--all", after, 10), /not a commit/);
  });

  it("tells ancestry with git merge-base --is-ancestor", async () => {
    assert.equal(await isAncestor(repo.dir, first, after), true);
    assert.equal(await isAncestor(repo.dir, stray, after), false);
    assert.equal(await isAncestor(repo.dir, "f".repeat(40), after), undefined, "an unknown commit");
  });
});

describe("changes: merge subjects and issue keys (pure)", () => {
  it("reads the merged branch from git's, GitHub's and Bitbucket's merge subjects", () => {
    // git fmt-merge-msg; GitHub's pull request merge; Bitbucket Cloud's "Merged in <branch> (pull request #n)"
    // (the forms git-graph reads: mlange-42/git-graph src/settings.rs MergePatterns).
    assert.equal(mergedBranchOf("Merge branch 'feature/ABC-1-x'"), "feature/ABC-1-x");
    assert.equal(mergedBranchOf("Merge branch 'feature/ABC-1-x' into develop"), "feature/ABC-1-x");
    assert.equal(mergedBranchOf("Merge remote-tracking branch 'origin/fix/B-2'"), "fix/B-2");
    assert.equal(mergedBranchOf("Merge pull request #12 from acme/feature/ABC-3-y"), "feature/ABC-3-y");
    assert.equal(mergedBranchOf("Merged in bugfix/ABC-4 (pull request #7)"), "bugfix/ABC-4");
    assert.equal(mergedBranchOf("Add the merge button"), undefined);
  });

  it("finds Jira-style keys by the default pattern, each once, in order", () => {
    const re = issueKeyRegExp(undefined);
    assert.equal(re.source, DEFAULT_ISSUE_KEY_PATTERN);
    assert.deepEqual(issueKeysIn("ABC-1: fix abc-2, X-1 and ABC-12 (again ABC-1), BIZPLAT-64951", re), [
      "ABC-1",
      "ABC-12",
      "BIZPLAT-64951",
    ]);
  });

  it("gives a merge's branch to what it brought in, not to the mainline", () => {
    const c = (sha: string, parents: string[], message: string) => ({
      sha: sha.repeat(40),
      parents: parents.map((p) => p.repeat(40)),
      authorName: "",
      authorEmail: "",
      date: "",
      message,
      side: "to" as const,
    });
    const branches = branchesOf([
      c("e", ["d", "c"], "Merged in feature/K-1 (pull request #1)"),
      c("d", ["a"], "on main meanwhile"),
      c("c", ["b"], "two"),
      c("b", ["a"], "one"),
    ]);
    assert.deepEqual([...branches.entries()].map(([sha, b]) => [sha[0], b]).sort(), [
      ["b", "feature/K-1"],
      ["c", "feature/K-1"],
      ["e", "feature/K-1"],
    ]);
  });

  it("accepts the default and a sane pattern; refuses an invalid, empty-matching, nested or long one", () => {
    assert.equal(issueKeyPatternProblem(DEFAULT_ISSUE_KEY_PATTERN), undefined);
    assert.equal(issueKeyPatternProblem("(?:PROJ|OPS)-\\d{1,6}"), undefined);
    assert.match(issueKeyPatternProblem("[A-Z") ?? "", /not a valid regular expression/);
    assert.match(issueKeyPatternProblem("[A-Z]*") ?? "", /must not match empty text/);
    assert.match(issueKeyPatternProblem("([A-Z]+)+-\\d+") ?? "", /quantified group/);
    assert.match(issueKeyPatternProblem("(\\d{2,})*X") ?? "", /quantified group/);
    assert.match(issueKeyPatternProblem(`${"A".repeat(200)}-\\d+`) ?? "", /at most 200 characters/);
  });

  it("reports a bad pattern in a stack config by its Pulumi key", () => {
    const text = readFileSync(new URL("../../Pulumi.testing.yaml", import.meta.url), "utf8");
    const source = "Pulumi.testing.yaml";
    assert.equal(parseStackConfigYaml(text, source).changes, undefined, "the section is optional");
    const withPattern = (pattern: string) =>
      `${text.trimEnd()}\n  flightdeck:changes:\n    issueKeyPattern: '${pattern}'\n`;
    assert.equal(parseStackConfigYaml(withPattern("OPS-\\d+"), source).changes?.issueKeyPattern, "OPS-\\d+");
    assert.throws(
      () => parseStackConfigYaml(withPattern("(a+)+"), source),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /flightdeck:changes\.issueKeyPattern: has a quantified group/);
        return true;
      },
    );
  });
});

import assert from "node:assert/strict";
import {
  authorsOfRange,
  coAuthorsOf,
  commitInfo,
  currentBranch,
  gitUserEmail,
  isReachableFrom,
  recentCommits,
  resolveCommit,
  treeState,
} from "../../automation/git.js";
import { UserError } from "../../infra/errors.js";
import { ALICE, CAROL, DAVE, TempRepo } from "./helpers.js";

describe("git", () => {
  let repo: TempRepo;
  let first: string;
  let second: string;
  let feature: string;

  before(() => {
    repo = new TempRepo();
    first = repo.commit(ALICE, "first");
    repo.git("tag", "v1.0.0");
    second = repo.commit(
      CAROL,
      "second",
      "Reviewed.\n\nCo-authored-by: Bob <Bob@Example.com>\nCo-authored-by: dave@example.com",
    );
    repo.git("checkout", "--quiet", "-b", "feature");
    feature = repo.commit(DAVE, "feature work");
    repo.git("checkout", "--quiet", "main");
  });

  describe("resolveCommit", () => {
    it("resolves a full SHA, a short SHA, a branch and a tag to the full SHA", async () => {
      assert.equal(await resolveCommit(repo.dir, first), first);
      assert.equal(await resolveCommit(repo.dir, second.slice(0, 7)), second);
      assert.equal(await resolveCommit(repo.dir, "feature"), feature);
      assert.equal(await resolveCommit(repo.dir, "v1.0.0"), first);
      assert.equal(await resolveCommit(repo.dir, "HEAD"), second);
    });

    it("names an unknown ref and suggests git fetch", async () => {
      await assert.rejects(resolveCommit(repo.dir, "no-such-branch"), (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.match(error.message, /'no-such-branch'/);
        assert.match(error.tryMessage ?? "", /git fetch/);
        return true;
      });
    });

    it("refuses something that looks like an option", async () => {
      await assert.rejects(resolveCommit(repo.dir, "--all"), UserError);
    });
  });

  describe("authorsOfRange", () => {
    it("lists authors and co-authors of a range, e-mails lower-cased", async () => {
      const range = await authorsOfRange(repo.dir, first, feature);
      assert.deepEqual(range.commits, [feature, second]);
      assert.deepEqual(range.emails, ["bob@example.com", "carol@example.com", "dave@example.com"]);
      assert.deepEqual(range.byEmail["dave@example.com"], [feature, second]);
      assert.equal(range.byEmail["alice@example.com"], undefined, "the range excludes its start");
    });

    it("takes every ancestor when nothing ran before", async () => {
      const range = await authorsOfRange(repo.dir, undefined, second);
      assert.deepEqual(range.commits, [second, first]);
      assert.ok(range.emails.includes("alice@example.com"));
    });

    it("is empty when the target is behind the start (a rollback)", async () => {
      const range = await authorsOfRange(repo.dir, second, first);
      assert.deepEqual(range.commits, []);
    });

    it("parses co-author trailers", () => {
      assert.deepEqual(
        coAuthorsOf("x\n\nCo-authored-by: A B <A@B.io>\nco-authored-by:  c@d.io \nSigned-off-by: e <e@f.io>"),
        ["a@b.io", "c@d.io"],
      );
    });
  });

  describe("reachability, tree and branch", () => {
    it("tells whether a commit is on a branch", async () => {
      assert.deepEqual(await isReachableFrom(repo.dir, first, "main"), {
        reachable: true,
        checked: ["main"],
      });
      assert.equal((await isReachableFrom(repo.dir, feature, "main")).reachable, false);
      assert.equal((await isReachableFrom(repo.dir, feature, "feature")).reachable, true);
      assert.deepEqual(await isReachableFrom(repo.dir, first, "release"), { reachable: false, checked: [] });
    });

    it("checks origin/<branch> when there is no local branch", async () => {
      const clone = new TempRepo("flightdeck-clone-");
      clone.git("remote", "add", "origin", repo.dir);
      clone.git("fetch", "--quiet", "origin");
      assert.deepEqual(await isReachableFrom(clone.dir, second, "main"), {
        reachable: true,
        checked: ["origin/main"],
      });
      assert.equal(await resolveCommit(clone.dir, "feature"), feature, "a branch only on origin resolves");
    });

    it("sees a dirty tree, including untracked files", async () => {
      assert.deepEqual(await treeState(repo.dir), { clean: true, dirty: [] });
      repo.write("second.txt", "changed\n");
      repo.write("new.txt", "untracked\n");
      try {
        const state = await treeState(repo.dir);
        assert.equal(state.clean, false);
        assert.deepEqual(state.dirty, ["new.txt", "second.txt"]);
      } finally {
        repo.git("checkout", "--", "second.txt");
        repo.git("clean", "-fq");
      }
      assert.equal((await treeState(repo.dir)).clean, true);
    });

    it("knows the current branch, and none on a detached HEAD", async () => {
      assert.equal(await currentBranch(repo.dir), "main");
      repo.git("checkout", "--quiet", "--detach", first);
      try {
        assert.equal(await currentBranch(repo.dir), undefined);
      } finally {
        repo.git("checkout", "--quiet", "main");
      }
    });

    it("reads user.email, the recent log and a commit's author", async () => {
      assert.equal(await gitUserEmail(repo.dir), "ci@example.com");
      const log = await recentCommits(repo.dir, 5);
      assert.deepEqual(
        log.map((c) => [c.shortSha, c.subject, c.authorEmail]),
        [
          [second.slice(0, 7), "second", "carol@example.com"],
          [first.slice(0, 7), "first", "alice@example.com"],
        ],
      );
      assert.equal((await commitInfo(repo.dir, feature)).authorEmail, "dave@example.com");
      assert.equal((await recentCommits(repo.dir, 1, "feature"))[0]?.sha, feature);
    });
  });
});

/**
 * reap of branch previews against real git repositories: a branch merged into main, a branch
 * deleted locally, a branch deleted on the server (seen after `git fetch --prune`), one that lives
 * only on the server, and a commit preview past its TTL; each with the reason it goes.
 *
 * git facts relied on: `git fetch --prune` removes remote-tracking refs whose branch is gone from
 * the remote (git-fetch(1), --prune); a commit is merged into main when it is an ancestor of main's
 * tip (git-merge-base(1): the merge base of an ancestor and a descendant is the ancestor).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { branchPreviewStackName } from "../../../infra/preview-names.js";
import { DAVE } from "../helpers.js";
import { RM, Setup, type World, world } from "./world.js";

describe("operations (memory engine): reap of branch previews", function () {
  this.timeout(60_000);
  let w: World;
  let s: Setup;
  const stacks = {
    live: branchPreviewStackName("feat/live"),
    merged: branchPreviewStackName("feat/merged"),
    gone: branchPreviewStackName("feat/gone"),
    remoteLive: branchPreviewStackName("feat/remote-live"),
    remoteGone: branchPreviewStackName("feat/remote-gone"),
  };
  let expired: string;

  function branch(name: string, subject: string): void {
    w.repo.git("checkout", "--quiet", "-b", name, "main");
    w.repo.commit(DAVE, subject);
    w.repo.git("checkout", "--quiet", "main");
  }

  before(async () => {
    w = world();
    const origin = mkdtempSync(join(tmpdir(), "flightdeck-origin-"));
    execFileSync("git", ["init", "--quiet", "--bare", origin]);
    w.repo.git("remote", "add", "origin", origin);
    for (const name of ["feat/live", "feat/merged", "feat/gone", "feat/remote-live", "feat/remote-gone"]) {
      branch(name, name.replace("/", " "));
    }
    // Two branches live only on the server: pushed, fetched, and the local branches deleted.
    w.repo.git("push", "--quiet", "origin", "main", "feat/remote-live", "feat/remote-gone");
    w.repo.git("fetch", "--quiet", "origin");
    w.repo.git("branch", "--quiet", "-D", "feat/remote-live", "feat/remote-gone");

    s = new Setup(w);
    for (const name of ["feat/live", "feat/merged", "feat/gone", "feat/remote-live", "feat/remote-gone"]) {
      await s.ops.previewUp({ branch: name, actor: RM });
    }
    expired = (await s.ops.previewUp({ commit: w.c1, ttl: "1h", actor: RM })).stack;

    // Then: one branch is merged, one deleted here, one deleted on the server.
    w.repo.git("merge", "--quiet", "--no-ff", "-m", "Merge branch 'feat/merged'", "feat/merged");
    w.repo.git("branch", "--quiet", "-D", "feat/gone");
    execFileSync("git", ["branch", "--quiet", "-D", "feat/remote-gone"], { cwd: origin });
    w.repo.git("fetch", "--quiet", "--prune", "origin");
    s.clock = new Date("2026-11-21T16:00:00.000Z");
  });

  const whyExpected = () => ({
    [stacks.merged]: "branch feat/merged merged into main",
    [stacks.gone]: "branch feat/gone deleted",
    [stacks.remoteGone]: "branch feat/remote-gone deleted",
    [expired]: "expired 3h ago",
  });

  it("says why each preview goes, on a dry run and in the list, and touches nothing", async () => {
    const dry = await s.ops.reap({ dryRun: true });
    assert.deepEqual(dry.reasons, whyExpected());
    assert.deepEqual([...dry.candidates].sort(), Object.keys(whyExpected()).sort());
    const skipped = s.events.filter((e) => e.type === "item" && e.status === "skipped");
    const gone = skipped.find((e) => e.type === "item" && e.stack === stacks.gone);
    assert.match(
      gone?.type === "item" ? (gone.message ?? "") : "",
      /dry run: would destroy and remove \(branch feat\/gone deleted\)/,
    );
    for (const stack of Object.values(stacks)) assert.equal(s.engine.has(stack), true);

    const list = await s.ops.previewList();
    const goes = Object.fromEntries(list.filter((p) => p.goes).map((p) => [p.stack, p.goes]));
    assert.deepEqual(goes, whyExpected());
    assert.equal(
      list.find((p) => p.stack === stacks.remoteLive)?.goes,
      undefined,
      "a branch only on origin lives",
    );
  });

  it("destroys merged and deleted branches' previews and expired commit previews, keeps the live ones", async () => {
    const result = await s.ops.reap({});
    assert.deepEqual([...result.destroyed].sort(), Object.keys(whyExpected()).sort());
    assert.deepEqual(result.failed, []);
    for (const stack of Object.keys(whyExpected())) assert.equal(s.engine.has(stack), false, stack);
    assert.equal(s.engine.has(stacks.live), true);
    assert.equal(s.engine.has(stacks.remoteLive), true);
    const started = s.events.filter(
      (e) => e.type === "item" && e.status === "started" && e.stack === stacks.merged,
    );
    assert.equal(started.length, 1);
    assert.equal(
      started[0]?.type === "item" ? started[0].message : "",
      "branch feat/merged merged into main",
    );
  });
});

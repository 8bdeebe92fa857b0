/**
 * What git says about a branch preview's branch: its newest commit, and whether
 * it still exists or has been merged into `main`. Read from the repository as it
 * is (the nightly reap fetches with `--prune` first, so a branch deleted on the
 * server is gone from `origin/` too).
 */
import { UserError } from "../infra/errors.js";
import { isReachableFrom, refCommit } from "./git.js";

/** The branch every finished branch is merged into. */
export const MAIN_BRANCH = "main";

/** The branch's newest commit: the local branch's tip, else `origin/<branch>`'s; undefined when neither exists. */
export async function branchTip(dir: string, branch: string): Promise<string | undefined> {
  if (branch.startsWith("-")) return undefined;
  return (
    (await refCommit(dir, `refs/heads/${branch}`)) ?? (await refCommit(dir, `refs/remotes/origin/${branch}`))
  );
}

/** The newest commit of a branch a preview is asked for, or the user error naming it (exit 2). */
export async function requireBranchTip(dir: string, branch: string): Promise<string> {
  const tip = await branchTip(dir, branch);
  if (tip) return tip;
  throw new UserError(`'${branch}' is not a branch of this repository (locally or as origin/${branch})`, {
    tryMessage: "Check the spelling, or run `git fetch origin` if it was pushed from elsewhere.",
    nextSteps: ["`flightdeck preview up --commit <ref>` previews a single commit instead."],
  });
}

/** Why a branch preview should go: its branch is gone, or merged into main; undefined while it lives. */
export type BranchEnd = { kind: "deleted" } | { kind: "merged"; into: string };

export async function branchEnd(dir: string, branch: string): Promise<BranchEnd | undefined> {
  if (branch === MAIN_BRANCH) return undefined;
  const tip = await branchTip(dir, branch);
  if (!tip) return { kind: "deleted" };
  // Merged: the branch's tip is reachable from main (`main` or `origin/main`).
  const reach = await isReachableFrom(dir, tip, MAIN_BRANCH);
  return reach.reachable ? { kind: "merged", into: reach.checked.join(" / ") || MAIN_BRANCH } : undefined;
}

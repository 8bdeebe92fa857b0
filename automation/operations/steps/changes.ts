/**
 * The step that says what a release brings: the commits between what the
 * stack runs and the new commit (`changes.ts`), announced as one step carrying
 * the list (`releases`), then one step per commit, so every renderer and the
 * log show them. Git failing to list them (a shallow clone without the old
 * commit) is a warning: it never stops a deploy.
 */
import { loadStackConfig, type StackConfig } from "../../../infra/config.js";
import { UserError } from "../../../infra/errors.js";
import type { DeployResult, ReleasesInput } from "../../api.js";
import { releasedCommitLine, releasesBetween, releasesSummary } from "../../changes.js";
import type { Releases } from "../../events.js";
import { resolveCommit } from "../../git.js";
import type { OperationContext, Outcome } from "../../run.js";
import type { UpdateRecord } from "../../engine.js";
import type { Context } from "../context.js";
import { historyOrEmpty, runningCommit } from "./read-stack.js";
import { type Release, release } from "./release.js";

export interface ChangesOf {
  stack: string;
  /** What the stack runs now (undefined: nothing yet). */
  from?: string;
  to: string;
  /** The stack's config, for its issue key pattern. */
  config?: Pick<StackConfig, "changes">;
}

export async function changesOf(
  ctx: Context,
  op: OperationContext,
  c: ChangesOf,
): Promise<Releases | undefined> {
  let releases: Releases;
  try {
    releases = await releasesBetween(ctx.projectDir, c);
  } catch (error) {
    op.emit({
      type: "diagnostic",
      severity: "warning",
      message: `cannot list the commits this releases to ${c.stack}: ${(error as Error).message}`,
    });
    return undefined;
  }
  op.emit({ type: "step", message: `${c.stack}: ${releasesSummary(releases)}`, releases });
  for (const commit of releases.commits)
    op.emit({ type: "step", message: `  ${releasedCommitLine(commit)}` });
  return releases;
}

/** A release's outcome with the list of what it released in its data (and so in the result event). */
function withReleases(outcome: Outcome<DeployResult>, releases: Releases | undefined): Outcome<DeployResult> {
  return releases ? { ...outcome, data: { ...outcome.data, releases } } : outcome;
}

/**
 * A deploy, promotion or rollback: the commits it brings to `r.stack` (from
 * what `target`, that stack's history, says runs) announced, then the release;
 * its result carries the list.
 */
export async function releaseWithChanges(
  ctx: Context,
  op: OperationContext,
  r: Release,
  target: UpdateRecord[],
): Promise<Outcome<DeployResult>> {
  const releases = await changesOf(ctx, op, {
    stack: r.stack,
    from: runningCommit(target),
    to: r.commit,
    config: r.config,
  });
  return withReleases(await release(ctx, op, r), releases);
}

/**
 * What a deploy, promotion or rollback would release, read before it runs (its
 * confirmation): the target's running commit from its history, the new commit
 * from git (deploy, rollback) or from the source's history (promote). Nothing
 * is emitted or changed.
 */
export async function pendingReleases(ctx: Context, input: ReleasesInput): Promise<Releases> {
  const config = await loadStackConfig(ctx.projectDir, input.stack).catch(() => undefined);
  const from = runningCommit(await historyOrEmpty(ctx, input.stack));
  let to: string | undefined;
  if (input.operation === "promote") {
    if (input.from === undefined) throw new UserError("a promotion needs the environment it promotes from");
    to = runningCommit(await historyOrEmpty(ctx, input.from));
    if (to === undefined) {
      throw new UserError(`${input.from} runs nothing yet, so there is nothing to promote`, {
        tryMessage: `Deploy ${input.from} first: \`flightdeck deploy ${input.from} --commit <ref>\`.`,
      });
    }
  } else {
    to = await resolveCommit(ctx.projectDir, input.commit ?? "HEAD");
  }
  return releasesBetween(ctx.projectDir, {
    stack: input.stack,
    ...(from ? { from } : {}),
    to,
    ...(config ? { config } : {}),
  });
}

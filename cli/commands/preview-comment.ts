/**
 * `flightdeck preview comment REF`: the preview's URL on its open Bitbucket pull
 * request(s), one comment each, updated on every run (see
 * automation/bitbucket-pr.ts). Exit 0: posted, updated, unchanged, or no open
 * pull request; 2: BITBUCKET_PR_TOKEN (or the workspace, repository) not set;
 * 1: Bitbucket did not take it (refused token, network, timeout).
 */
import type { CommandOf } from "../parsed-command.js";
import { requireProject, type RunContext, runOperation } from "../run.js";

export function previewComment(ctx: RunContext, cmd: CommandOf<"preview comment">): Promise<number> {
  requireProject(ctx.projectDir);
  return runOperation(ctx, undefined, (ops) => ops.previewComment({ ref: cmd.ref }));
}

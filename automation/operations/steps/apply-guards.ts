/**
 * Applying guards: every verdict is emitted as a `guard` event, and the first
 * refusal stops the operation (exit 3). Production protection first gathers
 * only the facts the stack's rules need (reachability, tree state, authors).
 */
import type { StackConfig } from "../../../infra/config.js";
import type { Actor } from "../../api.js";
import type { UpdateRecord } from "../../engine.js";
import { authorsOfRange, isReachableFrom, treeState } from "../../git.js";
import { type GuardDecision, guardError, protectionDecisions } from "../../guards.js";
import type { OperationContext } from "../../run.js";
import type { Context } from "../context.js";
import { runningCommit } from "./read-stack.js";

export function applyGuards(op: OperationContext, decisions: GuardDecision[]): void {
  for (const d of decisions) op.emit({ type: "guard", guard: d.guard, allowed: d.allowed, reason: d.reason });
  const refused = decisions.find((d) => !d.allowed);
  if (refused) throw guardError(refused);
}

/** Gather only the facts the stack's protection rules need, then decide. */
export async function protectionGuards(
  ctx: Context,
  op: OperationContext,
  stack: string,
  config: StackConfig,
  commit: string,
  actor: Actor,
  history: UpdateRecord[],
): Promise<void> {
  const p = config.protection;
  const running = runningCommit(history);
  const [reachability, tree, authors] = await Promise.all([
    p.allowedBranch ? isReachableFrom(ctx.projectDir, commit, p.allowedBranch) : undefined,
    p.requireCleanTree ? treeState(ctx.projectDir) : undefined,
    p.separationOfDuties ? authorsOfRange(ctx.projectDir, running, commit) : undefined,
  ]);
  applyGuards(
    op,
    protectionDecisions({
      stack,
      commit,
      actor: actor.id,
      protection: p,
      reachability,
      tree,
      runningCommit: running,
      authors,
    }),
  );
}

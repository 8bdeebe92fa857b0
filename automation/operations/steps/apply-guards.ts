/**
 * Applying guards: every verdict is emitted as a `guard` event, and the first
 * refusal stops the operation (exit 3). Protection first reads the rules
 * (production's from the rules branch), then gathers only the facts they need
 * (reachability, tree state, authors).
 */
import type { StackConfig } from "../../../infra/config.js";
import type { Actor } from "../../api.js";
import type { UpdateRecord } from "../../engine.js";
import { authorsOfRange, isReachableFrom, treeState } from "../../git.js";
import { type GuardDecision, guardError, protectionDecisions, protectionRulesGuard } from "../../guards.js";
import type { OperationContext } from "../../run.js";
import type { Context } from "../context.js";
import { protectionRulesOf } from "./protection-rules.js";
import { runningCommit } from "./read-stack.js";

export function applyGuards(op: OperationContext, decisions: GuardDecision[]): void {
  for (const d of decisions) op.emit({ type: "guard", guard: d.guard, allowed: d.allowed, reason: d.reason });
  const refused = decisions.find((d) => !d.allowed);
  if (refused) throw guardError(refused);
}

/**
 * Decide a release to `stack` under its rules (production's as committed on
 * the rules branch), gathering only the facts they need.
 */
export async function protectionGuards(
  ctx: Context,
  op: OperationContext,
  stack: string,
  config: StackConfig,
  commit: string,
  actor: Actor,
  history: UpdateRecord[],
): Promise<void> {
  const { protection: p, rules } = await protectionRulesOf(ctx, stack, config);
  if (rules && !rules.source.found) applyGuards(op, [protectionRulesGuard({ stack, ...rules })]);
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
      actor,
      protection: p,
      rules,
      reachability,
      tree,
      runningCommit: running,
      authors,
    }),
  );
}

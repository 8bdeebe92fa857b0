/**
 * rollback ENV REF: release again a commit that ran successfully on ENV, with
 * the image recorded then (read from the stack's own history). Guards: that
 * recorded success (rollback-history), then ENV's protection.
 */
import { isShaPrefix } from "../../infra/naming.js";
import type { DeployResult, RollbackInput } from "../api.js";
import { recordedRelease } from "../config-map.js";
import type { UpdateRecord } from "../engine.js";
import { rollbackGuard } from "../history-guards.js";
import { verdictsOf } from "../rollout-verdicts.js";
import type { OperationContext } from "../run.js";
import type { Context } from "./context.js";
import { applyGuards, protectionGuards } from "./steps/apply-guards.js";
import { releaseWithChanges } from "./steps/changes.js";
import { historyOrEmpty } from "./steps/read-stack.js";
import { actorOf, commitOf, environmentConfig } from "./steps/resolve.js";

export function rollback(ctx: Context, input: RollbackInput): Promise<DeployResult> {
  return ctx.run("rollback", { stack: input.env }, async (op) => {
    const config = await environmentConfig(ctx, op, input.env);
    const actor = await actorOf(ctx, op, input.actor);
    const history = await historyOrEmpty(ctx, input.env);
    const commit = await rollbackCommit(ctx, op, input.commit, history);
    const verdicts = await verdictsOf(ctx.engine, input.env);
    const target = rollbackGuard({ stack: input.env, commit, history, verdicts });
    applyGuards(op, [target.decision]);
    await protectionGuards(ctx, op, input.env, config, commit, actor, history);
    const imageId = target.imageId as string;
    op.emit({
      type: "step",
      message: `rolling back to the image recorded in update ${target.record?.version}: ${imageId}`,
    });
    return releaseWithChanges(
      ctx,
      op,
      { stack: input.env, config, commit, imageId, actor, operation: "rollback" },
      history,
    );
  });
}

async function rollbackCommit(
  ctx: Context,
  op: OperationContext,
  ref: string,
  history: UpdateRecord[],
): Promise<string> {
  try {
    return await commitOf(ctx, op, ref);
  } catch (error) {
    // A shallow CI clone may lack an old commit: a SHA prefix that history knows is enough.
    if (isShaPrefix(ref)) {
      const known = [
        ...new Set(history.map((r) => recordedRelease(r.config).commit).filter((c): c is string => !!c)),
      ];
      const matches = known.filter((c) => c.startsWith(ref.toLowerCase()));
      if (matches.length === 1) return matches[0] as string;
    }
    throw error;
  }
}

/**
 * promote FROM TO: release to TO exactly the commit and image FROM runs now (no
 * image lookup). Guards: FROM's last update succeeded (promote-source), then
 * TO's protection, as for a deploy.
 */
import { UserError } from "../../infra/errors.js";
import type { DeployResult, PromoteInput } from "../api.js";
import { requireEnvironmentFile } from "../environments.js";
import { promoteGuard } from "../history-guards.js";
import { verdictsOf } from "../rollout-verdicts.js";
import type { Context } from "./context.js";
import { applyGuards, protectionGuards } from "./steps/apply-guards.js";
import { releaseWithChanges } from "./steps/changes.js";
import { historyOrEmpty } from "./steps/read-stack.js";
import { actorOf, environmentConfig } from "./steps/resolve.js";

export function promote(ctx: Context, input: PromoteInput): Promise<DeployResult> {
  return ctx.run("promote", { stack: input.to }, async (op) => {
    if (input.from === input.to) throw new UserError(`cannot promote ${input.from} to itself`);
    const config = await environmentConfig(ctx, op, input.to);
    // The source must be an environment; one that never ran is refused by the guard (exit 3).
    await requireEnvironmentFile(ctx.projectDir, input.from);
    const actor = await actorOf(ctx, op, input.actor);
    const source = promoteGuard({
      from: input.from,
      to: input.to,
      history: await historyOrEmpty(ctx, input.from),
      verdicts: await verdictsOf(ctx.engine, input.from),
    });
    applyGuards(op, [source.decision]);
    const commit = source.commit as string;
    const imageId = source.imageId as string;
    const target = await historyOrEmpty(ctx, input.to);
    await protectionGuards(ctx, op, input.to, config, commit, actor, target);
    return releaseWithChanges(
      ctx,
      op,
      { stack: input.to, config, commit, imageId, actor, operation: "promote", from: input.from },
      target,
    );
  });
}

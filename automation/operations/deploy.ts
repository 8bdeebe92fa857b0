/**
 * deploy ENV [--commit REF]: release a commit (default HEAD) to an environment,
 * with the universal image built for it. Guards: the environment's protection
 * (allowed branch, clean tree, allowed deployer, separation of duties).
 */
import type { DeployInput, DeployResult } from "../api.js";
import type { Context } from "./context.js";
import { protectionGuards } from "./steps/apply-guards.js";
import { releaseWithChanges } from "./steps/changes.js";
import { historyOrEmpty } from "./steps/read-stack.js";
import { actorOf, commitOf, environmentConfig, imageFor } from "./steps/resolve.js";

export function deploy(ctx: Context, input: DeployInput): Promise<DeployResult> {
  return ctx.run("deploy", { stack: input.env }, async (op) => {
    const config = await environmentConfig(ctx, op, input.env);
    const actor = await actorOf(ctx, op, input.actor);
    const commit = await commitOf(ctx, op, input.commit);
    const history = await historyOrEmpty(ctx, input.env);
    await protectionGuards(ctx, op, input.env, config, commit, actor, history);
    const imageId = await imageFor(ctx, op, commit, config.region);
    return releaseWithChanges(
      ctx,
      op,
      { stack: input.env, config, commit, imageId, actor, operation: "deploy" },
      history,
    );
  });
}

/**
 * Resolving what a button acts on, each announced as a step: the committed
 * environment config, the actor, the commit and the commit's image.
 */
import { loadStackConfig, type StackConfig, stackConfigFileName } from "../../../infra/config.js";
import { shortSha } from "../../../infra/naming.js";
import { resolveActor } from "../../actor.js";
import type { Actor } from "../../api.js";
import { requireEnvironmentFile } from "../../environments.js";
import { gitUserEmail, resolveCommit } from "../../git.js";
import type { OperationContext } from "../../run.js";
import type { Context } from "../context.js";

/** Who runs the operation: the flag, the CI's identity, `FLIGHTDECK_ACTOR` or git's user.email. */
export function actorOf(ctx: Context, flag: string | undefined): Promise<Actor> {
  return resolveActor(flag, ctx.env, () => gitUserEmail(ctx.projectDir));
}

/** A ref (default HEAD) as the full SHA. */
export async function commitOf(ctx: Context, op: OperationContext, ref: string | undefined): Promise<string> {
  const sha = await resolveCommit(ctx.projectDir, ref ?? "HEAD");
  const named = ref ?? "HEAD";
  op.emit({ type: "step", message: named === sha ? `commit ${sha}` : `commit ${named} is ${sha}` });
  return sha;
}

/** The environment's committed `Pulumi.<stack>.yaml`, validated by the one schema. */
export async function environmentConfig(
  ctx: Context,
  op: OperationContext,
  stack: string,
): Promise<StackConfig> {
  await requireEnvironmentFile(ctx.projectDir, stack);
  const config = await loadStackConfig(ctx.projectDir, stack);
  op.emit({
    type: "step",
    message: `${stackConfigFileName(stack)} is valid (${config.environment}, ${config.region})`,
  });
  return config;
}

/** The universal image built for the commit, in the stack's region. */
export async function imageFor(
  ctx: Context,
  op: OperationContext,
  commit: string,
  region: string,
): Promise<string> {
  const imageId = await ctx.images.imageFor(commit, region);
  op.emit({ type: "step", message: `image for ${shortSha(commit)} in ${region}: ${imageId}` });
  return imageId;
}

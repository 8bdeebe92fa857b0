/**
 * Releasing a commit to a stack, the last step of every deploy-like button:
 * record `flightdeck:image` = {commit, amiId} and `flightdeck:release` =
 * {actor, operation, at, from?, verified} in the stack config, then run `up`.
 * An unverified actor (a terminal's git e-mail) is recorded, and named, as such.
 */
import type { ReleaseInfo, StackConfig } from "../../../infra/config.js";
import { shortSha } from "../../../infra/naming.js";
import type { Actor, DeployResult } from "../../api.js";
import { configMapOf } from "../../config-map.js";
import type { OperationContext, Outcome } from "../../run.js";
import type { Context } from "../context.js";
import { urlOf } from "./read-stack.js";
import { runUpdate, throwIfAborted } from "./run-update.js";

export interface Release {
  stack: string;
  config: StackConfig;
  commit: string;
  imageId: string;
  actor: Actor;
  operation: ReleaseInfo["operation"];
  from?: string;
}

export async function release(
  ctx: Context,
  op: OperationContext,
  r: Release,
): Promise<Outcome<DeployResult>> {
  const at = ctx.now();
  const info: ReleaseInfo = {
    actor: r.actor.id,
    operation: r.operation,
    at: at.toISOString(),
    ...(r.from ? { from: r.from } : {}),
    verified: r.actor.verified,
  };
  const by = `${r.actor.id}${r.actor.verified ? "" : " (unverified)"}`;
  const config: StackConfig = { ...r.config, image: { commit: r.commit, amiId: r.imageId }, release: info };
  throwIfAborted(ctx, r.stack);
  await ctx.engine.ensureStack(r.stack);
  await ctx.engine.setConfig(r.stack, configMapOf(config as unknown as Record<string, unknown>));
  op.emit({
    type: "step",
    message: `recorded on ${r.stack}: ${shortSha(r.commit)} with ${r.imageId}, ${r.operation} by ${by}`,
    release: { commit: r.commit, imageId: r.imageId, actor: r.actor.id },
  });
  const verb = r.operation === "promote" ? `promote from ${r.from}` : r.operation;
  const result = await runUpdate(ctx, op, r.stack, `flightdeck ${verb} ${shortSha(r.commit)} by ${by}`, (o) =>
    ctx.engine.up(r.stack, o),
  );
  const url = urlOf(result.outputs);
  const data: DeployResult = {
    stack: r.stack,
    commit: r.commit,
    imageId: r.imageId,
    actor: r.actor.id,
    ...(url ? { url } : {}),
    changes: result.changes,
    durationMs: ctx.now().getTime() - at.getTime(),
  };
  return {
    data,
    summary: `${r.stack} runs ${shortSha(r.commit)} (${r.imageId})${url ? ` at ${url}` : ""}`,
    stack: r.stack,
    url,
    changes: result.changes,
  };
}

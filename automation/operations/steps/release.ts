/**
 * Releasing a commit to a stack, the last step of every deploy-like button:
 *
 * 1. the release phase (migrations once, on a one-shot machine from the new
 *    image, before any serving instance is replaced: `release-phase.ts`);
 * 2. record `flightdeck:image` = {commit, amiId} and `flightdeck:release` =
 *    {actor, operation, at, from?, verified} in the stack config, then `up`
 *    (a stack another update holds gets its previous values back: a refused
 *    deploy changes nothing);
 * 3. the verified rollout (`rollout.ts`): refreshes, target health, the URL
 *    serving the commit. Its verdict is recorded beside the stack
 *    (`rollout-verdicts.ts`); only a verified rollout is a success.
 *
 * A stack's first deploy has nothing serving and no release machine settings
 * yet: its release phase runs right after `up` creates the environment, before
 * the rollout is verified. A preview runs its release on its own machine
 * (the all-in-one role), so neither phase runs here for it.
 */
import type { ReleaseInfo, StackConfig } from "../../../infra/config.js";
import { durationMs } from "../../../infra/config/duration.js";
import { shortSha } from "../../../infra/naming.js";
import type { Actor, DeployResult } from "../../api.js";
import { configMapOf } from "../../config-map.js";
import { type ConfigMap, type OutputMap, StackLockedError, StackNotFoundError } from "../../engine.js";
import { recordVerdict, releaseId, type RolloutChecks } from "../../rollout-verdicts.js";
import type { OperationContext, Outcome } from "../../run.js";
import type { Context } from "../context.js";
import { urlOf } from "./read-stack.js";
import {
  ReleaseFailedError,
  releaseLaunchOf,
  releasePhase,
  type ReleasePhaseOutcome,
} from "./release-phase.js";
import { RolloutFailedError, rolloutTargetsOf, verifyRollout } from "./rollout.js";
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

async function outputsOrNone(ctx: Context, stack: string): Promise<OutputMap | undefined> {
  try {
    return await ctx.engine.outputs(stack);
  } catch (error) {
    if (error instanceof StackNotFoundError) return undefined;
    throw error;
  }
}

/** Set the release's config; if `up` then finds the stack locked, put the previous values back. */
async function recordRelease(ctx: Context, stack: string, values: ConfigMap): Promise<() => Promise<void>> {
  await ctx.engine.ensureStack(stack);
  const before = await ctx.engine.getConfig(stack);
  await ctx.engine.setConfig(stack, values);
  const previous: ConfigMap = {};
  for (const key of Object.keys(values)) if (before[key]) previous[key] = before[key];
  return async () => {
    if (Object.keys(previous).length > 0) await ctx.engine.setConfig(stack, previous);
  };
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
  const verifies = r.operation !== "preview";
  const releaseTimeoutMs = durationMs(r.config.deploy.releaseTimeout) ?? 15 * 60_000;
  const phaseInput = {
    stack: r.stack,
    commit: r.commit,
    imageId: r.imageId,
    timeoutMs: releaseTimeoutMs,
    claimedBy: `${by} at ${info.at}`,
  };
  throwIfAborted(ctx, r.stack);

  let phase: ReleasePhaseOutcome | undefined;
  const launchBefore = verifies ? releaseLaunchOf(await outputsOrNone(ctx, r.stack)) : undefined;
  if (launchBefore) {
    try {
      phase = await releasePhase(ctx, op, { ...phaseInput, launch: launchBefore });
    } catch (error) {
      // No update will run, so Pulumi's history will not show this deploy: its record does.
      if (error instanceof ReleaseFailedError) {
        await recordVerdict(ctx.engine, {
          release: releaseId(info.at, r.commit),
          stack: r.stack,
          commit: r.commit,
          imageId: r.imageId,
          verdict: "failed",
          stage: "release",
          actor: by,
          reason: error.message,
          at: ctx.now().toISOString(),
        }).catch(() => undefined);
      }
      throw error;
    }
  }

  const restore = await recordRelease(
    ctx,
    r.stack,
    configMapOf(config as unknown as Record<string, unknown>),
  );
  op.emit({
    type: "step",
    message: `recorded on ${r.stack}: ${shortSha(r.commit)} with ${r.imageId}, ${r.operation} by ${by}`,
    release: { commit: r.commit, imageId: r.imageId, actor: r.actor.id },
  });
  const verb = r.operation === "promote" ? `promote from ${r.from}` : r.operation;
  let result;
  try {
    result = await runUpdate(ctx, op, r.stack, `flightdeck ${verb} ${shortSha(r.commit)} by ${by}`, (o) =>
      ctx.engine.up(r.stack, o),
    );
  } catch (error) {
    if (error instanceof StackLockedError) await restore();
    throw error;
  }
  const url = urlOf(result.outputs);
  let checks: RolloutChecks | undefined;
  if (verifies) checks = await verify(ctx, op, r, at, result.outputs, phase, phaseInput);
  const data: DeployResult = {
    stack: r.stack,
    commit: r.commit,
    imageId: r.imageId,
    actor: r.actor.id,
    ...(url ? { url } : {}),
    changes: result.changes,
    durationMs: ctx.now().getTime() - at.getTime(),
    ...(checks ? { verification: checks } : {}),
  };
  return {
    data,
    summary: `${r.stack} runs ${shortSha(r.commit)} (${r.imageId})${url ? ` at ${url}` : ""}${checkedSummary(checks)}`,
    stack: r.stack,
    url,
    changes: result.changes,
  };
}

function checkedSummary(checks: RolloutChecks | undefined): string {
  if (!checks) return "";
  return checks.nothingToRollOut
    ? `, nothing to roll out (${checks.nothingToRollOut})`
    : ", rollout verified";
}

/** The first deploy's release phase, then the rollout checks; the verdict is recorded either way. */
async function verify(
  ctx: Context,
  op: OperationContext,
  r: Release,
  at: Date,
  outputs: OutputMap | undefined,
  phaseBefore: ReleasePhaseOutcome | undefined,
  phaseInput: Omit<Parameters<typeof releasePhase>[2], "launch">,
): Promise<RolloutChecks> {
  const verdict = {
    release: releaseId(at.toISOString(), r.commit),
    stack: r.stack,
    commit: r.commit,
    imageId: r.imageId,
  };
  try {
    if (r.config.environment === "previews") {
      // The previews' shared base (network, load balancer, certificate) has no release task and no
      // servers: the update is the whole deploy, and that is what the verdict says.
      const checks: RolloutChecks = {
        instancesReplaced: 0,
        groups: [],
        nothingToRollOut: "the previews' shared base runs no servers",
      };
      op.emit({
        type: "step",
        message: `${r.stack} runs no servers (the previews' shared base): no release phase or rollout to wait for`,
      });
      await recordVerdict(ctx.engine, {
        ...verdict,
        verdict: "verified",
        at: ctx.now().toISOString(),
        checks,
      });
      return checks;
    }
    let phase = phaseBefore;
    let releasePhaseState: RolloutChecks["releasePhase"] = phase?.ran;
    if (!phase) {
      const launch = releaseLaunchOf(outputs);
      if (launch) {
        op.emit({
          type: "step",
          message: `first deploy of ${r.stack}: its release phase runs now that the environment exists`,
        });
        phase = await releasePhase(ctx, op, { ...phaseInput, launch });
        releasePhaseState = phase.ran;
      }
    }
    const targets = rolloutTargetsOf(outputs);
    if (!targets) {
      throw new RolloutFailedError(
        r.stack,
        r.commit,
        "the stack's outputs name no region and auto scaling groups, so there is no rollout to verify",
      );
    }
    const rollout = await verifyRollout(ctx, op, {
      stack: r.stack,
      commit: r.commit,
      targets,
      since: at,
      timeoutMs: durationMs(r.config.deploy.rolloutTimeout) ?? 30 * 60_000,
    });
    const checks: RolloutChecks = {
      ...rollout,
      ...(releasePhaseState ? { releasePhase: releasePhaseState } : {}),
      ...(phase ? { releaseMs: phase.durationMs } : {}),
    };
    await recordVerdict(ctx.engine, { ...verdict, verdict: "verified", at: ctx.now().toISOString(), checks });
    return checks;
  } catch (error) {
    const reason = (error as Error).message;
    await recordVerdict(ctx.engine, {
      ...verdict,
      verdict: "failed",
      ...(error instanceof ReleaseFailedError ? { stage: "release" as const } : {}),
      reason,
      at: ctx.now().toISOString(),
    }).catch(() => undefined);
    throw error;
  }
}

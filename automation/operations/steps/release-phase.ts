/**
 * The release phase: the new image's `release` role runs the application's
 * migrations and release hook once, on a one-shot machine, before any serving
 * instance is replaced (Heroku's release phase). The machine writes its
 * outcome to an SSM parameter per stack and commit
 * (images/files/flightdeck-release); this step reads it.
 *
 * Exactly once: the parameter is created with SSM PutParameter's
 * `Overwrite=false` before the machine starts ("ParameterAlreadyExists" when
 * it exists: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html),
 * so of two concurrent deploys one starts the machine and the other waits for
 * its outcome; a re-run of a commit whose release succeeded skips it and says
 * so. A release that failed before may be run again: the new claim replaces it.
 */
import { ExitCode, UserError } from "../../../infra/errors.js";
import { shortSha } from "../../../infra/naming.js";
import { parseUserData, renderUserData, USERDATA_HEADER } from "../../../infra/userdata.js";
import { type ReleaseLaunch, type ReleaseStatus, releaseParameter } from "../../cloud.js";
import type { OutputMap } from "../../engine.js";
import type { OperationContext } from "../../run.js";
import type { Context } from "../context.js";
import { pause } from "./rollout.js";

/** How often the release parameter is read while the machine works. */
export const RELEASE_POLL_MS = 5_000;

export class ReleaseFailedError extends UserError {
  constructor(stack: string, commit: string, detail: string, logTail: string[] = []) {
    super(`the release phase of ${shortSha(commit)} on ${stack} failed: ${detail}`, {
      tryMessage:
        "Nothing was replaced: the stack still runs its previous commit. Fix the migration or release hook, build the image again, and deploy again.",
      nextSteps: logTail.length > 0 ? [`The release log ended with:\n${logTail.join("\n")}`] : [],
      exitCode: ExitCode.failed,
    });
    this.name = "ReleaseFailedError";
  }
}

export interface ReleasePhaseInput {
  stack: string;
  commit: string;
  imageId: string;
  launch: ReleaseLaunch;
  timeoutMs: number;
  /** Who claims the release (recorded in the parameter). */
  claimedBy: string;
}

export type ReleasePhaseOutcome = { ran: "ran" | "skipped"; status: ReleaseStatus; durationMs: number };

/** The stack's `releaseTask` output: where the release machine boots; absent before the first deploy. */
export function releaseLaunchOf(outputs: OutputMap | undefined): ReleaseLaunch | undefined {
  const value = outputs?.releaseTask?.value as Partial<ReleaseLaunch> | undefined;
  if (!value || typeof value !== "object") return undefined;
  const ok =
    typeof value.region === "string" &&
    Array.isArray(value.subnetIds) &&
    value.subnetIds.length > 0 &&
    Array.isArray(value.securityGroupIds) &&
    typeof value.instanceProfileArn === "string" &&
    typeof value.instanceType === "string" &&
    typeof value.userData === "string" &&
    value.userData.startsWith(USERDATA_HEADER);
  return ok ? (value as ReleaseLaunch) : undefined;
}

/** The release role's user-data for `commit`, with the parameter its outcome goes to. */
export function releaseUserData(launch: ReleaseLaunch, commit: string, parameter: string): string {
  const values = parseUserData(launch.userData);
  const {
    role: _role,
    environment = "",
    stack = "",
    commit: _old,
    region = launch.region,
    ...settings
  } = values;
  return renderUserData({
    role: "release",
    environment,
    stack,
    commit,
    region,
    settings: { ...settings, release_status_parameter: parameter },
  });
}

export async function releasePhase(
  ctx: Context,
  op: OperationContext,
  input: ReleasePhaseInput,
): Promise<ReleasePhaseOutcome> {
  const { stack, commit, launch } = input;
  const parameter = releaseParameter(stack, commit);
  const region = launch.region;
  const started = ctx.now().getTime();
  const emit = (
    status: "waiting" | "progress" | "done" | "failed" | "skipped",
    message: string,
    logTail?: string[],
  ) =>
    op.emit({ type: "rollout", stack, phase: "release", status, message, ...(logTail ? { logTail } : {}) });

  const existing = await ctx.cloud.releaseStatus(region, parameter);
  if (existing?.status === "succeeded") {
    emit(
      "skipped",
      `release phase of ${shortSha(commit)} already succeeded on ${stack}${existing.finishedAt ? ` at ${existing.finishedAt}` : ""}: not run again`,
    );
    return { ran: "skipped", status: existing, durationMs: 0 };
  }
  const claim: ReleaseStatus = {
    commit,
    stack,
    status: "pending",
    claimedBy: input.claimedBy,
    startedAt: ctx.now().toISOString(),
  };
  let mine: boolean;
  if (existing === undefined) {
    mine = await ctx.cloud.claimRelease(region, parameter, claim);
  } else if (existing.status === "failed") {
    // A failed release may run again; the replaced claim is read back to find who won a race.
    await ctx.cloud.putReleaseStatus(region, parameter, claim);
    mine = (await ctx.cloud.releaseStatus(region, parameter))?.claimedBy === input.claimedBy;
  } else {
    mine = false;
  }
  if (mine) {
    let instanceId: string;
    try {
      instanceId = await ctx.cloud.startReleaseMachine(
        launch,
        input.imageId,
        releaseUserData(launch, commit, parameter),
        { "flightdeck:stack": stack, "flightdeck:role": "release", "flightdeck:commit": commit },
      );
    } catch (error) {
      const reason = `the release machine could not start: ${(error as Error).message}`;
      await ctx.cloud.putReleaseStatus(region, parameter, {
        ...claim,
        status: "failed",
        finishedAt: ctx.now().toISOString(),
        logTail: [reason],
      });
      emit("failed", reason);
      throw new ReleaseFailedError(stack, commit, reason);
    }
    emit(
      "waiting",
      `release phase: migrations of ${shortSha(commit)} running on ${instanceId} (${input.imageId})`,
    );
  } else {
    emit(
      "waiting",
      `release phase: another deploy (${existing?.claimedBy ?? "a concurrent one"}) runs the migrations of ${shortSha(commit)}; waiting for its outcome`,
    );
  }
  return { ran: "ran", ...(await waitForOutcome(ctx, input, parameter, started, emit)) };
}

async function waitForOutcome(
  ctx: Context,
  input: ReleasePhaseInput,
  parameter: string,
  started: number,
  emit: (status: "progress" | "done" | "failed", message: string, logTail?: string[]) => void,
): Promise<{ status: ReleaseStatus; durationMs: number }> {
  const { stack, commit } = input;
  let lastState: string | undefined;
  for (;;) {
    const status = await ctx.cloud.releaseStatus(input.launch.region, parameter);
    const elapsed = ctx.now().getTime() - started;
    if (status?.status === "succeeded") {
      emit(
        "done",
        `release phase of ${shortSha(commit)} succeeded in ${Math.round(elapsed / 1000)}s`,
        status.logTail,
      );
      return { status, durationMs: elapsed };
    }
    if (status?.status === "failed") {
      const detail = `the release command exited ${status.exitCode ?? "with an error"}`;
      emit("failed", `release phase of ${shortSha(commit)} failed: ${detail}`, status.logTail);
      throw new ReleaseFailedError(stack, commit, detail, status.logTail ?? []);
    }
    if (elapsed >= input.timeoutMs) {
      const detail = `no outcome after ${Math.round(input.timeoutMs / 60_000)} min (deploy.releaseTimeout); the machine may still be running`;
      emit("failed", `release phase of ${shortSha(commit)} timed out`);
      throw new ReleaseFailedError(stack, commit, detail, status?.logTail ?? []);
    }
    const state = status?.status ?? "pending";
    if (state !== lastState) {
      emit("progress", `release phase: ${state === "running" ? "migrations running" : "machine booting"}`);
      lastState = state;
    }
    await pause(ctx, RELEASE_POLL_MS, stack, "release phase");
  }
}

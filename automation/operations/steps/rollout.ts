/**
 * The verified rollout: after `up`, a deploy is done only when the new commit
 * serves. In order:
 *
 * 1. every group's instance refresh (started by the new launch template
 *    version) ends `Successful`: DescribeInstanceRefreshes, newest first
 *    (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeInstanceRefreshes.html);
 *    `Failed`, `Cancelled`, `RollbackSuccessful`, `RollbackFailed` are failures
 *    (an auto-rollback means the new commit did not serve);
 * 2. the web groups' target groups report every registered target healthy
 *    (DescribeTargetHealth);
 * 3. the environment's URL reports the deployed commit on its health endpoint
 *    (the image's `/healthz` answers with it).
 *
 * All within `deploy.rolloutTimeout`. A group whose newest refresh began
 * before this update (or that has none) had nothing to replace.
 */
import { ExitCode, UserError } from "../../../infra/errors.js";
import { shortSha } from "../../../infra/naming.js";
import type { GroupRefresh } from "../../cloud.js";
import type { OutputMap } from "../../engine.js";
import type { RolloutChecks } from "../../rollout-verdicts.js";
import type { OperationContext } from "../../run.js";
import type { Context } from "../context.js";

export const ROLLOUT_POLL_MS = 10_000;
const HEALTH_PATH = "/healthz";

const SUCCESS = new Set(["Successful"]);
const FAILURE = new Set(["Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed"]);

export class RolloutFailedError extends UserError {
  constructor(stack: string, commit: string, reason: string) {
    super(`the rollout of ${shortSha(commit)} on ${stack} failed: ${reason}`, {
      tryMessage: `This deploy does not count as a success: \`flightdeck rollback ${stack} <commit>\` returns to a commit that served, or fix and deploy again.`,
      nextSteps: [`\`flightdeck history ${stack}\` shows what served before.`],
      exitCode: ExitCode.failed,
    });
    this.name = "RolloutFailedError";
  }
}

/** Ctrl-C / SIGTERM while waiting: the rollout goes on in AWS, but this deploy was not verified. */
export class RolloutWaitCancelledError extends UserError {
  constructor(stack: string, phase: string) {
    super(
      `the wait for ${stack}'s ${phase} was cancelled; AWS goes on with it, but the deploy is not verified`,
      {
        tryMessage: `Run \`flightdeck status\` to see what ${stack} serves; deploy the same commit again to verify it.`,
        exitCode: ExitCode.interrupted,
      },
    );
    this.name = "RolloutWaitCancelledError";
  }
}

export interface RolloutTargets {
  region: string;
  /** Auto scaling group by role. */
  groups: Record<string, string>;
  /** Target group ARN by web role. */
  targetGroups: Record<string, string>;
  url?: string;
}

function objectOf(value: unknown): Record<string, string> {
  if (!value || typeof value !== "object") return {};
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}

/** What a stack's outputs say to check; undefined when it has no groups (nothing to roll out). */
export function rolloutTargetsOf(outputs: OutputMap | undefined): RolloutTargets | undefined {
  const region = outputs?.region?.value;
  const groups = objectOf(outputs?.autoScalingGroups?.value);
  if (typeof region !== "string" || Object.keys(groups).length === 0) return undefined;
  const url = outputs?.url?.value;
  return {
    region,
    groups,
    targetGroups: objectOf(outputs?.targetGroups?.value),
    ...(typeof url === "string" && url ? { url } : {}),
  };
}

export async function pause(ctx: Context, ms: number, stack: string, phase: string): Promise<void> {
  try {
    await ctx.sleep(ms);
  } catch (error) {
    if (ctx.signal?.aborted) throw new RolloutWaitCancelledError(stack, phase);
    throw error;
  }
}

export interface RolloutInput {
  stack: string;
  commit: string;
  targets: RolloutTargets;
  /** When the update began: older refreshes are not this deploy's. */
  since: Date;
  timeoutMs: number;
}

export async function verifyRollout(
  ctx: Context,
  op: OperationContext,
  input: RolloutInput,
): Promise<RolloutChecks> {
  const started = ctx.now().getTime();
  const deadline = started + input.timeoutMs;
  const refreshes = await waitForRefreshes(ctx, op, input, deadline);
  await waitForHealth(ctx, op, input, deadline);
  const served = await waitForCommit(ctx, op, input, deadline);
  return {
    ...(served ? { servedCommit: served, url: input.targets.url } : {}),
    instancesReplaced: refreshes.reduce((n, r) => n + r.instancesToUpdate, 0),
    groups: refreshes.map((r) => ({ group: r.group, status: r.status })),
    rolloutMs: ctx.now().getTime() - started,
  };
}

function timeLeft(ctx: Context, input: RolloutInput, deadline: number, waitingFor: string): void {
  if (ctx.now().getTime() >= deadline) {
    throw new RolloutFailedError(
      input.stack,
      input.commit,
      `timed out after ${Math.round(input.timeoutMs / 60_000)} min (deploy.rolloutTimeout) waiting for ${waitingFor}`,
    );
  }
}

async function waitForRefreshes(
  ctx: Context,
  op: OperationContext,
  input: RolloutInput,
  deadline: number,
): Promise<GroupRefresh[]> {
  const { stack, targets } = input;
  const roleOf = new Map(Object.entries(targets.groups).map(([role, group]) => [group, role]));
  const pending = new Set(Object.values(targets.groups));
  const finished = new Map<string, GroupRefresh>();
  const shown = new Map<string, string>();
  for (;;) {
    const found = await ctx.cloud.instanceRefreshes(targets.region, [...pending]);
    const current = new Map(
      found
        .filter((r) => r.startTime === undefined || Date.parse(r.startTime) >= input.since.getTime() - 60_000)
        .map((r) => [r.group, r]),
    );
    for (const group of [...pending]) {
      const refresh = current.get(group);
      const role = roleOf.get(group);
      const base = { type: "rollout", stack, phase: "refresh", group, ...(role ? { role } : {}) } as const;
      if (!refresh) {
        pending.delete(group);
        op.emit({ ...base, status: "skipped", message: `${role ?? group}: nothing to replace` });
        continue;
      }
      if (SUCCESS.has(refresh.status)) {
        pending.delete(group);
        finished.set(group, refresh);
        op.emit({
          ...base,
          status: "done",
          percentage: 100,
          instancesToUpdate: refresh.instancesToUpdate,
          message: `${role ?? group}: instance refresh successful`,
        });
        continue;
      }
      if (FAILURE.has(refresh.status)) {
        const why = `${role ?? group}'s instance refresh ended ${refresh.status}${refresh.statusReason ? ` (${refresh.statusReason})` : ""}`;
        op.emit({ ...base, status: "failed", percentage: refresh.percentage, message: why });
        throw new RolloutFailedError(stack, input.commit, why);
      }
      const key = `${refresh.status}:${refresh.percentage}`;
      if (shown.get(group) !== key) {
        shown.set(group, key);
        op.emit({
          ...base,
          status: "progress",
          percentage: refresh.percentage,
          instancesToUpdate: refresh.instancesToUpdate,
          message: `${role ?? group}: instance refresh ${refresh.status} ${refresh.percentage}%`,
        });
      }
    }
    if (pending.size === 0) return [...finished.values()];
    timeLeft(ctx, input, deadline, `the instance refresh of ${[...pending].join(", ")}`);
    await pause(ctx, ROLLOUT_POLL_MS, stack, "instance refresh");
  }
}

async function waitForHealth(
  ctx: Context,
  op: OperationContext,
  input: RolloutInput,
  deadline: number,
): Promise<void> {
  const { stack, targets } = input;
  for (const [role, arn] of Object.entries(targets.targetGroups)) {
    let shown = "";
    for (;;) {
      const health = await ctx.cloud.targetHealth(targets.region, arn);
      const base = { type: "rollout", stack, phase: "health", group: arn, role } as const;
      if (health.total > 0 && health.healthy === health.total) {
        op.emit({
          ...base,
          status: "done",
          message: `${role}: ${health.healthy}/${health.total} targets healthy`,
        });
        break;
      }
      const line = `${role}: ${health.healthy}/${health.total} targets healthy${health.reasons.length ? ` (${[...new Set(health.reasons)].join(", ")})` : ""}`;
      if (line !== shown) op.emit({ ...base, status: "waiting", message: (shown = line) });
      timeLeft(ctx, input, deadline, `healthy targets in ${role}'s target group`);
      await pause(ctx, ROLLOUT_POLL_MS, stack, "target health");
    }
  }
}

async function waitForCommit(
  ctx: Context,
  op: OperationContext,
  input: RolloutInput,
  deadline: number,
): Promise<string | undefined> {
  const { stack, commit, targets } = input;
  if (!targets.url) {
    op.emit({ type: "rollout", stack, phase: "url", status: "skipped", message: "no URL to check" });
    return undefined;
  }
  const url = `${targets.url.replace(/\/$/, "")}${HEALTH_PATH}`;
  let last = "";
  for (;;) {
    const served = await ctx.cloud.servedCommit(url);
    if (served.commit === commit) {
      op.emit({
        type: "rollout",
        stack,
        phase: "url",
        status: "done",
        message: `${url} serves ${shortSha(commit)}`,
      });
      return served.commit;
    }
    const now = served.commit ? `serves ${shortSha(served.commit)}` : (served.problem ?? "answers nothing");
    if (now !== last) {
      op.emit({
        type: "rollout",
        stack,
        phase: "url",
        status: "waiting",
        message: `${url} ${now}; waiting for ${shortSha(commit)}`,
      });
      last = now;
    }
    if (ctx.now().getTime() >= deadline) {
      throw new RolloutFailedError(
        stack,
        commit,
        `${url} ${now} instead of ${shortSha(commit)} after ${Math.round(input.timeoutMs / 60_000)} min`,
      );
    }
    await pause(ctx, ROLLOUT_POLL_MS, stack, "URL check");
  }
}

/**
 * `flightdeck plan STACK [--offline] [--commit REF]`: every resource, its cost
 * and the policy results, offline under Pulumi's mocks or through the engine;
 * a mandatory policy violation fails the command (exit 1).
 */
import { ExitCode } from "../../infra/errors.js";
import { formatDuration } from "../format.js";
import type { CommandOf } from "../parsed-command.js";
import {
  checkEnvironment,
  err,
  json,
  operations,
  out,
  queryListener,
  requireProject,
  type RunContext,
} from "../run.js";
import type { OfflinePlan } from "../wiring.js";

export async function plan(ctx: RunContext, cmd: CommandOf<"plan">): Promise<number> {
  requireProject(ctx.projectDir);
  const started = ctx.deps.clock().getTime();
  // The offline plan wants a full SHA; a branch, tag or short SHA is resolved here (as deploy does).
  const { isFullSha, isPreviewStackName } = await import("../../infra/naming.js");
  const commit =
    cmd.commit === undefined || !cmd.offline || isFullSha(cmd.commit)
      ? cmd.commit
      : await ctx.deps.resolveCommit(ctx.projectDir, cmd.commit);
  const input = { stack: cmd.stack, ...(commit === undefined ? {} : { commit }) };
  if (!cmd.offline && !isPreviewStackName(cmd.stack)) await checkEnvironment(ctx, cmd.stack);
  const result = cmd.offline
    ? await ctx.deps.planOffline({ projectDir: ctx.projectDir, now: ctx.deps.clock(), ...input })
    : await (await operations(ctx, { onEvent: queryListener(ctx) })).plan(input);
  if (ctx.mode === "json") json(ctx, result);
  else if (isOfflinePlan(result)) {
    const [{ formatPlan }, { PRICES }] = await Promise.all([
      import("../plan-format.js"),
      import("../../infra/cost/prices.js"),
    ]);
    out(ctx, formatPlan(result, ctx.colors, PRICES.asOf));
    out(ctx, ctx.colors.dim(`planned in ${formatDuration(ctx.deps.clock().getTime() - started)}`));
  } else out(ctx, JSON.stringify(result, null, 2));
  if (isOfflinePlan(result)) {
    const { mandatoryViolations } = await import("../../infra/plan.js");
    const violations = mandatoryViolations(result);
    if (violations.length > 0) {
      err(ctx, `${violations.length} mandatory policy violation(s): the plan fails.`);
      return ExitCode.failed;
    }
  }
  return ExitCode.ok;
}

function isOfflinePlan(value: unknown): value is OfflinePlan {
  const v = value as Partial<OfflinePlan> | null;
  return typeof v === "object" && v !== null && Array.isArray(v.resources) && typeof v.cost === "object";
}

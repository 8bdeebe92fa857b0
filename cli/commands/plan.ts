/**
 * `flightdeck plan STACK [--offline] [--commit REF]`: every resource, its cost
 * and the policy results, offline under Pulumi's mocks or through the engine;
 * a mandatory policy violation fails the command (exit 1).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ExitCode } from "../../infra/errors.js";
import { formatDuration } from "../format.js";
import type { CommandOf } from "../parsed-command.js";
import {
  checkEnvironment,
  checkRef,
  committedConfig,
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
  const { isPreviewStackName } = await import("../../infra/naming.js");
  if (!cmd.offline && !isPreviewStackName(cmd.stack)) await checkEnvironment(ctx, cmd.stack);
  if (cmd.offline) {
    // The config's warnings (secrets in plain text) are printed before the plan; its errors come from the plan.
    const configStack = cmd.stack === "preview" ? "previews" : cmd.stack;
    if (existsSync(join(ctx.projectDir, `Pulumi.${configStack}.yaml`))) {
      await committedConfig(ctx, configStack).catch(() => undefined);
    }
  }
  // A ref is resolved as every command resolves one: a full SHA that is not in the repository is refused too.
  const commit = cmd.commit === undefined ? undefined : await checkRef(ctx, cmd.commit);
  const input = { stack: cmd.stack, ...(commit === undefined ? {} : { commit }) };
  const result = cmd.offline
    ? await ctx.deps.planOffline({ projectDir: ctx.projectDir, now: ctx.deps.clock(), ...input })
    : await (await operations(ctx, { onEvent: queryListener(ctx) })).plan(input);
  if (ctx.mode === "json") json(ctx, result);
  else if (isOfflinePlan(result)) {
    const [{ formatPlan }, { PRICES }] = await Promise.all([
      import("../plan-format.js"),
      import("../../infra/cost/prices.js"),
    ]);
    // At a terminal the plan fits its width (as the dashboard does); piped, every line is whole.
    const width = ctx.deps.isTTY ? ctx.deps.stdout.columns : undefined;
    out(ctx, formatPlan(result, ctx.colors, PRICES.asOf, width));
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

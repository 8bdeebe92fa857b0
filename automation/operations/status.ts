/**
 * status: the deployment matrix, one row per stack: what it runs, built from
 * what, since when and by whom, its URL, cost and a preview's time left. A
 * query: no guards; a stack that cannot be read still gets its row.
 */
import { isPreviewStackName } from "../../infra/naming.js";
import type { StackStatus } from "../api.js";
import { plainValues, recordedRelease, stackConfigOf } from "../config-map.js";
import type { ConfigMap, EngineStackSummary, OutputMap } from "../engine.js";
import { mapBounded } from "../pool.js";
import { powerStatus, scheduleOf } from "../preview-power.js";
import { type OperationContext, withoutUndefined } from "../run.js";
import type { Context } from "./context.js";
import { historyOrEmpty, lastUpdateOf, readConcurrency, urlOf } from "./steps/read-stack.js";

/** The order stacks are listed in: production first, previews last. */
export const ENVIRONMENT_ORDER: StackStatus["environment"][] = [
  "production",
  "staging",
  "testing",
  "previews",
  "preview",
  "unknown",
];

export function status(ctx: Context): Promise<StackStatus[]> {
  return ctx.run("status", {}, async (op) => {
    const rows = await statusRows(ctx, op);
    return { data: rows, summary: `${rows.length} stack(s)` };
  });
}

/** One row per stack, in environment order (`status`, and the dashboard's `overview`). */
export async function statusRows(ctx: Context, op: OperationContext): Promise<StackStatus[]> {
  const stacks = await ctx.engine.listStacks();
  const rows = await mapBounded(stacks, readConcurrency(ctx.engine.kind), async (summary) => {
    try {
      return await statusOf(ctx, summary);
    } catch (error) {
      // One unreadable stack still gets its row; the matrix is not lost for it.
      op.emit({ type: "item", stack: summary.name, status: "failed", message: (error as Error).message });
      const row: StackStatus = {
        stack: summary.name,
        environment: environmentOf(summary.name, {}),
        updateInProgress: summary.updateInProgress,
      };
      return row;
    }
  });
  return sortRows(rows);
}

/** Rows in environment order (production first), then by name. */
export function sortRows(rows: StackStatus[]): StackStatus[] {
  return rows.sort(
    (a, b) =>
      ENVIRONMENT_ORDER.indexOf(a.environment) - ENVIRONMENT_ORDER.indexOf(b.environment) ||
      a.stack.localeCompare(b.stack),
  );
}

export function environmentOf(stack: string, config: ConfigMap): StackStatus["environment"] {
  const declared = config["flightdeck:environment"]?.value;
  if (declared && (ENVIRONMENT_ORDER as string[]).includes(declared))
    return declared as StackStatus["environment"];
  if (isPreviewStackName(stack)) return "preview";
  if ((ENVIRONMENT_ORDER as string[]).includes(stack)) return stack as StackStatus["environment"];
  return "unknown";
}

async function statusOf(ctx: Context, summary: EngineStackSummary): Promise<StackStatus> {
  const stack = summary.name;
  const [config, outputs, history] = await Promise.all([
    ctx.engine.getConfig(stack).catch((): ConfigMap => ({})),
    ctx.engine.outputs(stack).catch((): OutputMap => ({})),
    historyOrEmpty(ctx, stack, 1),
  ]);
  const last = history[0];
  // What actually ran is the last update's config; the current config may hold a deploy not yet run.
  const ran = recordedRelease(last?.config ?? config);
  const current = recordedRelease(config);
  const environment = environmentOf(stack, config);
  const url = urlOf(outputs);
  const meta = current.previewMeta ?? ran.previewMeta;
  const row: StackStatus = {
    stack,
    environment,
    updateInProgress: summary.updateInProgress,
    ...withoutUndefined({
      commit: ran.commit ?? current.commit,
      branch: meta?.branch,
      imageId: ran.imageId ?? current.imageId,
      url,
      resourceCount: summary.resourceCount,
    }),
  };
  if (last) row.lastUpdate = lastUpdateOf(last);
  if (environment === "preview" && meta?.expiresAt) {
    row.expiresAt = meta.expiresAt;
    row.msLeft = Date.parse(meta.expiresAt) - ctx.now().getTime();
    row.power = powerStatus(meta.power, scheduleOf(plainValues(config)["flightdeck:preview"]), ctx.now());
  }
  if (ctx.costPerDay) {
    try {
      const cost = await ctx.costPerDay(stack, stackConfigOf(config, `stack ${stack}`));
      if (cost !== undefined) row.costPerDayUsd = cost;
    } catch {
      // A stack whose config no longer validates has no cost estimate; status still lists it.
    }
  }
  return row;
}

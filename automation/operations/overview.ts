/**
 * overview: the dashboard's rows. `status`, plus
 * - every environment of the config (a committed `Pulumi.<env>.yaml`) with no
 *   stack yet, marked not deployed, at its planned cost per day;
 * - for testing → staging → production, how many commits each lacks of the
 *   one before it (`git rev-list --count <it>..<before>`);
 * - the last drift check of each environment (its `drift` record).
 * A query: no guards; what cannot be read is left out of its row.
 */
import { loadStackConfig } from "../../infra/config.js";
import type { DriftRecord, StackStatus } from "../api.js";
import { knownEnvironments } from "../environments.js";
import { git } from "../git.js";
import type { Context } from "./context.js";
import { DRIFT_RECORD } from "./drift.js";
import { sortRows, statusRows } from "./status.js";

/** Environments in promotion order: each is compared with the one before it. */
export const PROMOTION_ORDER = ["testing", "staging", "production"] as const;

export function overview(ctx: Context): Promise<StackStatus[]> {
  return ctx.run("overview", {}, async (op) => {
    const rows = await statusRows(ctx, op);
    const deployed = new Set(rows.map((r) => r.stack));
    for (const env of await knownEnvironments(ctx.projectDir)) {
      if (!deployed.has(env)) rows.push(await plannedRow(ctx, env));
    }
    await Promise.all(
      rows
        .filter((r) => r.environment !== "preview" && !r.notDeployed)
        .map(async (r) => {
          const drift = await lastDrift(ctx, r.stack);
          if (drift) r.drift = drift;
        }),
    );
    for (let i = 1; i < PROMOTION_ORDER.length; i++) {
      const before = rows.find((r) => r.stack === PROMOTION_ORDER[i - 1]);
      const row = rows.find((r) => r.stack === PROMOTION_ORDER[i]);
      if (!row?.commit || !before?.commit) continue;
      const commits = await commitsBehind(ctx.projectDir, row.commit, before.commit);
      if (commits !== undefined) row.behind = { of: before.stack, commits };
    }
    const planned = rows.filter((r) => r.notDeployed).length;
    return { data: sortRows(rows), summary: `${rows.length} stack(s), ${planned} not deployed` };
  });
}

async function plannedRow(ctx: Context, env: string): Promise<StackStatus> {
  const config = await loadStackConfig(ctx.projectDir, env).catch(() => undefined);
  const row: StackStatus = {
    stack: env,
    environment: config?.environment ?? "unknown",
    updateInProgress: false,
    notDeployed: true,
  };
  if (config && ctx.costPerDay) {
    const cost = await ctx.costPerDay(env, config).catch(() => undefined);
    if (cost !== undefined) row.costPerDayUsd = cost;
  }
  return row;
}

async function lastDrift(ctx: Context, stack: string): Promise<DriftRecord | undefined> {
  try {
    const records = await ctx.engine.records.list(stack, DRIFT_RECORD.kind);
    const last = records[DRIFT_RECORD.id] as DriftRecord | undefined;
    return last && typeof last.checkedAt === "string" && Array.isArray(last.drifted) ? last : undefined;
  } catch {
    // Records that cannot be read (a bucket out of reach) leave the column empty; status still shows.
    return undefined;
  }
}

/** How many commits `before` has that `commit` lacks; undefined when git does not know either. */
export async function commitsBehind(
  dir: string,
  commit: string,
  before: string,
): Promise<number | undefined> {
  try {
    const out = await git(dir).raw(["rev-list", "--count", `${commit}..${before}`]);
    const n = Number(out.trim());
    return Number.isInteger(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

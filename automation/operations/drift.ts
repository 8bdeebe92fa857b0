/**
 * drift [env…]: a refresh preview of each environment stack (`pulumi refresh
 * --preview-only`: it reads every resource from the cloud and changes
 * nothing, state included), reporting the resources changed outside
 * flightdeck. Each check is written to the stack's records (kind `drift`, id
 * `last`: when, and what it found), so the nightly run and every engineer's
 * dashboard see the same answer. Drift, or a check that cannot run, fails
 * the operation (exit 1) with the full report as its data.
 */
import { ExitCode, UserError } from "../../infra/errors.js";
import { isPreviewStackName } from "../../infra/naming.js";
import type { DriftInput, DriftRecord, DriftReport } from "../api.js";
import type { DriftedResource } from "../engine.js";
import { OperationFailedError } from "../errors.js";
import { settleBounded } from "../pool.js";
import type { OperationContext } from "../run.js";
import type { Context } from "./context.js";
import { throwIfAborted } from "./steps/run-update.js";

/** Where a stack's last check is kept (`engine.records`). */
export const DRIFT_RECORD = { kind: "drift", id: "last" } as const;

/** Refresh previews running at once: each is one `pulumi` process reading every resource. */
const DRIFT_CONCURRENCY = 2;

export function drift(ctx: Context, input: DriftInput): Promise<DriftReport> {
  return ctx.run("drift", {}, async (op) => {
    const checkedAt = ctx.now().toISOString();
    const stacks = await stacksToCheck(ctx, input.envs ?? []);
    const checks = await settleBounded(stacks, DRIFT_CONCURRENCY, async (stack): Promise<DriftRecord> => {
      throwIfAborted(ctx, stack);
      op.emit({ type: "item", stack, status: "started", message: "refresh preview" });
      const started = ctx.now().getTime();
      let record: DriftRecord;
      try {
        const result = await ctx.engine.refreshPreview(stack, { signal: ctx.signal });
        record = { stack, checkedAt, drifted: result.drifted, durationMs: ctx.now().getTime() - started };
      } catch (error) {
        if (ctx.signal?.aborted) throw error;
        const message = (error as Error).message;
        record = { stack, checkedAt, drifted: [], error: message, durationMs: ctx.now().getTime() - started };
      }
      await ctx.engine.records.write(stack, DRIFT_RECORD.kind, DRIFT_RECORD.id, record);
      reportCheck(op, record);
      return record;
    });
    const report: DriftReport = { checkedAt, stacks: [], drifted: [], failed: [] };
    checks.forEach((outcome, i) => {
      const stack = stacks[i] as string;
      if (outcome.status === "fulfilled") report.stacks.push(outcome.value);
      else
        report.stacks.push({
          stack,
          checkedAt,
          drifted: [],
          error: (outcome.reason as Error).message,
          durationMs: 0,
        });
    });
    report.drifted = report.stacks.filter((s) => s.drifted.length > 0).map((s) => s.stack);
    report.failed = report.stacks.filter((s) => s.error !== undefined).map((s) => s.stack);
    if (ctx.signal?.aborted) {
      throw new OperationFailedError("the drift check was cancelled", report, {
        exitCode: ExitCode.interrupted,
        tryMessage: "Run `flightdeck drift` again.",
      });
    }
    if (report.drifted.length > 0 || report.failed.length > 0) {
      throw new OperationFailedError(failureMessage(report), report, {
        tryMessage:
          "For each resource: deploy to put back what the code says (`flightdeck deploy <env> --commit <what it runs>`), or change the code to match and deploy it.",
        nextSteps: [
          "A check that failed: read its error above; `flightdeck drift <env>` checks one environment again.",
        ],
      });
    }
    const summary =
      stacks.length === 0
        ? "no environment stacks to check"
        : `no drift in ${stacks.length} stack(s): ${stacks.join(", ")}`;
    return { data: report, summary };
  });
}

/** The named environments (each must exist), or every environment stack that exists. */
async function stacksToCheck(ctx: Context, envs: string[]): Promise<string[]> {
  const existing = (await ctx.engine.listStacks()).map((s) => s.name);
  if (envs.length === 0) return existing.filter((s) => !isPreviewStackName(s)).sort();
  const unknown = envs.filter((e) => !existing.includes(e));
  if (unknown.length > 0) {
    const environments = existing.filter((s) => !isPreviewStackName(s)).sort();
    throw new UserError(
      `no stack named ${unknown.map((u) => `'${u}'`).join(", ")}: nothing to check for drift`,
      {
        tryMessage:
          environments.length > 0
            ? `Environment stacks: ${environments.join(", ")}.`
            : "No environment stack exists yet: deploy one first.",
        exitCode: ExitCode.usage,
      },
    );
  }
  return [...new Set(envs)];
}

export function driftLine(d: DriftedResource): string {
  const what = d.change === "delete" ? "deleted outside flightdeck" : "changed outside flightdeck";
  const props = d.properties && d.properties.length > 0 ? ` (${d.properties.join(", ")})` : "";
  return `${d.type} ${d.name}: ${what}${props}`;
}

function reportCheck(op: OperationContext, r: DriftRecord): void {
  if (r.error !== undefined) {
    op.emit({ type: "item", stack: r.stack, status: "failed", message: `check failed: ${r.error}` });
    return;
  }
  for (const d of r.drifted) {
    op.emit({
      type: "diagnostic",
      severity: "warning",
      stack: r.stack,
      urn: d.urn,
      message: `${r.stack}: ${driftLine(d)}`,
    });
  }
  const message =
    r.drifted.length === 0 ? "no drift" : `${r.drifted.length} resource(s) changed outside flightdeck`;
  op.emit({ type: "item", stack: r.stack, status: "done", message });
}

function failureMessage(r: DriftReport): string {
  const lines: string[] = [];
  for (const s of r.stacks) {
    if (s.error !== undefined) lines.push(`  ${s.stack}: the check failed: ${s.error}`);
    for (const d of s.drifted) lines.push(`  ${s.stack}: ${driftLine(d)}`);
  }
  const head =
    r.drifted.length > 0
      ? `drift in ${r.drifted.length} stack(s): ${r.drifted.join(", ")}`
      : `the drift check failed in ${r.failed.length} stack(s): ${r.failed.join(", ")}`;
  return `${head}\n${lines.join("\n")}`;
}

/**
 * reap [--older-than D] [--dry-run] [--concurrency N]: destroy and remove every
 * commit preview past its TTL, every branch preview whose branch was deleted or
 * merged into main (asked of git), and with D every preview created longer ago;
 * a bounded number at once, each with the reason it goes. Each failure is
 * reported and kept for the next reap. No guards: previews only.
 */
import { ExitCode, UserError } from "../../infra/errors.js";
import type { ReapInput, ReapResult } from "../api.js";
import { OperationFailedError } from "../errors.js";
import { settleBounded } from "../pool.js";
import type { Context } from "./context.js";
import { ago } from "./preview-facts.js";
import { durationInput, listPreviews } from "./previews.js";
import { throwIfAborted } from "./steps/run-update.js";

export const DEFAULT_REAP_CONCURRENCY = 4;

export function reap(ctx: Context, input: ReapInput): Promise<ReapResult> {
  return ctx.run("reap", {}, async (op) => {
    const at = ctx.now();
    const concurrency = input.concurrency ?? DEFAULT_REAP_CONCURRENCY;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new UserError(`--concurrency must be a whole number of at least 1, got ${concurrency}`);
    }
    const olderThanMs =
      input.olderThan !== undefined ? durationInput(input.olderThan, "--older-than") : undefined;
    const { previews } = await listPreviews(ctx, op);
    const reasons: Record<string, string> = {};
    for (const p of previews) {
      const age = at.getTime() - Date.parse(p.createdAt);
      const why =
        p.goes ??
        (olderThanMs !== undefined && age > olderThanMs
          ? `created ${ago(age)} ago (older than ${input.olderThan})`
          : undefined);
      if (why) reasons[p.stack] = why;
    }
    const candidates = Object.keys(reasons);
    const result: ReapResult = {
      dryRun: input.dryRun === true,
      candidates,
      reasons,
      destroyed: [],
      failed: [],
      durationMs: 0,
    };
    if (input.dryRun) {
      for (const stack of candidates)
        op.emit({
          type: "item",
          stack,
          status: "skipped",
          message: `dry run: would destroy and remove (${reasons[stack]})`,
        });
      result.durationMs = ctx.now().getTime() - at.getTime();
      return { data: result, summary: `dry run: ${candidates.length} preview(s) would be reaped` };
    }
    // Each item is reported the moment it settles, so a long reap shows its progress.
    const outcomes = await settleBounded(candidates, concurrency, async (stack) => {
      throwIfAborted(ctx, stack);
      op.emit({ type: "item", stack, status: "started", message: reasons[stack] });
      try {
        await ctx.engine.destroy(stack, { signal: ctx.signal, message: "flightdeck reap" });
        await ctx.engine.removeStack(stack);
      } catch (error) {
        op.emit({ type: "item", stack, status: "failed", message: (error as Error).message });
        throw error;
      }
      op.emit({ type: "item", stack, status: "done" });
    });
    outcomes.forEach((outcome, i) => {
      const stack = candidates[i] as string;
      if (outcome.status === "fulfilled") result.destroyed.push(stack);
      else result.failed.push({ stack, error: (outcome.reason as Error).message });
    });
    result.durationMs = ctx.now().getTime() - at.getTime();
    if (ctx.signal?.aborted) {
      throw new OperationFailedError(
        `reap was cancelled: ${result.destroyed.length} of ${candidates.length} reaped`,
        result,
        {
          exitCode: ExitCode.interrupted,
          tryMessage: "Run `flightdeck reap` again to finish.",
        },
      );
    }
    if (result.failed.length > 0) {
      throw new OperationFailedError(
        `${result.failed.length} of ${candidates.length} preview(s) could not be reaped:\n${result.failed.map((f) => `  ${f.stack}: ${f.error}`).join("\n")}`,
        result,
        {
          tryMessage:
            "Run `flightdeck reap` again; a preview that keeps failing needs `flightdeck preview down <stack>` and a look at its log.",
        },
      );
    }
    return { data: result, summary: `${result.destroyed.length} preview(s) reaped` };
  });
}

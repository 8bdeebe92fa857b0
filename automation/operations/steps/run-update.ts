/**
 * Running one engine update (up, destroy, preview): its resource and
 * diagnostic events are forwarded with durations; on cancellation the state
 * it left is reported before the error goes on.
 */
import { type RunOptions, type RunResult, UpdateCancelledError } from "../../engine.js";
import type { OperationContext } from "../../run.js";
import type { Context } from "../context.js";
import { historyOrEmpty } from "./read-stack.js";

/** Stop before touching `stack` when the operation was cancelled. */
export function throwIfAborted(ctx: Context, stack: string): void {
  if (ctx.signal?.aborted) throw new UpdateCancelledError(stack);
}

/** Run one engine update, forwarding its events; on cancellation, report the state it left. */
export async function runUpdate(
  ctx: Context,
  op: OperationContext,
  stack: string,
  message: string,
  start: (options: RunOptions) => Promise<RunResult>,
): Promise<RunResult> {
  throwIfAborted(ctx, stack);
  const started = new Map<string, number>();
  let finished = 0;
  const options: RunOptions = {
    message,
    signal: ctx.signal,
    onEvent: (event) => {
      if (event.kind === "resource") {
        const at = ctx.now().getTime();
        if (event.status === "started") started.set(event.urn, at);
        const begun = started.get(event.urn);
        if (event.status !== "started") {
          finished++;
          started.delete(event.urn);
        }
        op.emit({
          type: "resource",
          stack,
          urn: event.urn,
          resourceType: event.resourceType,
          name: event.name,
          op: event.op,
          status: event.status,
          ...(event.status !== "started" && begun !== undefined ? { durationMs: at - begun } : {}),
          ...(event.error ? { error: event.error } : {}),
        });
      } else if (event.kind === "diagnostic") {
        op.emit({
          type: "diagnostic",
          severity: event.severity,
          message: event.message,
          stack,
          ...(event.urn ? { urn: event.urn } : {}),
        });
      }
    },
  };
  try {
    return await start(options);
  } catch (error) {
    if (error instanceof UpdateCancelledError) {
      const [last] = await historyOrEmpty(ctx, stack, 1).catch(() => []);
      op.emit({
        type: "step",
        message:
          `cancelled: the engine stopped the update of ${stack}; ${finished} resource operation(s) had finished and ` +
          `${started.size} were in flight; the update is recorded as ${last?.result ?? "unknown"}. ` +
          `The stack may be partly updated: run \`flightdeck status\`, then run the same command again to finish.`,
      });
    }
    throw error;
  }
}

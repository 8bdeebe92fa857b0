/**
 * Reading what a stack records: its update history (what ran, built from
 * what, by whom) and the URL it serves; and how many stacks to read at once.
 */
import type { HistoryEntry, LastUpdate } from "../../api.js";
import { recordedRelease } from "../../config-map.js";
import { type OutputMap, StackNotFoundError, type UpdateRecord } from "../../engine.js";
import { outcomeOf, type RolloutVerdict, type Verdicts } from "../../rollout-verdicts.js";
import { withoutUndefined } from "../../run.js";
import type { Context } from "../context.js";

/**
 * How many stacks `status` and `preview list` read at once. Each read of the
 * real engine is three `pulumi` processes (config, outputs, history), so it is
 * kept low there; the in-memory engine costs nothing.
 */
export function readConcurrency(kind: "local" | "memory"): number {
  return kind === "local" ? 4 : 16;
}

/** The stack's updates, newest first; none for a stack that does not exist yet. */
export async function historyOrEmpty(ctx: Context, stack: string, limit?: number): Promise<UpdateRecord[]> {
  try {
    return await ctx.engine.history(stack, limit);
  } catch (error) {
    if (error instanceof StackNotFoundError) return [];
    throw error;
  }
}

/** The commit the stack's last successful update ran (what it runs now). */
export function runningCommit(history: UpdateRecord[]): string | undefined {
  const last = history.find((r) => r.kind === "update" && r.result === "succeeded");
  return last ? recordedRelease(last.config).commit : undefined;
}

/** The stack's `url` output, when it has one. */
export function urlOf(outputs: OutputMap | undefined): string | undefined {
  const value = outputs?.url?.value;
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

export function lastUpdateOf(record: UpdateRecord): LastUpdate {
  const release = recordedRelease(record.config).release;
  const actor = release?.actor;
  return {
    result: record.result,
    kind: record.kind,
    startTime: record.startTime,
    ...(record.endTime ? { endTime: record.endTime } : {}),
    ...(actor ? { actor } : {}),
    ...(actor && release?.verified === false ? { actorVerified: false } : {}),
  };
}

export function historyEntryOf(record: UpdateRecord, verdicts: Verdicts = {}): HistoryEntry {
  const recorded = recordedRelease(record.config);
  const outcome = outcomeOf(record, verdicts);
  const durationMs = record.endTime ? Date.parse(record.endTime) - Date.parse(record.startTime) : undefined;
  return {
    version: record.version,
    kind: record.kind,
    result: outcome.result,
    message: record.message,
    startTime: record.startTime,
    ...withoutUndefined({
      rollout: outcome.rollout,
      rolloutReason: outcome.reason,
      release: outcome.release,
      commit: recorded.commit,
      imageId: recorded.imageId,
      actor: recorded.release?.actor,
      actorVerified: recorded.release?.verified === false ? false : undefined,
      endTime: record.endTime,
      durationMs: durationMs !== undefined && Number.isFinite(durationMs) ? durationMs : undefined,
    }),
  };
}

/** A deploy that stopped at its release phase, as a history entry: no update ran, so it has no number. */
export function releaseFailureEntry(verdict: RolloutVerdict): HistoryEntry {
  return {
    kind: "release",
    result: "failed",
    release: "failed",
    message: verdict.reason ?? "the release phase failed",
    startTime: verdict.at,
    ...withoutUndefined({
      rolloutReason: verdict.reason,
      commit: verdict.commit,
      imageId: verdict.imageId,
      actor: verdict.actor,
      endTime: verdict.at,
    }),
  };
}

/**
 * history ENV: the stack's updates, newest first: commit, image, result, who,
 * when and how long. A deploy's result is its rollout's verdict: an update
 * Pulumi calls a success whose rollout failed is shown failed, with why; each
 * deploy's release phase is shown, and a deploy that stopped at its release
 * phase (no update ran) is an entry of kind `release`.
 * A query: no guards, nothing changes.
 */
import type { HistoryEntry } from "../api.js";
import type { Context } from "./context.js";
import { releaseFailures, verdictsOf } from "../rollout-verdicts.js";
import { historyEntryOf, releaseFailureEntry } from "./steps/read-stack.js";

export function history(ctx: Context, input: { env: string; limit?: number }): Promise<HistoryEntry[]> {
  return ctx.run("history", { stack: input.env }, async () => {
    const [records, verdicts] = await Promise.all([
      ctx.engine.history(input.env, input.limit),
      verdictsOf(ctx.engine, input.env),
    ]);
    // Deploys that stopped at their release phase ran no update: they join by time, within the
    // span of the updates read (all of them when the limit was not reached).
    const oldest =
      input.limit !== undefined && records.length >= input.limit ? records.at(-1)?.startTime : undefined;
    const stopped = releaseFailures(verdicts, records)
      .filter((v) => oldest === undefined || Date.parse(v.at) >= Date.parse(oldest))
      .map(releaseFailureEntry);
    const entries = [...records.map((r) => historyEntryOf(r, verdicts)), ...stopped].sort(
      (a, b) => Date.parse(b.startTime) - Date.parse(a.startTime),
    );
    return { data: entries, summary: `${entries.length} update(s) of ${input.env}`, stack: input.env };
  });
}

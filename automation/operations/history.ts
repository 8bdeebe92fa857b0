/**
 * history ENV: the stack's updates, newest first: commit, image, result, who,
 * when and how long. A deploy's result is its rollout's verdict: an update
 * Pulumi calls a success whose rollout failed is shown failed, with why.
 * A query: no guards, nothing changes.
 */
import type { HistoryEntry } from "../api.js";
import type { Context } from "./context.js";
import { verdictsOf } from "../rollout-verdicts.js";
import { historyEntryOf } from "./steps/read-stack.js";

export function history(ctx: Context, input: { env: string; limit?: number }): Promise<HistoryEntry[]> {
  return ctx.run("history", { stack: input.env }, async () => {
    const [records, verdicts] = await Promise.all([
      ctx.engine.history(input.env, input.limit),
      verdictsOf(ctx.engine, input.env),
    ]);
    const entries = records.map((r) => historyEntryOf(r, verdicts));
    return { data: entries, summary: `${entries.length} update(s) of ${input.env}`, stack: input.env };
  });
}

/**
 * history ENV: the stack's updates, newest first: commit, image, result, who,
 * when and how long. A query: no guards, nothing changes.
 */
import type { HistoryEntry } from "../api.js";
import type { Context } from "./context.js";
import { historyEntryOf } from "./steps/read-stack.js";

export function history(ctx: Context, input: { env: string; limit?: number }): Promise<HistoryEntry[]> {
  return ctx.run("history", { stack: input.env }, async () => {
    const records = await ctx.engine.history(input.env, input.limit);
    const entries = records.map(historyEntryOf);
    return { data: entries, summary: `${entries.length} update(s) of ${input.env}`, stack: input.env };
  });
}

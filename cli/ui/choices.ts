/**
 * What the dashboard's pickers offer, as pure functions: recent commits to
 * deploy or open a preview of, and the commits a stack can roll back to.
 */
import type { HistoryEntry } from "../../automation/api.js";
import { formatAgo, short } from "../format.js";

export interface CommitChoice {
  sha: string;
  subject: string;
  author?: string;
  date?: string;
}

export interface PickerChoice {
  label: string;
  value: string;
}

/**
 * Rollback candidates: commits with a successful update whose rollout was
 * verified in this history (what the rollback guard accepts), newest first, once each.
 */
export function rollbackChoices(
  entries: readonly HistoryEntry[],
  now: Date,
  current?: string,
): PickerChoice[] {
  const seen = new Set<string>();
  const choices: PickerChoice[] = [];
  for (const e of entries) {
    if (e.result !== "succeeded" || e.rollout !== "verified") continue;
    if (!e.commit || seen.has(e.commit) || e.commit === current) continue;
    seen.add(e.commit);
    const by = e.actor ? ` by ${e.actor}` : "";
    choices.push({
      label:
        `${short(e.commit)}  ${formatAgo(e.endTime ?? e.startTime, now)}${by}  ${e.imageId ?? ""}`.trimEnd(),
      value: e.commit,
    });
  }
  return choices;
}

export function commitChoices(commits: readonly CommitChoice[]): PickerChoice[] {
  return commits.map((c) => ({
    label: `${short(c.sha)}  ${c.subject}${c.author ? `  (${c.author})` : ""}`,
    value: c.sha,
  }));
}

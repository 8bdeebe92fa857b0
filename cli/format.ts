/**
 * Small pure formatters shared by the plain renderer and the Ink screens.
 */
import type { HistoryEntry, StackStatus } from "../automation/api.js";

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "-";
  const negative = ms < 0;
  const s = Math.floor(Math.abs(ms) / 1000);
  const text =
    s < 60
      ? `${s}s`
      : s < 3600
        ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`
        : s < 86_400
          ? `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`
          : `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
  return negative ? `-${text}` : text;
}

/** "3m ago", "2h ago", "5d ago"; the full time when the clock says it is in the future. */
export function formatAgo(iso: string | undefined, now: Date): string {
  if (!iso) return "-";
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const ms = now.getTime() - at;
  if (ms < 0) return iso;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

export function formatTimeLeft(msLeft: number | undefined): string {
  if (msLeft === undefined) return "";
  if (msLeft <= 0) return "expired";
  return `${formatDuration(msLeft)} left`;
}

export function formatUsd(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "-";
  return `$${value.toFixed(2)}`;
}

export function short(sha: string | undefined): string {
  if (!sha) return "-";
  return /^[0-9a-f]{8,40}$/.test(sha) ? sha.slice(0, 7) : sha;
}

/** `HH:MM:SS` of an ISO time, in UTC, for log lines. */
export function clockTime(iso: string): string {
  const m = /T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m?.[1] ?? iso;
}

/** A plain text table: columns padded to the widest cell, two spaces apart. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** Who ran an update; an identity nobody verified (a terminal's git e-mail) says so. */
export function actorText(actor: string, verified: boolean | undefined): string {
  return verified === false ? `${actor} (unverified)` : actor;
}

export function lastUpdateText(s: StackStatus, now: Date): string {
  const u = s.lastUpdate;
  if (!u) return s.updateInProgress ? "in progress" : "never";
  const by = u.actor ? ` by ${actorText(u.actor, u.actorVerified)}` : "";
  return `${u.result} ${formatAgo(u.endTime ?? u.startTime, now)}${by}`;
}

export const STATUS_HEADER = [
  "STACK",
  "COMMIT",
  "BRANCH",
  "IMAGE",
  "URL",
  "LAST UPDATE",
  "COST/DAY",
  "EXPIRES",
] as const;

export function statusRow(s: StackStatus, now: Date): string[] {
  return [
    s.updateInProgress ? `${s.stack} *` : s.stack,
    short(s.commit),
    s.branch ?? "-",
    s.imageId ?? "-",
    s.url ?? "-",
    lastUpdateText(s, now),
    formatUsd(s.costPerDayUsd),
    formatTimeLeft(s.msLeft),
  ];
}

export function formatStatus(stacks: readonly StackStatus[], now: Date): string {
  if (stacks.length === 0) {
    return "No stacks yet. Deploy one with `flightdeck deploy <env>`, or try `flightdeck plan staging --offline`.";
  }
  const text = table(
    STATUS_HEADER,
    stacks.map((s) => statusRow(s, now)),
  );
  const busy = stacks.some((s) => s.updateInProgress) ? "\n* an update is running on this stack now" : "";
  return text + busy;
}

/** What was checked of a deploy: its release phase and its rollout (`-` for other updates). */
export function checksText(e: HistoryEntry): string {
  const parts: string[] = [];
  if (e.release) parts.push(`release ${e.release === "on-machine" ? "on its machine" : e.release}`);
  if (e.rollout) parts.push(`rollout ${e.rollout}`);
  return parts.length > 0 ? parts.join(", ") : "-";
}

/** Dropped first when a history does not fit the terminal (the JSON has every field). */
const HISTORY_DROP_ORDER = ["IMAGE", "TOOK", "WHEN", "BY"];

/** A stack's history as a table, fitted to `width` columns when given (the dashboard), then why each failed deploy failed. */
export function formatHistory(
  env: string,
  entries: readonly HistoryEntry[],
  now: Date,
  width?: number,
): string {
  if (entries.length === 0) return `No updates recorded for '${env}' yet.`;
  const header = ["#", "KIND", "RESULT", "CHECKS", "COMMIT", "IMAGE", "BY", "WHEN", "TOOK"];
  const cells = entries.map((e) => [
    e.version === undefined ? "-" : String(e.version),
    e.kind,
    e.result,
    checksText(e),
    short(e.commit),
    e.imageId ?? "-",
    e.actor ? actorText(e.actor, e.actorVerified) : "-",
    formatAgo(e.endTime ?? e.startTime, now),
    e.durationMs === undefined ? "-" : formatDuration(e.durationMs),
  ]);
  const rows =
    width === undefined
      ? table(header, cells)
      : fitTable(header, cells, width, HISTORY_DROP_ORDER).lines.join("\n");
  // Why each failed deploy failed, under the table (the reasons are too long for a column).
  const why = entries
    .filter((e) => e.result === "failed" && e.rolloutReason)
    .map(
      (e) =>
        `${e.version === undefined ? `${e.kind} of ${short(e.commit)}` : `#${e.version}`}: ${e.rolloutReason}`,
    );
  return why.length > 0 ? `${rows}\n\n${why.join("\n")}` : rows;
}

/**
 * A table that fits `width` columns: whole columns are dropped, in `dropOrder`,
 * until it fits (the dashboard shows the dropped fields of the selected row
 * on its detail line instead).
 */
export function fitTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  width: number,
  dropOrder: readonly string[],
): { lines: string[]; shown: string[] } {
  let keep = header.map((_, i) => i);
  const render = () =>
    table(
      keep.map((i) => header[i] ?? ""),
      rows.map((r) => keep.map((i) => r[i] ?? "")),
    ).split("\n");
  let lines = render();
  for (const name of dropOrder) {
    if (Math.max(...lines.map((l) => l.length)) <= width) break;
    keep = keep.filter((i) => header[i] !== name);
    lines = render();
  }
  return { lines, shown: keep.map((i) => header[i] ?? "") };
}

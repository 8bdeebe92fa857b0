/**
 * The dashboard's matrix: one row per stack, as many columns as the terminal
 * is wide, the selected row highlighted and described in full below. With the
 * overview's fields: an environment not deployed yet says so (at its planned
 * cost), and BEHIND / DRIFT columns appear once any row has them.
 */
import { Box, Text, useStdout } from "ink";
import type { StackStatus } from "../../automation/api.js";
import { fitTable, formatAgo, formatUsd, STATUS_HEADER, short, statusRow } from "../format.js";
import { tint } from "./OperationView.js";

/** Columns the dashboard drops first when the terminal is narrow (the detail line still shows them). */
const DROP_ORDER = [
  "IMAGE",
  "BRANCH",
  "URL",
  "EXPIRES",
  "BEHIND",
  "COST/DAY",
  "LAST UPDATE",
  "DRIFT",
  "COMMIT",
];

/** The header and cells of the matrix: status's columns, and the overview's when any row has them. */
export function matrix(rows: StackStatus[], now: Date): { header: string[]; cells: string[][] } {
  const behind = rows.some((r) => r.behind !== undefined);
  const drift = rows.some((r) => r.drift !== undefined);
  const header = [...STATUS_HEADER, ...(behind ? ["BEHIND"] : []), ...(drift ? ["DRIFT"] : [])];
  const cells = rows.map((r) => {
    const cell = statusRow(r, now);
    if (r.notDeployed) cell[1] = "not deployed";
    if (behind) cell.push(r.behind ? `${r.behind.commits} behind ${r.behind.of}` : "-");
    if (drift) cell.push(driftText(r, now));
    return cell;
  });
  return { header, cells };
}

/** The last drift check, in a few words: `none (3h ago)`, `2 changed (3h ago)`, `check failed`. */
export function driftText(row: StackStatus, now: Date): string {
  const d = row.drift;
  if (!d) return "-";
  const when = formatAgo(d.checkedAt, now);
  if (d.error !== undefined) return `check failed ${when}`;
  return d.drifted.length === 0 ? `none, ${when}` : `${d.drifted.length} changed, ${when}`;
}

export function StatusTable({
  rows,
  selected,
  now,
  color,
}: {
  rows: StackStatus[];
  selected: number;
  now: Date;
  color: boolean;
}) {
  const { stdout } = useStdout();
  const width = Math.max(40, (stdout.columns || 80) - 3);
  const { header, cells } = matrix(rows, now);
  const { lines } = fitTable(header, cells, width, DROP_ORDER);
  const current = rows[selected];
  return (
    <Box flexDirection="column">
      <Text bold>{`  ${lines[0] ?? ""}`}</Text>
      {lines.slice(1).map((line, i) => {
        const row = rows[i];
        const failed = row?.lastUpdate?.result === "failed" || (row?.drift?.drifted.length ?? 0) > 0;
        return (
          <Text
            key={row?.stack ?? i}
            wrap="truncate-end"
            inverse={i === selected && color}
            dimColor={row?.notDeployed === true}
            color={tint(color, failed ? "red" : row?.environment === "preview" ? "cyan" : "white")}
          >
            {i === selected ? "› " : "  "}
            {line}
          </Text>
        );
      })}
      {current ? (
        <Text wrap="truncate-end" dimColor>
          {detailLine(current)}
        </Text>
      ) : null}
    </Box>
  );
}

/** Everything about the selected row on one line, whatever columns the width allowed. */
export function detailLine(row: StackStatus): string {
  return [
    row.stack,
    row.commit ? `commit ${short(row.commit)}` : undefined,
    row.notDeployed ? `not deployed yet (planned cost ${formatUsd(row.costPerDayUsd)}/day)` : undefined,
    row.behind ? `${row.behind.commits} behind ${row.behind.of} (c lists them)` : undefined,
    row.drift && row.drift.drifted.length > 0
      ? `drift: ${row.drift.drifted.map((d) => `${d.name} ${d.change === "delete" ? "deleted" : "changed"}`).join(", ")}`
      : undefined,
    row.branch ? `branch ${row.branch}` : undefined,
    row.imageId ? `image ${row.imageId}` : undefined,
    row.url,
    row.expiresAt ? `expires ${row.expiresAt}` : undefined,
  ]
    .filter(Boolean)
    .join(" · ");
}

/**
 * The dashboard's matrix: one row per stack, as many columns as the terminal
 * is wide, the selected row highlighted and described in full below.
 */
import { Box, Text, useStdout } from "ink";
import type { StackStatus } from "../../automation/api.js";
import { fitTable, STATUS_HEADER, short, statusRow } from "../format.js";
import { tint } from "./OperationView.js";

/** Columns the dashboard drops first when the terminal is narrow (the detail line still shows them). */
const DROP_ORDER = ["IMAGE", "BRANCH", "URL", "EXPIRES", "COST/DAY", "LAST UPDATE", "COMMIT"];

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
  const { lines } = fitTable(
    STATUS_HEADER,
    rows.map((r) => statusRow(r, now)),
    width,
    DROP_ORDER,
  );
  const current = rows[selected];
  return (
    <Box flexDirection="column">
      <Text bold>{`  ${lines[0] ?? ""}`}</Text>
      {lines.slice(1).map((line, i) => {
        const row = rows[i];
        const failed = row?.lastUpdate?.result === "failed";
        return (
          <Text
            key={row?.stack ?? i}
            wrap="truncate-end"
            inverse={i === selected && color}
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
    row.branch ? `branch ${row.branch}` : undefined,
    row.imageId ? `image ${row.imageId}` : undefined,
    row.url,
    row.expiresAt ? `expires ${row.expiresAt}` : undefined,
  ]
    .filter(Boolean)
    .join(" · ");
}

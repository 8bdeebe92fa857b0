/** One stack's history on the dashboard: loading, its table, or why it could not be read. */
import { Box, Text, useStdout } from "ink";
import type { HistoryEntry } from "../../automation/api.js";
import { formatHistory } from "../format.js";
import { tint } from "./OperationView.js";

export function HistoryView({
  env,
  entries,
  error,
  now,
  color,
}: {
  env: string;
  entries?: HistoryEntry[];
  error?: string;
  now: Date;
  color: boolean;
}) {
  const { stdout } = useStdout();
  const width = Math.max(40, (stdout.columns || 80) - 1);
  return (
    <Box flexDirection="column">
      <Text bold>History of {env}</Text>
      {error ? (
        <Text color={tint(color, "red")}>{error}</Text>
      ) : entries ? (
        <Text>{formatHistory(env, entries, now, width)}</Text>
      ) : (
        <Text dimColor>loading…</Text>
      )}
      <Text dimColor>esc back</Text>
    </Box>
  );
}

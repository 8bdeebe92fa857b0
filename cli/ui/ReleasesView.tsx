/** The dashboard's `c` screen: the commits a row's next promotion or deploy releases (loading, the list, or why not). */
import { Box, Text } from "ink";
import type { Releases } from "../../automation/api.js";
import { releasedCommitLine, releasesSummary } from "../../automation/changes.js";
import { tint } from "./OperationView.js";

export function ReleasesView({
  title,
  releases,
  error,
  color,
}: {
  title: string;
  releases?: Releases;
  error?: string;
  color: boolean;
}) {
  return (
    <Box flexDirection="column">
      <Text bold>{title}</Text>
      {error ? (
        <Text color={tint(color, "red")}>{error}</Text>
      ) : releases ? (
        <>
          <Text>{releasesSummary(releases)}</Text>
          {releases.commits.map((c) => (
            <Text
              key={c.sha}
              wrap="truncate-end"
              color={tint(color, c.direction === "release" ? "green" : "red")}
            >
              {`  ${releasedCommitLine(c)}`}
            </Text>
          ))}
          {releases.more > 0 ? <Text dimColor>{`  … and ${releases.more} more`}</Text> : null}
        </>
      ) : (
        <Text dimColor>loading…</Text>
      )}
      <Text dimColor>esc back</Text>
    </Box>
  );
}

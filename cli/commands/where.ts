/**
 * `flightdeck where <commit|branch|issue key>`: every environment and preview
 * whose running commit contains the change, since when and by whom, as a
 * table or `{ where }` JSON. Exit 0 whatever the answer (it is a query); a
 * change that cannot be found is exit 2.
 */
import type { WhereResult, WhereStack } from "../../automation/api.js";
import { ExitCode } from "../../infra/errors.js";
import type { CommandOf } from "../parsed-command.js";
import { operations, printDocument, queryListener, type RunContext } from "../run.js";

export async function where(ctx: RunContext, cmd: CommandOf<"where">): Promise<number> {
  const ops = await operations(ctx, { onEvent: queryListener(ctx) });
  const result = await ops.where({ query: cmd.query });
  printDocument(ctx, { where: result }, () => formatWhere(result));
  return ExitCode.ok;
}

const STATE: Record<WhereStack["state"], string> = {
  yes: "yes",
  partial: "partly",
  no: "no",
  unknown: "unknown",
  "not-deployed": "-",
};

const KIND: Record<WhereResult["kind"], string> = {
  commit: "commit",
  ref: "branch or tag",
  "merged-branch": "merged branch",
  issue: "issue",
};

/** The answer as a table: one row per stack, then the commits of the change. */
export function formatWhere(r: WhereResult): string {
  const total = r.commits.length;
  const rows = r.stacks.map((s) => [
    s.stack,
    s.state === "partial" ? `partly (${s.contained}/${total})` : STATE[s.state],
    s.commit ? s.commit.slice(0, 7) : "-",
    s.since ?? "-",
    s.by ?? "-",
    s.url ?? "",
  ]);
  const header = ["STACK", "HAS IT", "RUNS", "SINCE", "BY", "URL"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  const lines = [`${KIND[r.kind]} ${r.query}: ${total} commit${total === 1 ? "" : "s"}`];
  lines.push(r.stacks.length > 0 ? [line(header), ...rows.map(line)].join("\n") : "No stacks yet.");
  const shown = r.commits.slice(0, 20);
  if (total > 1) {
    lines.push("Commits:", ...shown.map((c) => `  ${c.shortSha} ${c.subject}`));
    if (total > shown.length) lines.push(`  ... and ${total - shown.length} more (--json lists them all)`);
  }
  const missing = r.stacks.filter((s) => s.state === "partial");
  for (const s of missing) {
    const shas = (s.missing ?? []).map((sha) => sha.slice(0, 7));
    lines.push(`${s.stack} lacks ${shas.slice(0, 10).join(", ")}${shas.length > 10 ? ", ..." : ""}`);
  }
  return lines.join("\n");
}

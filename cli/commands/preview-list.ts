/**
 * `flightdeck preview list`: every preview with its kind, commit, branch,
 * author, URL, expiry, whether it is awake or asleep, and why reap would remove
 * it, as a table or `{ previews }` JSON.
 */
import type { PreviewInfo } from "../../automation/api.js";
import { ExitCode } from "../../infra/errors.js";
import { formatAgo, formatDuration, formatTimeLeft, short, table } from "../format.js";
import { operations, printDocument, queryListener, type RunContext } from "../run.js";

export async function previewList(ctx: RunContext): Promise<number> {
  const ops = await operations(ctx, { onEvent: queryListener(ctx) });
  const previews = await ops.previewList();
  printDocument(ctx, { previews }, () => formatPreviewTable(previews, ctx.deps.clock()));
  return ExitCode.ok;
}

/** The previews as a table; POWER says awake or asleep and why, REAP why `flightdeck reap` would remove it. */
export function formatPreviewTable(previews: readonly PreviewInfo[], now: Date): string {
  if (previews.length === 0) {
    return "No previews. Open one with `flightdeck preview up --commit <ref>` or `--branch <name>`.";
  }
  return table(
    ["STACK", "COMMIT", "BRANCH", "AUTHOR", "URL", "CREATED", "EXPIRES", "POWER", "REAP"],
    previews.map((p) => [
      p.stack,
      short(p.commit),
      p.branch ?? "-",
      p.author ?? "-",
      p.url ?? "-",
      formatAgo(p.createdAt, now),
      p.kind === "branch"
        ? "with its branch"
        : p.expired
          ? "expired"
          : formatTimeLeft(Date.parse(p.expiresAt) - now.getTime()),
      p.power ? powerText(p.power, now) : "-",
      p.goes ?? "-",
    ]),
  );
}

function powerText(power: NonNullable<PreviewInfo["power"]>, now: Date): string {
  const by = power.by === "hand" ? " (by hand)" : "";
  const until = power.until ? ` for ${formatDuration(Date.parse(power.until) - now.getTime())}` : "";
  return `${power.state}${until}${by}`;
}

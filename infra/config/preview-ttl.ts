/**
 * The TTL a preview is created with: `--ttl` or the previews config's
 * `preview.ttl`, never longer than its `preview.maxTtl`.
 */
import { UserError } from "../errors.js";
import { parseDurationMs } from "./duration.js";
import { stackConfigFileName } from "./loader.js";
import { quoteValue } from "./problems.js";
import type { PreviewDefaults } from "./sections.js";

/**
 * The milliseconds a new preview lives: `ttl` (given as `what`, e.g. `--ttl`),
 * else the config's TTL. A UserError (exit code 2) names a TTL that is not a
 * duration or is longer than `preview.maxTtl`, and where that limit is set.
 */
export function previewTtlMs(
  ttl: string | undefined,
  preview: Pick<PreviewDefaults, "ttl" | "maxTtl" | "baseStack">,
  what = "--ttl",
): number {
  const file = stackConfigFileName(preview.baseStack);
  const maxMs = parseDurationMs(preview.maxTtl, `flightdeck:preview.maxTtl in ${file}`);
  if (ttl === undefined) return parseDurationMs(preview.ttl, `flightdeck:preview.ttl in ${file}`);
  const ms = parseDurationMs(ttl, what);
  if (ms > maxMs) {
    throw new UserError(
      `${what} ${quoteValue(ttl)} is longer than the longest preview TTL, ${preview.maxTtl} (flightdeck:preview.maxTtl in ${file})`,
      {
        tryMessage: `Use a TTL of at most ${preview.maxTtl}, or raise flightdeck:preview.maxTtl in ${file}.`,
      },
    );
  }
  return ms;
}

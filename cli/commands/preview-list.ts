/**
 * `flightdeck preview list`: every preview with its commit, branch, author,
 * URL and expiry, as a table or `{ previews }` JSON.
 */
import { ExitCode } from "../../infra/errors.js";
import { formatPreviews } from "../format.js";
import { operations, printDocument, queryListener, type RunContext } from "../run.js";

export async function previewList(ctx: RunContext): Promise<number> {
  const ops = await operations(ctx, { onEvent: queryListener(ctx) });
  const previews = await ops.previewList();
  printDocument(ctx, { previews }, () => formatPreviews(previews, ctx.deps.clock()));
  return ExitCode.ok;
}

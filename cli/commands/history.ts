/**
 * `flightdeck history ENV [--limit N]`: the environment's updates, as a table
 * or `{ stack, history }` JSON.
 */
import { ExitCode } from "../../infra/errors.js";
import { formatHistory } from "../format.js";
import type { CommandOf } from "../parsed-command.js";
import { operations, printDocument, queryListener, type RunContext } from "../run.js";

export async function history(ctx: RunContext, cmd: CommandOf<"history">): Promise<number> {
  const ops = await operations(ctx, { onEvent: queryListener(ctx) });
  const entries = await ops.history({
    env: cmd.env,
    ...(cmd.limit === undefined ? {} : { limit: cmd.limit }),
  });
  printDocument(ctx, { stack: cmd.env, history: entries }, () =>
    formatHistory(cmd.env, entries, ctx.deps.clock()),
  );
  return ExitCode.ok;
}

/**
 * `flightdeck status` (and `flightdeck` without a terminal): the deployment
 * matrix with each stack's estimated cost, as a table or `{ stacks }` JSON.
 */
import { ExitCode } from "../../infra/errors.js";
import { formatStatus } from "../format.js";
import { costPerDay, operations, printDocument, queryListener, type RunContext } from "../run.js";

export async function status(ctx: RunContext): Promise<number> {
  const ops = await operations(ctx, { onEvent: queryListener(ctx), costPerDay: await costPerDay(ctx) });
  const stacks = await ops.status();
  printDocument(ctx, { stacks }, () => formatStatus(stacks, ctx.deps.clock()));
  return ExitCode.ok;
}

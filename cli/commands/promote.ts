/**
 * `flightdeck promote FROM TO`: both must be environments (TO's config is
 * checked before any engine); production asks for its name typed (or --yes).
 */
import type { Operations } from "../../automation/api.js";
import { UserError } from "../../infra/errors.js";
import type { CommandOf } from "../parsed-command.js";
import {
  actorInput,
  checkEnvironment,
  confirmIfProduction,
  requireEnvironment,
  requireProject,
  type RunContext,
  runOperation,
} from "../run.js";

type Promote = CommandOf<"promote">;

export async function promote(ctx: RunContext, cmd: Promote): Promise<number> {
  requireProject(ctx.projectDir);
  if (cmd.from === cmd.to) {
    throw new UserError(`cannot promote ${cmd.from} to itself`, {
      tryMessage: "Name two environments: `flightdeck promote <from> <to>`, like staging production.",
    });
  }
  await checkEnvironment(ctx, cmd.to);
  await requireEnvironment(ctx, cmd.from);
  await confirmIfProduction(ctx, cmd, cmd.to, `Promote what ${cmd.from} runs to PRODUCTION (${cmd.to})?`);
  return runOperation(ctx, cmd.to, (ops) => invokePromote(ops, cmd));
}

export function invokePromote(ops: Operations, cmd: Promote): Promise<unknown> {
  return ops.promote({ from: cmd.from, to: cmd.to, ...actorInput(cmd.globals) });
}

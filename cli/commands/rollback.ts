/**
 * `flightdeck rollback ENV REF`: the environment is checked before any engine
 * (not the ref: a shallow clone may lack an old commit that the stack's history
 * knows); production asks for its name typed (or --yes).
 */
import type { Operations } from "../../automation/api.js";
import type { CommandOf } from "../parsed-command.js";
import { actorInput, checkEnvironment, confirmIfProduction, type RunContext, runOperation } from "../run.js";

type Rollback = CommandOf<"rollback">;

export async function rollback(ctx: RunContext, cmd: Rollback): Promise<number> {
  await checkEnvironment(ctx, cmd.env);
  await confirmIfProduction(ctx, cmd, cmd.env, `Roll PRODUCTION (${cmd.env}) back to ${cmd.ref}?`);
  return runOperation(ctx, cmd.env, (ops) => invokeRollback(ops, cmd));
}

export function invokeRollback(ops: Operations, cmd: Rollback): Promise<unknown> {
  return ops.rollback({ env: cmd.env, commit: cmd.ref, ...actorInput(cmd.globals) });
}

/**
 * `flightdeck deploy ENV [--commit REF]`: the environment and the ref are
 * checked before any engine; production asks for its name typed (or --yes).
 */
import type { Operations } from "../../automation/api.js";
import type { CommandOf } from "../parsed-command.js";
import {
  actorInput,
  checkEnvironment,
  checkRef,
  confirmIfProduction,
  type RunContext,
  runOperation,
} from "../run.js";

type Deploy = CommandOf<"deploy">;

export async function deploy(ctx: RunContext, cmd: Deploy): Promise<number> {
  await checkEnvironment(ctx, cmd.env);
  // A mistyped ref (or a project that is no git repository) is the person's to fix, whatever the engine.
  await checkRef(ctx, cmd.commit ?? "HEAD");
  await confirmIfProduction(ctx, cmd, cmd.env, `Deploy ${cmd.commit ?? "HEAD"} to PRODUCTION (${cmd.env})?`);
  return runOperation(ctx, cmd.env, (ops) => invokeDeploy(ops, cmd));
}

export function invokeDeploy(ops: Operations, cmd: Deploy): Promise<unknown> {
  return ops.deploy({
    env: cmd.env,
    ...(cmd.commit === undefined ? {} : { commit: cmd.commit }),
    ...actorInput(cmd.globals),
  });
}

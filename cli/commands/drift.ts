/**
 * `flightdeck drift [env…]`: a refresh preview of each environment stack
 * (default: every one that exists, previews left out), its findings as events
 * (plain lines, or JSON lines with `--json`). Exit 0: no drift; exit 1: drift
 * or a check that could not run. Changes nothing, so asks nothing.
 */
import type { CommandOf } from "../parsed-command.js";
import { requireProject, type RunContext, runOperation } from "../run.js";

export function drift(ctx: RunContext, cmd: CommandOf<"drift">): Promise<number> {
  requireProject(ctx.projectDir);
  return runOperation(ctx, cmd.envs.length === 1 ? cmd.envs[0] : undefined, (ops) =>
    ops.drift(cmd.envs.length > 0 ? { envs: cmd.envs } : {}),
  );
}

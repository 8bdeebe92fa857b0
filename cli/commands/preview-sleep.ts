/**
 * `flightdeck preview sleep REF` and `flightdeck preview wake REF`: a sleep or
 * wake by hand (it wins over the working-hours schedule), then an `up` of the
 * preview. Nothing to confirm: neither loses anything, and either undoes the other.
 */
import type { CommandOf } from "../parsed-command.js";
import { actorInput, requireProject, type RunContext, runOperation } from "../run.js";

export function previewSleep(ctx: RunContext, cmd: CommandOf<"preview sleep">): Promise<number> {
  requireProject(ctx.projectDir);
  return runOperation(ctx, undefined, (ops) =>
    ops.previewSleep({ ref: cmd.ref, ...actorInput(cmd.globals) }),
  );
}

export function previewWake(ctx: RunContext, cmd: CommandOf<"preview wake">): Promise<number> {
  requireProject(ctx.projectDir);
  return runOperation(ctx, undefined, (ops) => ops.previewWake({ ref: cmd.ref, ...actorInput(cmd.globals) }));
}

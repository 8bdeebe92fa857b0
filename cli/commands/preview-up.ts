/**
 * `flightdeck preview up [--commit REF] [--ttl D]`: the previews config and
 * the ref are checked before any engine; nothing to confirm.
 */
import type { Operations } from "../../automation/api.js";
import type { CommandOf } from "../parsed-command.js";
import { actorInput, checkEnvironment, checkRef, type RunContext, runOperation } from "../run.js";

type PreviewUp = CommandOf<"preview up">;

export async function previewUp(ctx: RunContext, cmd: PreviewUp): Promise<number> {
  await checkEnvironment(ctx, "previews");
  await checkRef(ctx, cmd.commit);
  return runOperation(ctx, undefined, (ops) => invokePreviewUp(ops, cmd));
}

export function invokePreviewUp(ops: Operations, cmd: PreviewUp): Promise<unknown> {
  return ops.previewUp({
    ...(cmd.commit === undefined ? {} : { commit: cmd.commit }),
    ...(cmd.ttl === undefined ? {} : { ttl: cmd.ttl }),
    ...actorInput(cmd.globals),
  });
}

/**
 * `flightdeck preview up [--commit REF | --branch NAME] [--ttl D]`: the previews
 * config and the ref are checked before any engine; nothing to confirm.
 */
import type { Operations } from "../../automation/api.js";
import type { CommandOf } from "../parsed-command.js";
import {
  actorInput,
  checkEnvironment,
  checkRef,
  committedConfig,
  type RunContext,
  runOperation,
} from "../run.js";

type PreviewUp = CommandOf<"preview up">;

export async function previewUp(ctx: RunContext, cmd: PreviewUp): Promise<number> {
  await checkEnvironment(ctx, "previews");
  if (cmd.ttl !== undefined) {
    // A TTL past the previews config's limit is the person's to fix, whatever the engine.
    const { previewTtlMs } = await import("../../infra/config.js");
    previewTtlMs(cmd.ttl, (await committedConfig(ctx, "previews")).preview);
  }
  if (cmd.branch !== undefined) {
    const { requireBranchTip } = await import("../../automation/branches.js");
    await requireBranchTip(ctx.projectDir, cmd.branch);
  } else await checkRef(ctx, cmd.commit ?? "HEAD");
  return runOperation(ctx, undefined, (ops) => invokePreviewUp(ops, cmd));
}

export function invokePreviewUp(ops: Operations, cmd: PreviewUp): Promise<unknown> {
  return ops.previewUp({
    ...(cmd.commit === undefined ? {} : { commit: cmd.commit }),
    ...(cmd.branch === undefined ? {} : { branch: cmd.branch }),
    ...(cmd.ttl === undefined ? {} : { ttl: cmd.ttl }),
    ...actorInput(cmd.globals),
  });
}

/**
 * `flightdeck preview down REF`: destroys a preview and removes its stack,
 * after a `y` at a terminal (--yes without one).
 */
import type { Operations } from "../../automation/api.js";
import type { CommandOf } from "../parsed-command.js";
import { confirm, requireProject, type RunContext, runOperation } from "../run.js";

type PreviewDown = CommandOf<"preview down">;

export async function previewDown(ctx: RunContext, cmd: PreviewDown): Promise<number> {
  requireProject(ctx.projectDir);
  await confirm(ctx, cmd, {
    title: `Destroy the preview ${cmd.ref}?`,
    details: ["Its resources and data are destroyed and its stack removed."],
  });
  return runOperation(ctx, cmd.ref, (ops) => invokePreviewDown(ops, cmd));
}

export function invokePreviewDown(ops: Operations, cmd: PreviewDown): Promise<unknown> {
  return ops.previewDown({ ref: cmd.ref });
}

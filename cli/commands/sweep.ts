/**
 * `flightdeck sweep [--dry-run] [--delete]`: AWS leftovers of stacks that no
 * longer exist, or that their stack's state does not hold. A dry run unless
 * `--delete`; deleting asks first (at a terminal, naming what goes; without
 * one, `--yes` is needed), and with nothing to delete says so and stops.
 */
import { ExitCode } from "../../infra/errors.js";
import type { CommandOf } from "../parsed-command.js";
import { confirm, operations, out, requireProject, type RunContext, runOperation } from "../run.js";

export async function sweep(ctx: RunContext, cmd: CommandOf<"sweep">): Promise<number> {
  requireProject(ctx.projectDir);
  if (cmd.delete) {
    const need: { title: string; details?: string[] } = {
      title: "Delete every AWS resource tagged for a stack that is gone, or not in its stack's state?",
    };
    if (ctx.mode === "ink" && !cmd.globals.yes) {
      const dry = await (await operations(ctx)).sweep({});
      const deletable = dry.leftovers.filter((l) => l.deletable);
      if (deletable.length === 0) {
        out(
          ctx,
          `Nothing to delete: ${dry.leftovers.length === 0 ? "no leftovers" : "only leftovers to delete by hand"}.`,
        );
        return ExitCode.ok;
      }
      need.details = [`${deletable.length} resource(s):`, ...deletable.map((l) => `  ${l.arn}`)];
    }
    await confirm(ctx, cmd, need);
  }
  return runOperation(ctx, undefined, (ops) => ops.sweep({ delete: cmd.delete }));
}

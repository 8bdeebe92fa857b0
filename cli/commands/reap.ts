/**
 * `flightdeck reap [--older-than D] [--dry-run] [--concurrency N]`: asks first
 * unless a dry run; at a terminal the question names the previews it would
 * destroy, and with none it says so and stops.
 */
import { ExitCode } from "../../infra/errors.js";
import type { CommandOf } from "../parsed-command.js";
import {
  type ConfirmationNeed,
  confirm,
  operations,
  out,
  requireProject,
  type RunContext,
  runOperation,
} from "../run.js";

type Reap = CommandOf<"reap">;

export async function reap(ctx: RunContext, cmd: Reap): Promise<number> {
  requireProject(ctx.projectDir);
  if (cmd.olderThan !== undefined) {
    // Checked before any engine: a duration past flightdeck's longest is named with what is accepted.
    const { parseDurationMs } = await import("../../infra/config.js");
    parseDurationMs(cmd.olderThan, "--older-than");
  }
  if (!cmd.dryRun) {
    const need: ConfirmationNeed = {
      title: `Destroy every preview past its TTL or whose branch is merged or deleted${cmd.olderThan ? `, or older than ${cmd.olderThan}` : ""}?`,
    };
    if (ctx.mode === "ink" && !cmd.globals.yes) {
      const candidates = await reapCandidates(ctx, cmd);
      if (candidates.length === 0) {
        out(ctx, "Nothing to reap: no preview is past its TTL, and every branch preview's branch lives.");
        return ExitCode.ok;
      }
      need.details = [
        `${candidates.length} preview(s):`,
        ...candidates.map((c) => `  ${c.stack}: ${c.reason}`),
      ];
    }
    await confirm(ctx, cmd, need);
  }
  return runOperation(ctx, undefined, (ops) =>
    ops.reap({
      dryRun: cmd.dryRun,
      ...(cmd.olderThan === undefined ? {} : { olderThan: cmd.olderThan }),
      ...(cmd.concurrency === undefined ? {} : { concurrency: cmd.concurrency }),
    }),
  );
}

/** An interactive reap first lists what it would destroy, so the question names the stacks. */
async function reapCandidates(ctx: RunContext, cmd: Reap): Promise<{ stack: string; reason: string }[]> {
  const ops = await operations(ctx);
  const dry = await ops.reap({
    dryRun: true,
    ...(cmd.olderThan === undefined ? {} : { olderThan: cmd.olderThan }),
  });
  return dry.candidates.map((stack) => ({ stack, reason: dry.reasons?.[stack] ?? "expired" }));
}

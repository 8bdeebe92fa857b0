/**
 * Every command flightdeck runs, one module each in `commands/`: the parsed
 * command in, the exit code out. What they share (output mode, confirmation,
 * running an operation) is in `run.ts`; the one error handler is `main.ts`'s.
 */
import { ExitCode } from "../infra/errors.js";
import { dashboard } from "./commands/dashboard.js";
import { deploy } from "./commands/deploy.js";
import { drift } from "./commands/drift.js";
import { history } from "./commands/history.js";
import { plan } from "./commands/plan.js";
import { previewComment } from "./commands/preview-comment.js";
import { previewDown } from "./commands/preview-down.js";
import { previewList } from "./commands/preview-list.js";
import { previewSleep, previewWake } from "./commands/preview-sleep.js";
import { previewUp } from "./commands/preview-up.js";
import { promote } from "./commands/promote.js";
import { reap } from "./commands/reap.js";
import { rollback } from "./commands/rollback.js";
import { status } from "./commands/status.js";
import { sweep } from "./commands/sweep.js";
import { where } from "./commands/where.js";
import type { ParsedCommand } from "./parsed-command.js";
import { out, type RunContext } from "./run.js";

export async function runCommand(cmd: ParsedCommand, ctx: RunContext): Promise<number> {
  switch (cmd.command) {
    case "help":
      out(ctx, cmd.text);
      return ExitCode.ok;
    case "default":
      return ctx.mode === "ink" ? dashboard(ctx, cmd.globals) : status(ctx);
    case "status":
      return status(ctx);
    case "history":
      return history(ctx, cmd);
    case "where":
      return where(ctx, cmd);
    case "preview list":
      return previewList(ctx);
    case "plan":
      return plan(ctx, cmd);
    case "deploy":
      return deploy(ctx, cmd);
    case "promote":
      return promote(ctx, cmd);
    case "rollback":
      return rollback(ctx, cmd);
    case "preview up":
      return previewUp(ctx, cmd);
    case "preview down":
      return previewDown(ctx, cmd);
    case "preview sleep":
      return previewSleep(ctx, cmd);
    case "preview wake":
      return previewWake(ctx, cmd);
    case "preview comment":
      return previewComment(ctx, cmd);
    case "reap":
      return reap(ctx, cmd);
    case "drift":
      return drift(ctx, cmd);
    case "sweep":
      return sweep(ctx, cmd);
  }
}

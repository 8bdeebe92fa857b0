/**
 * Interrupts outside an operation: Ctrl-C or SIGTERM while a command checks
 * its input or reads (before anything changes) ends the run with exit 130 and
 * says what was stopped. An operation's own interrupter (or the dashboard)
 * takes over the signals while it runs (`ctx.signalsOwned`).
 */
import { ExitCode } from "../infra/errors.js";
import { err, type RunContext } from "./run.js";

/**
 * Ctrl-C / SIGTERM while no operation runs (a query, the offline plan, the checks
 * and the confirmation before an operation, the dashboard starting): nothing was
 * changed, so the run says what was interrupted and ends at once with 130, as
 * the exit code table says. Returns the function that stops listening.
 */
export function guardInterrupts(ctx: RunContext, what: string): () => void {
  const handler = () => {
    if (ctx.signalsOwned > 0) return;
    const message = `interrupted: ${what} stopped before changing anything`;
    if (ctx.mode === "json") {
      ctx.deps.stdout.write(
        `${JSON.stringify({ ok: false, error: { name: "Interrupted", message, exitCode: ExitCode.interrupted } })}\n`,
      );
    }
    err(ctx, `${ctx.colors.red(ctx.colors.bold("Interrupted:"))} ${what} stopped before changing anything.`);
    ctx.deps.exit(ExitCode.interrupted);
  };
  ctx.deps.signals.on("SIGINT", handler);
  ctx.deps.signals.on("SIGTERM", handler);
  return () => {
    ctx.deps.signals.off("SIGINT", handler);
    ctx.deps.signals.off("SIGTERM", handler);
  };
}

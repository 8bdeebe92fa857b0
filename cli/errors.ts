/**
 * The one top-level error handler: every error any command throws ends here.
 *
 * A `UserError` prints what is wrong, what to try and the next steps, and the
 * process ends with its exit code. Anything else is a bug: a short trace and
 * where the operation log is, exit 1. Text passes through `redactSecrets` on
 * the way out, so a secret that slipped into an error message is not printed.
 */
import { ExitCode, isUserError, type UserError } from "../infra/errors.js";
import { redactSecrets } from "../infra/redact.js";
import type { Colors } from "./output.js";

export interface ErrorContext {
  colors: Colors;
  env: Record<string, string | undefined>;
  /** The running operation's JSON-lines log, when one started. */
  logFile?: string;
  /** Where operation logs go, when no operation started. */
  logDir: string;
}

export interface RenderedError {
  text: string;
  exitCode: number;
  /** The machine form, for `--json`. */
  json: { name: string; message: string; tryMessage?: string; nextSteps?: string[]; exitCode: number };
}

export { redactSecrets } from "../infra/redact.js";

/** The first frames of a stack trace: enough to file a bug, short enough to read. */
export function shortTrace(error: Error, frames = 6): string {
  const lines = (error.stack ?? `${error.name}: ${error.message}`).split("\n");
  const head = lines.findIndex((l) => /^\s+at /.test(l));
  if (head === -1) return lines.join("\n");
  return [...lines.slice(0, head), ...lines.slice(head, head + frames)].join("\n");
}

/**
 * A `UserError`, also one from a second copy of `infra/errors` (a duplicated
 * install, or a test runner loading a module both as CommonJS and as ESM),
 * where `instanceof` alone would turn a user error into a "bug".
 */
export function looksLikeUserError(error: unknown): error is UserError {
  if (isUserError(error)) return true;
  const e = error as Partial<UserError> | null;
  return (
    error instanceof Error &&
    e !== null &&
    typeof e.exitCode === "number" &&
    Array.isArray(e.nextSteps) &&
    (e.tryMessage === undefined || typeof e.tryMessage === "string")
  );
}

export function renderError(error: unknown, ctx: ErrorContext): RenderedError {
  const c = ctx.colors;
  if (looksLikeUserError(error)) {
    const lines = [`${c.red(c.bold("Error:"))} ${error.message}`];
    if (error.tryMessage) lines.push(`${c.bold("Try:")} ${error.tryMessage}`);
    if (error.nextSteps.length > 0) {
      lines.push(c.bold("Next steps:"), ...error.nextSteps.map((s) => `  - ${s}`));
    }
    return {
      text: redactSecrets(lines.join("\n"), ctx.env),
      exitCode: error.exitCode,
      json: JSON.parse(
        redactSecrets(
          JSON.stringify({
            name: error.name,
            message: error.message,
            ...(error.tryMessage ? { tryMessage: error.tryMessage } : {}),
            ...(error.nextSteps.length > 0 ? { nextSteps: error.nextSteps } : {}),
            exitCode: error.exitCode,
          }),
          ctx.env,
        ),
      ),
    };
  }
  const err = error instanceof Error ? error : new Error(String(error));
  const where = ctx.logFile ? `The operation log is ${ctx.logFile}.` : `Operation logs are in ${ctx.logDir}.`;
  const text = [
    `${c.red(c.bold("flightdeck hit a bug:"))} ${err.message}`,
    c.dim(shortTrace(err)),
    where,
    "Please report it with the trace above and that log.",
  ].join("\n");
  return {
    text: redactSecrets(text, ctx.env),
    exitCode: ExitCode.failed,
    json: JSON.parse(
      redactSecrets(
        JSON.stringify({ name: "InternalError", message: err.message, exitCode: ExitCode.failed }),
        ctx.env,
      ),
    ),
  };
}

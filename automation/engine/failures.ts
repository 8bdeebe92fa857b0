/**
 * The Automation API's errors as the engine port's: a lock, a missing stack, a
 * stack that still has resources, a failed update (with its real cause) or a
 * failed read. Everything else is a bug and passes through unchanged.
 */
import type * as Auto from "@pulumi/pulumi/automation/index.js";
import { ExitCode, UserError } from "../../infra/errors.js";
import {
  StackLockedError,
  StackNotEmptyError,
  StackNotFoundError,
  UpdateFailedError,
  type UpdateKind,
} from "../engine.js";
import { failureReason, parseLockHolder } from "./pulumi-records.js";

/** A `pulumi` command that is not an update failed (reading config, history, the stack list...). */
export class EngineCommandError extends UserError {
  constructor(stack: string, reason: string, cause?: unknown) {
    super(`pulumi could not complete a command on '${stack}': ${reason}`, {
      tryMessage:
        "Check the backend (PULUMI_BACKEND_URL and its credentials) and the secrets passphrase, then try again.",
      exitCode: ExitCode.failed,
      cause,
    });
    this.name = "EngineCommandError";
  }
}

export interface FailureContext {
  stack: string;
  kind: UpdateKind;
  /** The error diagnostics the update reported, in order. */
  diagnostics: string[];
  /** The command that clears this stack's lock in flightdeck's backend. */
  clearCommand: () => string;
  knownStacks: () => Promise<string[]>;
}

export async function engineError(auto: typeof Auto, error: unknown, ctx: FailureContext): Promise<unknown> {
  const { stack, kind } = ctx;
  if (error instanceof auto.ConcurrentUpdateError) {
    return new StackLockedError(stack, {
      ...parseLockHolder(error.message),
      clearCommand: ctx.clearCommand(),
    });
  }
  if (error instanceof auto.StackNotFoundError) return new StackNotFoundError(stack, await ctx.knownStacks());
  if (error instanceof auto.CommandError) {
    // `pulumi stack rm`: "'<stack>' still has resources; removal rejected".
    if (/still has resources/.test(error.message)) return new StackNotEmptyError(stack);
    const reason = failureReason(error.message, ctx.diagnostics);
    if (kind === "other") return new EngineCommandError(stack, reason, error);
    return new UpdateFailedError(stack, kind, reason, error);
  }
  return error;
}

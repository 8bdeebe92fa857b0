/**
 * Errors a person can act on, as opposed to bugs.
 *
 * A `UserError` says what is wrong (`message`), what to try (`tryMessage`) and
 * the next steps, and carries the process exit code the CLI ends with. One
 * top-level handler in `cli/` renders any error; nothing below it prints.
 */

/** Exit codes of every flightdeck command (documented in the README and `--help`). */
export const ExitCode = {
  ok: 0,
  /** The operation ran and failed (an update error, a failed destroy, a mandatory policy violation). */
  failed: 1,
  /** Bad usage or configuration, including a missing Pulumi CLI. */
  usage: 2,
  /** Refused by a guard (production rules, rollback history, promotion source). */
  refused: 3,
  /** The stack is locked by another update. */
  busy: 4,
  /** Interrupted by Ctrl-C / SIGTERM. */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface UserErrorOptions {
  /** One line: what to try. */
  tryMessage?: string;
  /** Further steps, one per entry. */
  nextSteps?: string[];
  exitCode?: ExitCodeValue;
  cause?: unknown;
}

export class UserError extends Error {
  readonly tryMessage?: string;
  readonly nextSteps: string[];
  readonly exitCode: ExitCodeValue;

  constructor(message: string, options: UserErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "UserError";
    this.tryMessage = options.tryMessage;
    this.nextSteps = options.nextSteps ?? [];
    this.exitCode = options.exitCode ?? ExitCode.usage;
  }
}

/** A configuration that does not satisfy the schema: every problem, each named by file and path. */
export class ConfigError extends UserError {
  readonly problems: string[];

  constructor(source: string, problems: string[]) {
    super(`${source} is not a valid flightdeck configuration:\n${problems.map((p) => `  ${p}`).join("\n")}`, {
      tryMessage: `Fix the ${problems.length === 1 ? "problem" : `${problems.length} problems`} above in ${source}.`,
      nextSteps: ["Every option is documented in the example Pulumi.<stack>.yaml files and the README."],
      exitCode: ExitCode.usage,
    });
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** A guard refused the operation: the reason says why and what to do instead. */
export class GuardError extends UserError {
  readonly guard: string;

  constructor(guard: string, message: string, options: Omit<UserErrorOptions, "exitCode"> = {}) {
    super(message, { ...options, exitCode: ExitCode.refused });
    this.name = "GuardError";
    this.guard = guard;
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}

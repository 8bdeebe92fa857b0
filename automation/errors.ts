/** Errors of the operations themselves (the engine's are in `engine.ts`, guards' in `infra/errors.ts`). */
import { ExitCode, UserError, type UserErrorOptions } from "../infra/errors.js";

/**
 * An operation over many stacks finished with failures (exit 1) or was
 * interrupted (exit 130); `data` is its full result, which the result event carries.
 */
export class OperationFailedError<T = unknown> extends UserError {
  readonly data: T;

  constructor(message: string, data: T, options: UserErrorOptions = {}) {
    super(message, { exitCode: ExitCode.failed, ...options });
    this.name = "OperationFailedError";
    this.data = data;
  }
}

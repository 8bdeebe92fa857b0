/**
 * Ctrl-C and SIGTERM while an operation runs.
 *
 * The first interrupt aborts the operation's AbortSignal: the automation layer
 * cancels the update through the engine and waits for it to stop, and the
 * operation ends with `UpdateCancelledError` (exit 130). A second interrupt
 * does not wait: it says what may still be pending and how to clear it, then
 * exits at once with 130.
 */
import { ExitCode } from "../infra/errors.js";

export interface SignalSource {
  on(signal: "SIGINT" | "SIGTERM", handler: () => void): unknown;
  off(signal: "SIGINT" | "SIGTERM", handler: () => void): unknown;
}

export interface Interrupter {
  readonly signal: AbortSignal;
  /** What the stack is, once known (for the second-interrupt message). */
  setStack(stack: string | undefined): void;
  /** Called on each Ctrl-C / SIGTERM (from the process or from Ink's key handler). */
  interrupt(): void;
  /** Stop listening to the process signals. */
  dispose(): void;
}

export interface InterrupterDeps {
  signals: SignalSource;
  /** Tell the person (stderr). */
  say: (text: string) => void;
  /** End the process now. */
  exit: (code: number) => void;
}

/** What may be left behind when flightdeck stops without waiting for the engine. */
export function pendingMessage(stack: string | undefined): string {
  const which = stack ? `'${stack}'` : "the stack";
  const cancel = stack ? `pulumi cancel --stack ${stack}` : "pulumi cancel --stack <stack>";
  return [
    `Stopped without waiting: the update of ${which} may still be running in the engine and hold its lock.`,
    `Check with \`flightdeck status\`; if ${which} stays locked with no update running, clear it with \`${cancel}\`.`,
  ].join("\n");
}

export function createInterrupter(deps: InterrupterDeps): Interrupter {
  const controller = new AbortController();
  let stack: string | undefined;
  let count = 0;
  const interrupt = () => {
    count++;
    if (count === 1) {
      deps.say(
        `Cancelling${stack ? ` the update of '${stack}'` : ""}: waiting for the engine to stop (Ctrl-C again to quit at once).`,
      );
      controller.abort();
      return;
    }
    deps.say(pendingMessage(stack));
    deps.exit(ExitCode.interrupted);
  };
  deps.signals.on("SIGINT", interrupt);
  deps.signals.on("SIGTERM", interrupt);
  return {
    signal: controller.signal,
    setStack: (s) => {
      stack = s ?? stack;
    },
    interrupt,
    dispose: () => {
      deps.signals.off("SIGINT", interrupt);
      deps.signals.off("SIGTERM", interrupt);
    },
  };
}

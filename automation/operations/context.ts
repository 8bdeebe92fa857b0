/**
 * What every button works with: the engine, the project (its committed stack
 * configs and its git repository), the image resolver, the clock, the process
 * environment and the cancel signal; `run` gives one operation its event
 * stream and JSON-lines log, ending in exactly one `result` event.
 */
import { join } from "node:path";
import { createRedactor } from "../../infra/redact.js";
import type { ImageResolver, OperationDeps } from "../api.js";
import type { Cloud } from "../cloud.js";
import type { Engine } from "../engine.js";
import type { OperationName } from "../events.js";
import { notificationHook } from "../notify.js";
import { type OperationContext, type Outcome, runOperation } from "../run.js";

export type Env = Record<string, string | undefined>;

export interface Context {
  engine: Engine;
  /** `Pulumi.yaml`, the committed `Pulumi.<stack>.yaml` files, and the git repository commits are resolved in. */
  projectDir: string;
  images: ImageResolver;
  /** AWS beside the engine: the release phase and the rollout checks. */
  cloud: Cloud;
  now: () => Date;
  /** Wait between polls of the cloud (rejects with the signal's abort). */
  sleep: (ms: number) => Promise<void>;
  /** Process environment, for the actor and CI variables. */
  env: Env;
  /** Cancels the running update (Ctrl-C / SIGTERM). */
  signal?: AbortSignal;
  costPerDay?: OperationDeps["costPerDay"];
  /** Run one operation's body: its events stamped, redacted, delivered and logged. */
  run<T>(
    operation: OperationName,
    start: { stack?: string },
    body: (op: OperationContext) => Promise<Outcome<T>>,
  ): Promise<T>;
}

/** The operations that run the program (an update, a preview, a refresh or a destroy). */
const RUN_THE_PROGRAM: ReadonlySet<OperationName> = new Set([
  "deploy",
  "promote",
  "rollback",
  "previewUp",
  "previewDown",
  "previewSleep",
  "previewWake",
  "reap",
  "plan",
  "drift",
]);

/** The context of `deps`, with their defaults: `process.env`, the real clock, logs under `.flightdeck/logs`. */
export function createContext(deps: OperationDeps): Context {
  const env: Env = deps.env ?? process.env;
  const now = deps.now ?? (() => new Date());
  const logDir = deps.logDir ?? join(deps.projectDir, ".flightdeck", "logs");
  const redact = createRedactor(env);
  return {
    engine: deps.engine,
    projectDir: deps.projectDir,
    images: deps.images,
    cloud: deps.cloud,
    now,
    sleep: deps.sleep ?? ((ms) => abortableSleep(ms, deps.signal)),
    env,
    signal: deps.signal,
    costPerDay: deps.costPerDay,
    run: (operation, start, body) =>
      runOperation(
        {
          operation,
          logDir,
          onEvent: deps.onEvent,
          now,
          start,
          redact,
          // Notifications of a deploy, promotion, rollback or reap: `notify.ts`.
          hook: notificationHook({
            operation,
            stack: start.stack,
            projectDir: deps.projectDir,
            env,
            now,
            timeoutMs: deps.notifyTimeoutMs,
          }),
        },
        // What running the program needs is made ready (or refused) before the operation changes anything.
        RUN_THE_PROGRAM.has(operation) && deps.engine.prepareUpdates
          ? async (op) => {
              await deps.engine.prepareUpdates?.();
              return body(op);
            }
          : body,
      ),
  };
}

/** Wait `ms`, or reject at once when `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error("aborted"));
    const done = () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error("aborted"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

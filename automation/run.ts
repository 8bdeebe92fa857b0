/**
 * Running one operation: stamp and deliver its events, append each as a JSON
 * line to the operation's log, and end in exactly one `result` event, also
 * when the operation fails (then the error is rethrown for the CLI).
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { ExitCode, isUserError } from "../infra/errors.js";
import type {
  EventInput,
  EventListener,
  FlightdeckEvent,
  NotificationDelivery,
  OperationName,
  ResultEvent,
} from "./events.js";

/** What the body of an operation returns on success. */
export interface Outcome<T> {
  data: T;
  summary: string;
  stack?: string;
  url?: string;
  changes?: ResultEvent["changes"];
}

/** How an operation ended, as its result event will say (for the ending hook). */
export type Ending =
  | { ok: true; data: unknown; summary: string; url?: string; durationMs: number }
  | { ok: false; error: unknown; summary: string; durationMs: number };

/**
 * Told of every event, then of the ending before the result event is emitted
 * (the notifications, `notify.ts`): what it reports joins the result event, its
 * warnings are diagnostics, and nothing it does can fail the operation.
 */
export interface EndingHook {
  observe(event: FlightdeckEvent): void;
  finish(ending: Ending, warn: (message: string) => void): Promise<NotificationDelivery[] | undefined>;
}

export interface OperationContext {
  operation: OperationName;
  /** Emit one event (stamped with the time and operation). */
  emit(event: Exclude<EventInput, { type: "start" | "result" }>): void;
  logFile: string;
}

/** `2026-11-21T23-10-00-000Z`: sortable and valid in every file system. */
export function logTimestamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, "-");
}

export function logFileName(date: Date, operation: OperationName, stack?: string): string {
  const fallback = operation === "previewUp" || operation === "previewDown" ? "preview" : "all";
  const target = (stack ?? fallback).replace(/[^A-Za-z0-9._-]/g, "_");
  return `${logTimestamp(date)}-${operation}-${target}.jsonl`;
}

/** The JSON form of an error for the result event (never the stack trace, never a cause's text). */
export function describeError(error: unknown): NonNullable<ResultEvent["error"]> {
  if (isUserError(error)) {
    return {
      name: error.name,
      message: error.message,
      ...(error.tryMessage ? { tryMessage: error.tryMessage } : {}),
      ...(error.nextSteps.length > 0 ? { nextSteps: error.nextSteps } : {}),
    };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return { name: e.name, message: e.message };
}

export function exitCodeOf(error: unknown): number {
  return isUserError(error) ? error.exitCode : ExitCode.failed;
}

function openLog(path: string): { write: (event: FlightdeckEvent) => void; close: () => Promise<void> } {
  let stream: WriteStream | undefined;
  let failed = false;
  const ensure = () => {
    if (!stream && !failed) {
      stream = createWriteStream(path, { flags: "a" });
      // A log that cannot be written must not fail the deploy it records.
      stream.on("error", () => {
        failed = true;
      });
    }
    return stream;
  };
  return {
    write: (event) => {
      ensure()?.write(`${JSON.stringify(event)}\n`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!stream || failed) return resolve();
        stream.end(() => resolve());
      }),
  };
}

export interface RunSettings {
  operation: OperationName;
  logDir: string;
  onEvent?: EventListener;
  now: () => Date;
  start: { stack?: string; commit?: string; imageId?: string; actor?: string };
  /**
   * Applied to every event before it is delivered or logged (the secret values
   * of the environment become `[secret]`): an engine message, an error or a
   * flag may carry a token, and neither the renderers nor the log may show it.
   */
  redact?: (text: string) => string;
  hook?: EndingHook;
}

export async function runOperation<T>(
  settings: RunSettings,
  body: (ctx: OperationContext) => Promise<Outcome<T>>,
): Promise<T> {
  const { operation, now } = settings;
  const startedAt = now();
  const logFile = join(settings.logDir, logFileName(startedAt, operation, settings.start.stack));
  await mkdir(settings.logDir, { recursive: true }).catch(() => undefined);
  const log = openLog(logFile);
  const redact = settings.redact;
  const deliver = (raw: FlightdeckEvent) => {
    const event = redact ? redactEvent(raw, redact) : raw;
    log.write(event);
    try {
      settings.hook?.observe(event);
    } catch {
      // The hook only listens; its bug must not touch the operation.
    }
    try {
      settings.onEvent?.(event);
    } catch {
      // A renderer's bug must not abort a half-done update; the log still has every event.
    }
  };
  const stamp = <E extends EventInput>(event: E): FlightdeckEvent =>
    ({ ...event, timestamp: now().toISOString(), operation }) as unknown as FlightdeckEvent;
  const ctx: OperationContext = { operation, logFile, emit: (event) => deliver(stamp(event)) };

  deliver(stamp({ type: "start", ...withoutUndefined(settings.start), logFile }));
  const durationMs = () => now().getTime() - startedAt.getTime();
  const finish = async (ending: Ending): Promise<{ notifications?: NotificationDelivery[] }> => {
    if (!settings.hook) return {};
    const warn = (message: string) => ctx.emit({ type: "diagnostic", severity: "warning", message });
    try {
      const notifications = await settings.hook.finish(ending, warn);
      return notifications && notifications.length > 0 ? { notifications } : {};
    } catch (error) {
      warn(`could not send the notifications: ${(error as Error).message}`);
      return {};
    }
  };
  try {
    const outcome = await body(ctx);
    const told = await finish({
      ok: true,
      data: outcome.data,
      summary: outcome.summary,
      durationMs: durationMs(),
      ...(outcome.url ? { url: outcome.url } : {}),
    });
    deliver(
      stamp({
        type: "result",
        ok: true,
        exitCode: ExitCode.ok,
        summary: outcome.summary,
        durationMs: durationMs(),
        ...withoutUndefined({ stack: outcome.stack, url: outcome.url, changes: outcome.changes }),
        data: outcome.data,
        ...told,
      }),
    );
    return outcome.data;
  } catch (error) {
    const data = (error as { data?: unknown } | undefined)?.data;
    const summary = describeError(error).message;
    const told = await finish({ ok: false, error, summary, durationMs: durationMs() });
    deliver(
      stamp({
        type: "result",
        ok: false,
        exitCode: exitCodeOf(error),
        summary: describeError(error).message,
        durationMs: durationMs(),
        ...withoutUndefined({ stack: settings.start.stack, data }),
        error: describeError(error),
        ...told,
      }),
    );
    throw error;
  } finally {
    await log.close();
  }
}

/** The event with every secret replaced (the same object when it holds none). */
export function redactEvent(event: FlightdeckEvent, redact: (text: string) => string): FlightdeckEvent {
  const text = JSON.stringify(event);
  const safe = redact(text);
  return safe === text ? event : (JSON.parse(safe) as FlightdeckEvent);
}

/** The object without its undefined fields (optional fields stay absent in events and JSON). */
export function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

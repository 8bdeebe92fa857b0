/**
 * How flightdeck talks: chosen in ONE place (`outputMode`), from the terminal,
 * the environment and the global flags. Also the plain and JSON-lines
 * renderers of the event stream (the Ink one lives in `ui/`).
 */
import pc from "picocolors";
import type { FlightdeckEvent } from "../automation/events.js";
import { clockTime, formatDuration } from "./format.js";
import { OWN_ESCAPE } from "./terminal-text.js";

export type OutputMode = "ink" | "plain" | "json";

export interface ModeInputs {
  /** stdout is a terminal. */
  stdoutIsTTY: boolean;
  /** stdin is a terminal (needed to read keys and answers). */
  stdinIsTTY: boolean;
  env: Record<string, string | undefined>;
  json: boolean;
  nonInteractive: boolean;
}

/** `CI` set to anything but an explicit false counts, as most CI systems set `CI=true` or `CI=1`. */
export function isCI(env: Record<string, string | undefined>): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false";
}

/**
 * Ink when a person is at a terminal (stdout and stdin are TTYs, no `CI`, no
 * `--non-interactive`, no `--json`); JSON with `--json`; plain lines otherwise.
 */
export function outputMode(inputs: ModeInputs): OutputMode {
  if (inputs.json) return "json";
  if (inputs.nonInteractive || isCI(inputs.env) || !inputs.stdoutIsTTY || !inputs.stdinIsTTY) return "plain";
  return "ink";
}

/** Colour only on a terminal and never with `NO_COLOR` (https://no-color.org: any non-empty value). */
export function colorEnabled(stdoutIsTTY: boolean, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "" && env.FORCE_COLOR !== "0") return true;
  return stdoutIsTTY;
}

export type Colors = ReturnType<typeof pc.createColors>;

/** Stands for an escape character in the input of a colour function while picocolors wraps it. */
const INPUT_ESCAPE = `\u{F8FE}${OWN_ESCAPE.replaceAll("\u{F8FF}", "")}\u{F8FE}`;

/**
 * picocolors' functions, writing flightdeck's own escape codes with `OWN_ESCAPE`
 * (see terminal-text.ts): printed through `terminalText`, they are colours, and an
 * escape sequence that came in with a value is shown as text, never obeyed.
 */
export function colors(enabled: boolean): Colors {
  const base = pc.createColors(enabled);
  if (!enabled) return base;
  const own = (format: (input: unknown) => string) => (input: unknown) =>
    format(String(input).replaceAll("\u001b", INPUT_ESCAPE).replaceAll(OWN_ESCAPE, "\u001b"))
      .replaceAll("\u001b", OWN_ESCAPE)
      .replaceAll(INPUT_ESCAPE, "\u001b");
  const wrapped: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(base)) {
    if (typeof value === "function") wrapped[name] = own(value as (input: unknown) => string);
  }
  return wrapped as unknown as Colors;
}

function changesText(changes: Partial<Record<string, number>> | undefined): string {
  if (!changes) return "";
  const parts = Object.entries(changes)
    .filter(([op, n]) => n !== undefined && n > 0 && op !== "same")
    .map(([op, n]) => `${n} ${op}`);
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
}

/** One plain, timestamped line per event (or nothing for debug/info chatter). */
export function plainEventLine(event: FlightdeckEvent, c: Colors): string | undefined {
  const at = c.dim(clockTime(event.timestamp));
  switch (event.type) {
    case "start": {
      const parts = [
        `start ${event.operation}`,
        event.stack ? `stack=${event.stack}` : "",
        event.commit ? `commit=${event.commit}` : "",
        event.imageId ? `image=${event.imageId}` : "",
        event.actor ? `actor=${event.actor}` : "",
        event.logFile ? `log=${event.logFile}` : "",
      ];
      return `${at} ${parts.filter(Boolean).join(" ")}`;
    }
    case "step":
      return `${at} ${event.message}`;
    case "guard":
      return `${at} guard ${event.guard}: ${event.allowed ? c.green("allowed") : c.red("refused")} (${event.reason})`;
    case "resource": {
      if (event.status === "started") return `${at} ${event.op} ${event.resourceType} ${event.name} ...`;
      const took = event.durationMs === undefined ? "" : ` in ${formatDuration(event.durationMs)}`;
      if (event.status === "failed") {
        return `${at} ${c.red("failed")} ${event.op} ${event.resourceType} ${event.name}${took}: ${event.error ?? ""}`;
      }
      return `${at} ${c.green("done")} ${event.op} ${event.resourceType} ${event.name}${took}`;
    }
    case "diagnostic":
      if (event.severity === "debug" || event.severity === "info") return undefined;
      return `${at} ${event.severity === "error" ? c.red("error") : c.yellow("warning")} ${event.message}`;
    case "item":
      return `${at} ${event.stack} ${event.status === "failed" ? c.red("failed") : event.status}${event.message ? `: ${event.message}` : ""}`;
    case "rollout": {
      const mark =
        event.status === "failed"
          ? c.red("failed")
          : event.status === "done"
            ? c.green("done")
            : event.status;
      const tail =
        event.status === "failed" && event.logTail?.length
          ? `\n${event.logTail.map((l) => `    ${l}`).join("\n")}`
          : "";
      return `${at} ${event.phase} ${mark}: ${event.message}${tail}`;
    }
    case "result": {
      const verdict = event.ok ? c.green("ok") : c.red("failed");
      const url = event.url ? ` ${event.url}` : "";
      return `${at} ${verdict} ${event.summary}${changesText(event.changes)} in ${formatDuration(event.durationMs)}${url}`;
    }
  }
}

export function jsonEventLine(event: FlightdeckEvent): string {
  return JSON.stringify(event);
}

/**
 * Text that cannot hurt a terminal. flightdeck prints values it did not make:
 * arguments, refs, config values, commit subjects, engine messages. Any of
 * them may carry control characters (an escape sequence that clears the
 * screen, moves the cursor, sets the window title or hides text; a carriage
 * return that overwrites the line; a bidirectional override that reorders it).
 *
 * `terminalText` is the one function everything printed passes through: it
 * shows every control character as a visible `\uXXXX` (the same escape JSON
 * uses, so JSON text stays valid and means the same). flightdeck's own
 * colours survive because `colors()` (output.ts) writes them with
 * `OWN_ESCAPE`, a per-process marker no input can contain, which only
 * `terminalText` turns into a real escape character.
 *
 * `shortenEchoes` keeps a very long argument from filling the screen when a
 * message repeats it: each echo is cut to `ECHO_LIMIT` characters and "…".
 */
import { randomBytes } from "node:crypto";

/**
 * Stands for ESC in flightdeck's own colour codes until `terminalText` prints
 * them. One per process, also when a test runner loads this module twice.
 */
export const OWN_ESCAPE: string = ((global: Record<symbol, string | undefined>) => {
  const key = Symbol.for("flightdeck.ownEscape");
  global[key] ??= `\u{F8FF}fd${randomBytes(6).toString("hex")}\u{F8FF}`;
  return global[key];
})(globalThis as unknown as Record<symbol, string | undefined>);

/**
 * C0 controls but newline and tab, DEL, C1 controls (0x9b is a one-byte CSI on
 * some terminals), and the bidirectional embeddings, overrides and isolates.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function visible(ch: string): string {
  return `\\u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`;
}

/** Every control character of a value as visible text (for values shown outside `terminalText`, e.g. in Ink). */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, visible);
}

/** What may reach a terminal: input's control characters made visible, flightdeck's own colours kept. */
export function terminalText(text: string): string {
  if (!text.includes(OWN_ESCAPE)) return escapeControls(text);
  return text.split(OWN_ESCAPE).map(escapeControls).join("\u001b");
}

/** Every string inside a value with its control characters made visible (for data Ink shows). */
export function escapeControlsDeep<T>(value: T): T {
  if (typeof value === "string") return escapeControls(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => escapeControlsDeep(v)) as T;
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, escapeControlsDeep(v)]),
    ) as T;
  }
  return value;
}

/** The longest echo of an input value in a message. */
export const ECHO_LIMIT = 80;

/** A value as a message echoes it: at most `ECHO_LIMIT` characters, then "…". */
export function echo(value: string): string {
  return value.length > ECHO_LIMIT ? `${value.slice(0, ECHO_LIMIT)}…` : value;
}

/** The argument values too long to echo in full (`--opt=value` counts by its value). */
export function longArguments(argv: readonly string[]): string[] {
  const values = argv.flatMap((a) => (/^--[^=]+=/.test(a) ? [a, a.slice(a.indexOf("=") + 1)] : [a]));
  return [...new Set(values.filter((v) => v.length > ECHO_LIMIT))].sort((a, b) => b.length - a.length);
}

/** Every echo of a too-long argument in a text, cut short. */
export function shortenEchoes(text: string, longArgs: readonly string[]): string {
  let out = text;
  for (const value of longArgs) if (out.includes(value)) out = out.split(value).join(echo(value));
  return out;
}

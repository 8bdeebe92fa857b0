/**
 * Durations such as `30m`, `24h` or `7d`: the preview TTL, `--ttl` and
 * `--older-than`. A duration is a whole number of minutes, hours or days, longer
 * than zero and at most ten years, so that adding it to a date always gives a
 * date (JavaScript dates end in the year 275760; ISO 8601 text in 9999).
 */
import { z } from "zod";
import { UserError } from "../errors.js";
import { quoteValue } from "./problems.js";

const DURATION = /^(\d+)([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The longest duration flightdeck accepts anywhere. */
export const LONGEST_DURATION = "3650d";
const LONGEST_MS = 3650 * UNIT_MS.d;

/** The milliseconds of a duration, or what is wrong with it. */
function measure(value: string): number | string {
  const m = DURATION.exec(value);
  if (!m) return "is not a duration like 30m, 24h or 7d";
  // A long run of digits is Infinity here, which the bound below refuses like any other too-long value.
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  if (ms === 0) return "must be longer than zero";
  if (!(ms <= LONGEST_MS)) return `is too long: a duration is at most ${LONGEST_DURATION} (ten years)`;
  return ms;
}

/** What is wrong with a duration (`'<value>' is ...`), or `undefined` for a good one. */
export function durationProblem(value: string): string | undefined {
  const measured = measure(value);
  return typeof measured === "string" ? `${quoteValue(value)} ${measured}` : undefined;
}

/** The milliseconds of a good duration, `undefined` for anything else (never throws). */
export function durationMs(value: string): number | undefined {
  const measured = measure(value);
  return typeof measured === "number" ? measured : undefined;
}

/**
 * The milliseconds of a duration, or a UserError (exit code 2) naming the value,
 * what it was given as (`what`, e.g. `--ttl`) and what is accepted.
 */
export function parseDurationMs(value: string, what?: string): number {
  const measured = measure(value);
  if (typeof measured === "number") return measured;
  const problem = `${quoteValue(value)} ${measured}`;
  throw new UserError(what === undefined ? problem : `${what} ${problem}`, {
    tryMessage: `Use a whole number of minutes, hours or days, from 1m to ${LONGEST_DURATION}, like 30m, 24h or 7d.`,
  });
}

/** A duration such as `30m`, `24h` or `7d` (at most `LONGEST_DURATION`). */
export const durationSchema = z.string().superRefine((value, ctx) => {
  const problem = durationProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});

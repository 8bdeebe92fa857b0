/**
 * Whether a preview is awake now, and why: the hand-set override `flightdeck
 * preview sleep|wake` records in `previewMeta.power` wins; otherwise the
 * previews' working-hours schedule (`preview.schedule`, see
 * `infra/config/preview-schedule.ts`) decides. Pure functions.
 */
import {
  awakeAt,
  nextTransition,
  type PreviewSchedule,
  previewScheduleSchema,
} from "../infra/config/preview-schedule.js";
import type { PreviewPower } from "./api.js";

/** What `preview sleep|wake` recorded: asleep until woken, or awake until `until`. */
export interface PowerOverride {
  state?: unknown;
  until?: unknown;
}

/** Awake or asleep at `now`: by hand while the override holds, else by the schedule (none: always awake). */
export function powerStatus(
  override: PowerOverride | undefined,
  schedule: PreviewSchedule | undefined,
  now: Date,
): PreviewPower {
  if (override?.state === "asleep") return { state: "asleep", by: "hand" };
  const until = typeof override?.until === "string" ? override.until : undefined;
  if (override?.state === "awake" && (until === undefined || Date.parse(until) > now.getTime())) {
    return { state: "awake", by: "hand", ...(until ? { until } : {}) };
  }
  if (!schedule?.enabled) return { state: "awake", by: "always" };
  const awake = awakeAt(schedule, now);
  const next = nextTransition(schedule, now, awake ? "sleep" : "wake");
  return {
    state: awake ? "awake" : "asleep",
    by: "schedule",
    ...(next ? { until: next.at.toISOString() } : {}),
  };
}

/** The schedule in a stack's `preview` section as recorded (read leniently: an old config may have none). */
export function scheduleOf(previewSection: unknown): PreviewSchedule | undefined {
  const value = (previewSection as { schedule?: unknown } | undefined)?.schedule;
  if (value === undefined) return undefined;
  const parsed = previewScheduleSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** The `until` of a wake at `now`: the schedule's next sleep; none when the schedule is off. */
export function wakeUntil(schedule: PreviewSchedule | undefined, now: Date): string | undefined {
  if (!schedule?.enabled) return undefined;
  return nextTransition(schedule, now, "sleep")?.at.toISOString();
}

/** One line for a person: `awake until 19:00Z (schedule)`, `asleep (by hand)`. */
export function describePower(power: PreviewPower): string {
  const until = power.until ? ` until ${power.until}` : "";
  const by = power.by === "hand" ? "by hand" : power.by === "schedule" ? "schedule" : "no schedule";
  return `${power.state}${until} (${by})`;
}

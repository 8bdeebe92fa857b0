/**
 * When previews sleep: `preview.schedule` in the previews config (days, the
 * wake and sleep times, a time zone). A preview is awake on the listed days
 * from `wake` to `sleep` in `timeZone`, and asleep the rest of the week.
 *
 * Pure functions: the schedule as cron expressions for EC2 Auto Scaling
 * scheduled actions (five-field Unix cron, evaluated in the action's IANA
 * `TimeZone`, daylight saving included) and for EventBridge Scheduler
 * (`cron(min hour ? * DAYS *)` with `ScheduleExpressionTimezone`), its awake
 * hours per week, and the next wake or sleep after a given instant, in UTC.
 *
 * - EC2 Auto Scaling recurring schedules: "Recurrence ... Unix cron syntax ...
 *   [Minute] [Hour] [Day_of_Month] [Month_of_Year] [Day_of_Week]"; "TimeZone:
 *   ... IANA time zone"; default Etc/UTC
 *   (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutScheduledUpdateGroupAction.html).
 * - EventBridge Scheduler cron expressions and time zones:
 *   https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
 */
import { z } from "zod";

export const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Whether Node's ICU knows the IANA time zone (the names AWS takes for both services). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

const clock = z.string().regex(CLOCK, { message: "must be a 24-hour time like 08:00" });

export const previewScheduleSchema = z
  .object({
    /** false: previews never sleep by schedule (they are awake around the clock). */
    enabled: z.boolean().default(true),
    /** The days previews are awake. */
    days: z
      .array(z.enum(WEEKDAYS, { message: `must be one of ${WEEKDAYS.join(", ")}` }))
      .min(1, { message: "name at least one day (or set enabled: false)" })
      .default(["Mon", "Tue", "Wed", "Thu", "Fri"]),
    /** When previews wake, in `timeZone`. */
    wake: clock.default("08:00"),
    /** When previews go to sleep, in `timeZone` (later the same day than `wake`). */
    sleep: clock.default("19:00"),
    /** An IANA time zone, like Europe/London or America/New_York. */
    timeZone: z
      .string()
      .refine(isTimeZone, { message: "must be an IANA time zone like Europe/London" })
      .default("Europe/London"),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (CLOCK.test(s.wake) && CLOCK.test(s.sleep) && minutesOf(s.sleep) <= minutesOf(s.wake)) {
      ctx.addIssue({
        code: "custom",
        path: ["sleep"],
        message: `must be later in the day than wake (${s.wake}); a window across midnight is not supported`,
      });
    }
    if (new Set(s.days).size !== s.days.length) {
      ctx.addIssue({ code: "custom", path: ["days"], message: "names a day twice" });
    }
  });

export type PreviewSchedule = z.output<typeof previewScheduleSchema>;

function minutesOf(time: string): number {
  const m = CLOCK.exec(time);
  if (!m) throw new Error(`not a time: ${time}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

function sortedDays(days: readonly Weekday[]): number[] {
  return [...new Set(days.map((d) => WEEKDAYS.indexOf(d)))].sort((a, b) => a - b);
}

/** Five-field Unix cron of an Auto Scaling recurrence at `time` on `days` (0 = Sunday). */
export function autoScalingCron(time: string, days: readonly Weekday[]): string {
  const minutes = minutesOf(time);
  return `${minutes % 60} ${Math.floor(minutes / 60)} * * ${sortedDays(days).join(",")}`;
}

/** EventBridge Scheduler cron at `time` on `days`: `cron(min hour ? * MON,TUE *)`. */
export function schedulerCron(time: string, days: readonly Weekday[]): string {
  const minutes = minutesOf(time);
  const names = sortedDays(days).map((d) => (WEEKDAYS[d] as string).toUpperCase());
  return `cron(${minutes % 60} ${Math.floor(minutes / 60)} ? * ${names.join(",")} *)`;
}

/** Hours a week the schedule is awake (24 x 7 when it is off). */
export function awakeHoursPerWeek(schedule: PreviewSchedule): number {
  if (!schedule.enabled) return 168;
  return (sortedDays(schedule.days).length * (minutesOf(schedule.sleep) - minutesOf(schedule.wake))) / 60;
}

/** `Mon-Fri 08:00-19:00 Europe/London`, for pages and plans. */
export function describeSchedule(schedule: PreviewSchedule): string {
  if (!schedule.enabled) return "always awake (no sleep schedule)";
  const days = sortedDays(schedule.days);
  const contiguous = days.every((d, i) => i === 0 || d === (days[i - 1] as number) + 1);
  const names = days.map((d) => WEEKDAYS[d] as string);
  const span = contiguous && names.length > 2 ? `${names[0]}-${names[names.length - 1]}` : names.join(",");
  return `${span} ${schedule.wake}-${schedule.sleep} ${schedule.timeZone}`;
}

interface LocalTime {
  year: number;
  month: number;
  day: number;
  weekday: number;
  minutes: number;
}

/** The wall-clock date and time of an instant in a time zone. */
function localTime(at: Date, zone: string): LocalTime {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    weekday: "short",
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return {
    year: Number(get("year")),
    month: Number(get("month")),
    day: Number(get("day")),
    weekday: WEEKDAYS.indexOf(get("weekday") as Weekday),
    minutes: Number(get("hour")) * 60 + Number(get("minute")),
  };
}

/** The offset of a zone from UTC at an instant, in minutes (London in summer: 60). */
function offsetMinutes(at: Date, zone: string): number {
  const l = localTime(at, zone);
  const asUtc = Date.UTC(l.year, l.month - 1, l.day, Math.floor(l.minutes / 60), l.minutes % 60);
  return Math.round((asUtc - Math.floor(at.getTime() / 60_000) * 60_000) / 60_000);
}

/** The instant a wall-clock time on a local date happens in a zone (the offset re-checked once, for DST days). */
function instantOf(year: number, month: number, day: number, minutes: number, zone: string): Date {
  const wall = Date.UTC(year, month - 1, day, Math.floor(minutes / 60), minutes % 60);
  const first = new Date(wall - offsetMinutes(new Date(wall), zone) * 60_000);
  return new Date(wall - offsetMinutes(first, zone) * 60_000);
}

export interface ScheduleTransition {
  /** What happens: the preview wakes, or goes to sleep. */
  kind: "wake" | "sleep";
  /** When, as an instant (ISO in UTC when printed). */
  at: Date;
}

/**
 * The next wake or sleep strictly after `after` (undefined when the schedule is
 * off): what H3's `preview wake` writes as `power.until` is `nextTransition(…,
 * "sleep")`. Wall times are in the schedule's zone, so 19:00 Europe/London is
 * 18:00Z in summer and 19:00Z in winter.
 */
export function nextTransition(
  schedule: PreviewSchedule,
  after: Date,
  kind: ScheduleTransition["kind"],
): ScheduleTransition | undefined {
  if (!schedule.enabled) return undefined;
  const days = new Set(sortedDays(schedule.days));
  const minutes = minutesOf(kind === "wake" ? schedule.wake : schedule.sleep);
  const today = localTime(after, schedule.timeZone);
  for (let offset = 0; offset <= 7; offset++) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + offset));
    if (!days.has(date.getUTCDay())) continue;
    const at = instantOf(
      date.getUTCFullYear(),
      date.getUTCMonth() + 1,
      date.getUTCDate(),
      minutes,
      schedule.timeZone,
    );
    if (at.getTime() > after.getTime()) return { kind, at };
  }
  return undefined;
}

/** Whether the schedule has the preview awake at an instant (always, when it is off). */
export function awakeAt(schedule: PreviewSchedule, at: Date): boolean {
  if (!schedule.enabled) return true;
  const l = localTime(at, schedule.timeZone);
  return (
    sortedDays(schedule.days).includes(l.weekday) &&
    l.minutes >= minutesOf(schedule.wake) &&
    l.minutes < minutesOf(schedule.sleep)
  );
}

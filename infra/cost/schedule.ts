/**
 * How much of the week an Auto Scaling group runs, read from the scheduled
 * actions the plan records for it (`aws:autoscaling/schedule:Schedule`).
 *
 * A recurring action sets the group's desired capacity at a five-field Unix
 * cron time (`minute hour * * days`) in its time zone; between two actions the
 * capacity is what the earlier one set. Over a week, the average capacity is
 * the sum of each stretch's capacity x its length. The time zone shifts every
 * action alike, so it does not change the average (a daylight-saving change
 * moves one week's stretches by an hour; the estimate ignores it).
 */
import { num, str } from "../inputs.js";
import type { ResourceRecord } from "../resources.js";

const MINUTES_PER_WEEK = 7 * 24 * 60;

export interface CapacityChange {
  /** Minutes since Sunday 00:00. */
  at: number;
  desired: number;
}

/** The weekly times of a `minute hour * * days` recurrence; undefined for any other shape. */
export function weeklyMinutes(recurrence: string): number[] | undefined {
  const fields = recurrence.trim().split(/\s+/);
  if (fields.length !== 5) return undefined;
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  if (dom !== "*" || month !== "*" || !/^\d{1,2}$/.test(minute) || !/^\d{1,2}$/.test(hour)) return undefined;
  const m = Number(minute);
  const h = Number(hour);
  if (m > 59 || h > 23) return undefined;
  const days = weekdays(dow);
  if (days === undefined) return undefined;
  return days.map((d) => d * 1440 + h * 60 + m);
}

/** `*`, `1-5`, `1,3,5`, `0,6` (0 or 7 is Sunday). */
function weekdays(field: string): number[] | undefined {
  if (field === "*") return [0, 1, 2, 3, 4, 5, 6];
  const days = new Set<number>();
  for (const part of field.split(",")) {
    const range = /^(\d)(?:-(\d))?$/.exec(part);
    if (!range) return undefined;
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    if (from > 7 || to > 7 || to < from) return undefined;
    for (let d = from; d <= to; d++) days.add(d % 7);
  }
  return [...days].sort((a, b) => a - b);
}

/**
 * The group's average capacity over a week, given its capacity changes; with
 * none, `fallback` (its configured desired capacity) all week.
 */
export function averageCapacity(changes: readonly CapacityChange[], fallback: number): number {
  if (changes.length === 0) return fallback;
  const sorted = [...changes].sort((a, b) => a.at - b.at);
  let total = 0;
  for (const [i, change] of sorted.entries()) {
    const next = sorted[i + 1]?.at ?? (sorted[0] as CapacityChange).at + MINUTES_PER_WEEK;
    total += change.desired * (next - change.at);
  }
  return total / MINUTES_PER_WEEK;
}

/** The scheduled actions of a group: those recorded under the same parent component. */
export function scheduledActionsOf(
  group: ResourceRecord,
  records: readonly ResourceRecord[],
): ResourceRecord[] {
  return records.filter(
    (r) =>
      r.type === "aws:autoscaling/schedule:Schedule" && r.parent !== undefined && r.parent === group.parent,
  );
}

export interface GroupSchedule {
  /** The capacity changes of its recurring actions, through the week. */
  changes: CapacityChange[];
  /** Actions whose shape the estimate cannot read (then it counts the group around the clock). */
  unreadable: string[];
}

export function groupSchedule(actions: readonly ResourceRecord[]): GroupSchedule {
  const changes: CapacityChange[] = [];
  const unreadable: string[] = [];
  for (const action of actions) {
    const desired = num(action.inputs.desiredCapacity);
    const times = weeklyMinutes(str(action.inputs.recurrence) ?? "");
    if (desired === undefined || times === undefined) {
      unreadable.push(action.name);
      continue;
    }
    for (const at of times) changes.push({ at, desired });
  }
  return { changes, unreadable };
}

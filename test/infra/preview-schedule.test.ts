/**
 * Plain tests of the preview's schedule, size rules and the cost model's
 * reading of a schedule: no Pulumi runtime.
 *
 * Time zone facts relied on (IANA tz database, as Node's ICU has it): the UK
 * is on GMT (UTC+0) in winter and BST (UTC+1) from the last Sunday of March
 * (2026-03-29, 01:00 UTC) to the last Sunday of October; New York is UTC-5 in
 * winter. EC2 Auto Scaling evaluates a recurrence in its TimeZone, so 19:00
 * Europe/London is 19:00Z in winter and 18:00Z in summer.
 */
import assert from "node:assert/strict";
import { sleepingPage } from "../../infra/components/preview-routing.js";
import { parseStackConfig } from "../../infra/config.js";
import {
  autoScalingCron,
  awakeAt,
  awakeHoursPerWeek,
  nextTransition,
  type PreviewSchedule,
  previewScheduleSchema,
  schedulerCron,
} from "../../infra/config/preview-schedule.js";
import { leastMemoryGib, previewSizingProblems } from "../../infra/config/preview-section.js";
import { averageCapacity, weeklyMinutes } from "../../infra/cost/schedule.js";
import { exampleInput } from "./fixtures.js";

const DEFAULT: PreviewSchedule = previewScheduleSchema.parse({});

function withPreview(preview: Record<string, unknown>): Record<string, unknown> {
  const input = exampleInput("previews");
  return { ...input, preview: { ...(input.preview as Record<string, unknown>), ...preview } };
}

function problemsOf(input: Record<string, unknown>): string {
  try {
    parseStackConfig(input, "Pulumi.previews.yaml");
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail("the config was accepted");
}

describe("preview schedule, size and power rules", () => {
  describe("the schedule", () => {
    it("defaults to Mon-Fri 08:00-19:00 Europe/London: 55 awake hours a week", () => {
      assert.deepEqual(DEFAULT, {
        enabled: true,
        days: ["Mon", "Tue", "Wed", "Thu", "Fri"],
        wake: "08:00",
        sleep: "19:00",
        timeZone: "Europe/London",
      });
      assert.equal(awakeHoursPerWeek(DEFAULT), 55);
      assert.equal(awakeHoursPerWeek({ ...DEFAULT, enabled: false }), 168);
      assert.equal(
        awakeHoursPerWeek({ ...DEFAULT, days: ["Sat", "Mon"], wake: "09:30", sleep: "17:00" }),
        15,
      );
    });

    it("writes Unix cron for Auto Scaling and cron() for EventBridge Scheduler", () => {
      assert.equal(autoScalingCron("08:00", DEFAULT.days), "0 8 * * 1,2,3,4,5");
      assert.equal(autoScalingCron("07:45", ["Sun", "Sat"]), "45 7 * * 0,6");
      assert.equal(schedulerCron("19:00", DEFAULT.days), "cron(0 19 ? * MON,TUE,WED,THU,FRI *)");
      assert.equal(schedulerCron("06:05", ["Sun"]), "cron(5 6 ? * SUN *)");
    });

    it("finds the next sleep in UTC on both sides of the UK's clock change", () => {
      // Winter (GMT): a Monday at 12:00Z sleeps that day at 19:00Z.
      const winter = nextTransition(DEFAULT, new Date("2026-03-02T12:00:00Z"), "sleep");
      assert.equal(winter?.at.toISOString(), "2026-03-02T19:00:00.000Z");
      // Summer (BST): 19:00 London is 18:00Z.
      const summer = nextTransition(DEFAULT, new Date("2026-06-01T12:00:00Z"), "sleep");
      assert.equal(summer?.at.toISOString(), "2026-06-01T18:00:00.000Z");
      // Friday evening after sleep: the next wake is Monday 08:00 London (after the change: 07:00Z).
      const weekend = nextTransition(DEFAULT, new Date("2026-03-27T20:00:00Z"), "wake");
      assert.equal(weekend?.at.toISOString(), "2026-03-30T07:00:00.000Z");
      // Exactly at sleep time: the next one, not this one.
      const atSleep = nextTransition(DEFAULT, new Date("2026-03-02T19:00:00Z"), "sleep");
      assert.equal(atSleep?.at.toISOString(), "2026-03-03T19:00:00.000Z");
      assert.equal(nextTransition({ ...DEFAULT, enabled: false }, new Date(), "sleep"), undefined);
    });

    it("reads wall time in the schedule's zone, not the machine's or UTC", () => {
      const ny: PreviewSchedule = { ...DEFAULT, timeZone: "America/New_York" };
      // 13:30Z on a Monday in winter is 08:30 in New York (awake) and 13:30 in London.
      const at = new Date("2026-01-05T13:30:00Z");
      assert.equal(awakeAt(ny, at), true);
      assert.equal(awakeAt(ny, new Date("2026-01-05T12:30:00Z")), false, "07:30 in New York");
      assert.equal(awakeAt(DEFAULT, new Date("2026-01-03T12:00:00Z")), false, "a Saturday");
      assert.equal(awakeAt(DEFAULT, new Date("2026-06-01T18:30:00Z")), false, "19:30 BST");
      assert.equal(awakeAt(DEFAULT, new Date("2026-01-05T18:30:00Z")), true, "18:30 GMT");
    });

    it("refuses a bad zone, a window across midnight and repeated days, naming each field", () => {
      const message = problemsOf(
        withPreview({
          schedule: { timeZone: "Europe/Londn", wake: "20:00", sleep: "07:00", days: ["Mon", "Mon"] },
        }),
      );
      assert.match(message, /preview\.schedule\.timeZone.*IANA time zone like Europe\/London/);
      assert.match(message, /preview\.schedule\.sleep.*later in the day than wake \(20:00\)/);
      assert.match(message, /preview\.schedule\.days.*names a day twice/);
      assert.match(problemsOf(withPreview({ schedule: { wake: "8am" } })), /24-hour time like 08:00/);
    });
  });

  describe("the minimum memory rule", () => {
    it("refuses a type with less memory than preview.minMemoryGib, naming type, size and what to use", () => {
      const message = problemsOf(withPreview({ instanceTypes: ["t4g.small", "t4g.nano"] }));
      assert.match(
        message,
        /preview\.instanceTypes\.1.*t4g\.nano has 0\.5 GiB of memory, less than preview\.minMemoryGib \(2 GiB\)/,
      );
      assert.doesNotMatch(message, /instanceTypes\.0/);
    });

    it("refuses unknown types and mixed architectures; follows a raised minimum", () => {
      assert.match(
        problemsOf(withPreview({ instanceTypes: ["x9z.mega"] })),
        /x9z\.mega is not a type flightdeck knows the memory of; use one of t4g\.nano/,
      );
      assert.match(
        problemsOf(withPreview({ instanceTypes: ["t4g.small", "t3.small"] })),
        /mixes arm64 and x86_64/,
      );
      assert.match(
        problemsOf(withPreview({ minMemoryGib: 4 })),
        /t4g\.small has 2 GiB of memory, less than preview\.minMemoryGib \(4 GiB\)/,
      );
      assert.deepEqual(
        previewSizingProblems({ instanceTypes: ["t4g.medium", "m7g.medium"], minMemoryGib: 4 }),
        [],
      );
      assert.equal(leastMemoryGib(["t4g.medium", "c7g.medium"]), 2);
      assert.equal(leastMemoryGib(["x9z.mega"]), undefined);
    });
  });

  describe("what flightdeck writes on a preview stack", () => {
    const meta = (extra: Record<string, unknown>) => {
      const input = {
        ...exampleInput("previews"),
        environment: "preview",
        image: { commit: "a".repeat(40) },
      };
      return {
        ...input,
        previewMeta: {
          commit: "a".repeat(40),
          createdAt: "2026-03-02T12:00:00Z",
          expiresAt: "2026-03-04T12:00:00Z",
          ...extra,
        },
      };
    };

    it("accepts a slug, a rule priority and a power override", () => {
      const config = parseStackConfig(
        meta({
          slug: "login-page",
          rulePriority: 50_000,
          power: { state: "awake", until: "2026-03-02T19:00:00Z" },
        }),
        "test",
      );
      assert.equal(config.previewMeta?.slug, "login-page");
      assert.equal(config.previewMeta?.rulePriority, 50_000);
      assert.equal(config.previewMeta?.power?.state, "awake");
    });

    it("refuses a bad slug, an out-of-range priority and an unknown power state", () => {
      const message = problemsOf(meta({ slug: "-Login_", rulePriority: 50_001, power: { state: "dozing" } }));
      assert.match(message, /previewMeta\.slug.*DNS label/);
      assert.match(message, /previewMeta\.rulePriority.*1 to 50000/);
      assert.match(message, /previewMeta\.power\.state/);
      assert.match(problemsOf(meta({ slug: "a".repeat(41) })), /previewMeta\.slug.*at most 40/);
      assert.match(problemsOf(meta({ rulePriority: 1.5 })), /previewMeta\.rulePriority.*whole number/);
    });
  });

  describe("the sleeping page", () => {
    it("says it is asleep, when it wakes, and how to wake it, within a fixed response's 1024 characters", () => {
      const scheduled = sleepingPage("by-schedule", "preview-b-a-very-long-slug-name", {
        ...DEFAULT,
        timeZone: "America/Argentina/ComodRivadavia",
      });
      assert.match(scheduled, /This preview is asleep/);
      assert.match(scheduled, /wakes at the next 08:00 \(America\/Argentina\/ComodRivadavia\)/);
      assert.match(scheduled, /flightdeck preview wake preview-b-a-very-long-slug-name/);
      assert.ok(scheduled.length <= 1024);
      assert.match(sleepingPage("by-hand", "0123456", DEFAULT), /put to sleep by hand/);
    });
  });

  describe("the cost model's reading of a schedule", () => {
    it("reads weekly recurrences and refuses shapes it cannot average", () => {
      assert.deepEqual(weeklyMinutes("0 8 * * 1-5"), [
        1 * 1440 + 480,
        2 * 1440 + 480,
        3 * 1440 + 480,
        4 * 1440 + 480,
        5 * 1440 + 480,
      ]);
      assert.deepEqual(weeklyMinutes("30 6 * * 0,7"), [390]);
      assert.equal(weeklyMinutes("0 8 1 * *"), undefined, "a day of the month is not weekly");
      assert.equal(weeklyMinutes("*/5 8 * * *"), undefined);
      assert.equal(weeklyMinutes("0 8 * *"), undefined);
    });

    it("averages capacity over the week: 55 of 168 hours at 1 for the default schedule", () => {
      const changes = [
        ...(weeklyMinutes(autoScalingCron("08:00", DEFAULT.days)) ?? []).map((at) => ({ at, desired: 1 })),
        ...(weeklyMinutes(autoScalingCron("19:00", DEFAULT.days)) ?? []).map((at) => ({ at, desired: 0 })),
      ];
      assert.ok(Math.abs(averageCapacity(changes, 1) - 55 / 168) < 1e-12);
      assert.equal(averageCapacity([], 2), 2);
      // Up at Monday 00:00 only, never down: awake all week.
      assert.equal(averageCapacity([{ at: 1440, desired: 1 }], 0), 1);
    });
  });
});

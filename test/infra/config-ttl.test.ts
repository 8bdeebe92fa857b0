import assert from "node:assert/strict";
import { LONGEST_DURATION, parseDurationMs, parseStackConfig, previewTtlMs } from "../../infra/config.js";
import { ConfigError, ExitCode, UserError } from "../../infra/errors.js";
import { newPreviewMeta } from "../../infra/stack.js";
import { exampleConfig, exampleInput, SHA } from "./fixtures.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the cases set nested fields of a parsed YAML document
type Mutable = Record<string, any>;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function previewsProblems(mutate: (config: Mutable) => void): string[] {
  const input = structuredClone(exampleInput("previews")) as Mutable;
  mutate(input);
  try {
    parseStackConfig(input, "Pulumi.previews.yaml");
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail("the config was accepted");
}

/** A user error (exit 2) whose message matches every pattern. */
function userError(...patterns: RegExp[]) {
  return (error: unknown) => {
    assert.ok(error instanceof UserError, `not a UserError: ${String(error)}`);
    assert.equal(error.exitCode, ExitCode.usage);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  };
}

describe("durations and the preview TTL", () => {
  it("parses minutes, hours and days", () => {
    assert.equal(parseDurationMs("30m"), 30 * 60_000);
    assert.equal(parseDurationMs("24h"), DAY);
    assert.equal(parseDurationMs("7d"), 7 * DAY);
    assert.equal(parseDurationMs(LONGEST_DURATION), 3650 * DAY);
  });

  it("refuses a duration too long for a date with a user error naming the value and the longest accepted", () => {
    for (const value of ["99999999999999999999d", "3651d", `${"9".repeat(40)}m`, "100000000h"]) {
      assert.throws(
        () => parseDurationMs(value, "--ttl"),
        userError(new RegExp(`--ttl '${value}'`), /at most 3650d/),
      );
    }
  });

  it("refuses what is not a duration with a user error, not a bug", () => {
    for (const value of ["soon", "", "5x", "1.5h", "-3d", "0d"]) {
      assert.throws(() => parseDurationMs(value), userError(/like 30m, 24h or 7d|longer than zero/));
    }
  });

  it("gives previews a maximum TTL of 30 days by default", () => {
    assert.equal(exampleConfig("previews").preview.maxTtl, "30d");
  });

  it("blames preview.ttl, not previewMeta.expiresAt, for a TTL past year 9999", () => {
    const problems = previewsProblems((c) => {
      c.preview.ttl = "3000000d";
    });
    assert.deepEqual(problems, [
      "Pulumi.previews.yaml: flightdeck:preview.ttl: '3000000d' is too long: a duration is at most 3650d (ten years)",
    ]);
  });

  it("refuses a preview TTL longer than preview.maxTtl, naming both", () => {
    assert.deepEqual(
      previewsProblems((c) => {
        c.preview.ttl = "40d";
      }),
      ["Pulumi.previews.yaml: flightdeck:preview.ttl: 40d is longer than preview.maxTtl (30d)"],
    );
    assert.deepEqual(
      previewsProblems((c) => {
        c.preview.maxTtl = "12h";
      }),
      ["Pulumi.previews.yaml: flightdeck:preview.ttl: 48h is longer than preview.maxTtl (12h)"],
    );
    assert.deepEqual(
      previewsProblems((c) => {
        c.preview.maxTtl = "99999999999999d";
      }),
      [
        "Pulumi.previews.yaml: flightdeck:preview.maxTtl: '99999999999999d' is too long: a duration is at most 3650d (ten years)",
      ],
    );
  });

  it("accepts a longer TTL when preview.maxTtl allows it", () => {
    const input = structuredClone(exampleInput("previews")) as Mutable;
    input.preview.ttl = "60d";
    input.preview.maxTtl = "90d";
    assert.equal(parseStackConfig(input, "Pulumi.previews.yaml").preview.ttl, "60d");
  });

  it("checks a --ttl against the previews' maximum, naming the flag, the value and where the limit is set", () => {
    const preview = exampleConfig("previews").preview;
    assert.equal(previewTtlMs(undefined, preview), 48 * HOUR, "the default is the config's TTL");
    assert.equal(previewTtlMs("30d", preview), 30 * DAY);
    assert.throws(
      () => previewTtlMs("31d", preview),
      userError(/--ttl '31d' is longer than the longest preview TTL, 30d/, /preview\.maxTtl/),
    );
    assert.throws(
      () => previewTtlMs("99999999999999999d", preview),
      userError(/--ttl '99999999999999999d' is too long/),
    );
  });

  it("never lets a huge --ttl crash the preview metadata with a RangeError", () => {
    const previews = exampleConfig("previews");
    const now = new Date("2026-03-01T12:00:00.000Z");
    for (const ttl of ["99999999999999d", "200000000d", "4000000d"]) {
      assert.throws(() => newPreviewMeta(SHA, previews, { now, ttl }), userError(/too long/));
    }
  });
});

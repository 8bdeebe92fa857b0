/** Property tests of the duration parser: any string is a number of milliseconds or a UserError. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { durationSchema, LONGEST_DURATION, parseDurationMs } from "../../infra/config.js";
import { ExitCode, UserError } from "../../infra/errors.js";

const LONGEST_MS = 3650 * 86_400_000;

/** The milliseconds of a duration, or the UserError it is refused with. */
function outcome(value: string): number | UserError {
  try {
    return parseDurationMs(value, "--ttl");
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return error;
  }
}

function check(value: string): void {
  const result = outcome(value);
  if (result instanceof UserError) {
    assert.equal(result.exitCode, ExitCode.usage);
    assert.ok(result.message.startsWith("--ttl '"), result.message);
    assert.equal(durationSchema.safeParse(value).success, false, `the schema accepts ${value}`);
    return;
  }
  assert.ok(Number.isSafeInteger(result) && result > 0 && result <= LONGEST_MS, String(result));
  // Any accepted TTL makes an expiry date that prints as an ISO date in years up to 9999.
  assert.match(new Date(Date.now() + result).toISOString(), /^\d{4}-/);
  assert.equal(durationSchema.safeParse(value).success, true, `the schema refuses ${value}`);
}

describe("duration parser (properties)", () => {
  it("turns any string into milliseconds or a UserError", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), check), { numRuns: 2_000 });
  });

  it("turns any number of minutes, hours or days into milliseconds or a UserError", () => {
    const durations = fc
      .tuple(
        fc.oneof(
          fc.nat().map(String),
          fc.bigInt({ min: 0n, max: 10n ** 40n }).map(String),
          fc.stringMatching(/^\d{1,400}$/),
        ),
        fc.constantFrom("m", "h", "d", "s", "", "D", " d"),
      )
      .map(([n, unit]) => `${n}${unit}`);
    fc.assert(fc.property(durations, check), { numRuns: 2_000 });
  });

  it("accepts exactly the durations up to the longest", () => {
    assert.equal(outcome(LONGEST_DURATION), LONGEST_MS);
    assert.ok(outcome("3651d") instanceof UserError);
    assert.equal(outcome(`${3650 * 24}h`), LONGEST_MS);
    assert.ok(outcome(`${3650 * 24 + 1}h`) instanceof UserError);
    assert.equal(outcome(`${3650 * 24 * 60}m`), LONGEST_MS);
  });
});

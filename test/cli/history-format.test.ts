/**
 * `flightdeck history` as a table: each deploy's release phase and rollout in
 * CHECKS, a deploy that stopped at its release phase as a `release` row with
 * no update number, and why each failed deploy failed under the table.
 */
import assert from "node:assert/strict";
import type { HistoryEntry } from "../../automation/api.js";
import { formatHistory } from "../../cli/format.js";

const NOW = new Date("2026-12-07T12:00:00Z");
const entries: HistoryEntry[] = [
  {
    kind: "release",
    result: "failed",
    release: "failed",
    commit: "c".repeat(40),
    imageId: "ami-0cccccccccccccccc",
    actor: "alice@example.com",
    rolloutReason: "the release phase of ccccccc on staging failed: the release command exited 3",
    message: "",
    startTime: "2026-12-07T11:50:00Z",
    endTime: "2026-12-07T11:50:00Z",
  },
  {
    version: 4,
    kind: "update",
    result: "failed",
    rollout: "failed",
    release: "ran",
    rolloutReason: "staging-app's instance refresh ended RollbackSuccessful",
    commit: "d".repeat(40),
    imageId: "ami-0dddddddddddddddd",
    actor: "bob@example.com",
    message: "",
    startTime: "2026-12-07T11:00:00Z",
    endTime: "2026-12-07T11:10:00Z",
    durationMs: 600_000,
  },
  {
    version: 3,
    kind: "update",
    result: "succeeded",
    rollout: "verified",
    release: "skipped",
    commit: "b".repeat(40),
    imageId: "ami-0bbbbbbbbbbbbbbbb",
    actor: "alice@example.com",
    message: "",
    startTime: "2026-12-07T10:00:00Z",
    endTime: "2026-12-07T10:05:00Z",
    durationMs: 300_000,
  },
  { version: 2, kind: "refresh", result: "succeeded", message: "", startTime: "2026-12-07T09:00:00Z" },
];

describe("cli: history as a table", () => {
  it("shows each deploy's checks, a stopped deploy without a number, and why each failed", () => {
    const lines = formatHistory("staging", entries, NOW).split("\n");
    assert.match(lines[0] ?? "", /^# +KIND +RESULT +CHECKS +COMMIT +IMAGE +BY +WHEN +TOOK$/);
    assert.match(
      lines[1] ?? "",
      /^- +release +failed +release failed +ccccccc +ami-0cccccccccccccccc +alice@example\.com +10m ago +-$/,
    );
    assert.match(lines[2] ?? "", /^4 +update +failed +release ran, rollout failed +ddddddd /);
    assert.match(lines[3] ?? "", /^3 +update +succeeded +release skipped, rollout verified +bbbbbbb /);
    assert.match(lines[4] ?? "", /^2 +refresh +succeeded +- +- +- +- /);
    assert.deepEqual(lines.slice(5), [
      "",
      "release of ccccccc: the release phase of ccccccc on staging failed: the release command exited 3",
      "#4: staging-app's instance refresh ended RollbackSuccessful",
    ]);
  });

  it("fits a terminal's width by dropping the image first, then how long it took", () => {
    const fitted = formatHistory("staging", entries, NOW, 100).split("\n");
    assert.match(fitted[0] ?? "", /^# +KIND +RESULT +CHECKS +COMMIT +BY +WHEN$/);
    assert.ok(
      fitted.slice(0, 5).every((l) => l.length <= 100),
      fitted.join("\n"),
    );
  });
});

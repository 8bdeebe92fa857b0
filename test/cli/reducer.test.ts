import assert from "node:assert/strict";
import { elapsedMs, initialOperationState, reduceEvent, reduceEvents } from "../../cli/ui/reducer.js";
import { deployStream, ev, resetClock } from "./events.js";

describe("cli: operation view reducer (pure)", () => {
  it("moves resources from in flight to the finished log and counts changes", () => {
    const events = deployStream();
    const mid = reduceEvents(events.slice(0, 5));
    assert.deepEqual(
      mid.inFlight.map((r) => r.name),
      ["web-alb", "web-app"],
    );
    assert.equal(mid.counts.update, 0);
    const later = reduceEvents(events.slice(0, 6));
    assert.deepEqual(
      later.inFlight.map((r) => r.name),
      ["web-app"],
    );
    assert.equal(later.counts.update, 1);
    const done = later.log.find((l) => l.kind === "resource");
    assert.ok(done && done.kind === "resource");
    assert.equal(done.row.durationMs, 4000, "duration from its start event when the event has none");
  });

  it("takes header fields from the start event and ends on the single result", () => {
    const state = reduceEvents(deployStream());
    assert.equal(state.operation, "deploy");
    assert.equal(state.stack, "staging");
    assert.equal(state.actor, "alice@example.com");
    assert.equal(state.logFile, "/p/.flightdeck/logs/deploy.jsonl");
    assert.equal(state.result?.url, "https://staging.example.com");
    assert.deepEqual(state.counts, { create: 0, update: 1, replace: 1, delete: 0 });
    assert.deepEqual(state.inFlight, []);
    assert.deepEqual(
      state.log.map((l) => l.kind),
      ["step", "guard", "resource", "diagnostic", "resource"],
      "info chatter is left to the log file; the warning is shown",
    );
    assert.deepEqual(
      state.log.map((l) => l.id),
      [0, 1, 2, 3, 4],
    );
  });

  it("takes what is released from the step that records it (a real start event does not know it yet)", () => {
    resetClock();
    const commit = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";
    const state = reduceEvents([
      ev("deploy", { type: "start", stack: "staging" }),
      ev("deploy", {
        type: "step",
        message: "recorded on staging: 1a2b3c4 with ami-0123456789abcdef0, deploy by alice@example.com",
        release: { commit, imageId: "ami-0123456789abcdef0", actor: "alice@example.com" },
      }),
    ]);
    assert.equal(state.commit, commit);
    assert.equal(state.imageId, "ami-0123456789abcdef0");
    assert.equal(state.actor, "alice@example.com");
    assert.equal(state.log.length, 1, "the step is still a line of the log");
  });

  it("prefers the engine's summary counts over its own", () => {
    resetClock();
    const state = reduceEvents([
      ev("deploy", { type: "start", stack: "testing" }),
      ev("deploy", {
        type: "result",
        ok: true,
        exitCode: 0,
        summary: "ok",
        durationMs: 5,
        changes: { create: 7 },
      }),
    ]);
    assert.equal(state.counts.create, 7);
  });

  it("does not mutate its input and counts events after the result as late", () => {
    const events = deployStream();
    const before = reduceEvents(events);
    const frozen = JSON.stringify(before);
    const after = reduceEvent(before, ev("deploy", { type: "step", message: "too late" }));
    assert.equal(JSON.stringify(before), frozen);
    assert.equal(after.lateEvents, 1);
    assert.equal(after.log.length, before.log.length);
  });

  it("shows a failed resource with its error, uncounted", () => {
    resetClock();
    const state = reduceEvents([
      ev("deploy", {
        type: "resource",
        stack: "s",
        urn: "u1",
        resourceType: "aws:rds/instance:Instance",
        name: "db",
        op: "update",
        status: "started",
      }),
      ev("deploy", {
        type: "resource",
        stack: "s",
        urn: "u1",
        resourceType: "aws:rds/instance:Instance",
        name: "db",
        op: "update",
        status: "failed",
        error: "quota exceeded",
      }),
    ]);
    const line = state.log[0];
    assert.ok(line && line.kind === "resource");
    assert.equal(line.row.status, "failed");
    assert.equal(line.row.error, "quota exceeded");
    assert.equal(state.counts.update, 0);
  });

  it("tracks reap items as in flight, then as finished lines", () => {
    resetClock();
    const events = [
      ev("reap", { type: "item", stack: "preview-aaaaaaa", status: "started" }),
      ev("reap", { type: "item", stack: "preview-bbbbbbb", status: "started" }),
      ev("reap", { type: "item", stack: "preview-aaaaaaa", status: "failed", message: "destroy failed" }),
    ];
    const state = reduceEvents(events);
    assert.deepEqual(
      state.inFlight.map((r) => r.name),
      ["preview-bbbbbbb"],
    );
    assert.equal(state.log[0]?.kind, "item");
  });

  it("elapsed time runs from the first event until the result's duration", () => {
    const events = deployStream();
    const running = reduceEvents(events.slice(0, 3));
    const start = Date.parse(events[0]?.timestamp ?? "");
    assert.equal(elapsedMs(running, new Date(start + 9000)), 9000);
    assert.equal(elapsedMs(reduceEvents(events), new Date(start + 999_999)), 65_000);
    assert.equal(elapsedMs(initialOperationState(), new Date()), 0);
  });
});

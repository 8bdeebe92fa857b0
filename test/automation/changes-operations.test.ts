/** deploy, promote and rollback list what they release (events, result, the confirmation's read), over the memory engine and a real git repository. */
import assert from "node:assert/strict";
import type { Releases } from "../../automation/api.js";
import type { StepEvent } from "../../automation/events.js";
import { pipelineStepBy, Setup, type World, world } from "./operations/world.js";

function releaseSteps(s: Setup): StepEvent[] {
  return s.events.filter((e): e is StepEvent => e.type === "step" && e.releases !== undefined);
}

describe("operations: what a release brings", function () {
  this.timeout(60_000);
  let w: World;

  before(() => {
    w = world();
  });

  it("a first deploy lists every commit up to the new one; the next lists only the new ones", async () => {
    const s = new Setup(w);
    const first = await s.ops.deploy({ env: "staging", commit: w.c1 });
    assert.equal(first.releases?.from, undefined);
    assert.equal(first.releases?.to, w.c1);
    assert.deepEqual(
      first.releases?.commits.map((c) => c.subject),
      ["feature A", "project files"],
    );
    const second = await s.ops.deploy({ env: "staging", commit: w.c2 });
    const r = second.releases as Releases;
    assert.equal(r.from, w.c1, "from what the stack ran");
    assert.deepEqual(
      r.commits.map((c) => [c.sha, c.direction, c.authorEmail, c.coAuthors]),
      [[w.c2, "release", "alice@example.com", ["bob@example.com"]]],
    );
    // The same list is on the step event (with one line per commit) and in the result event's data.
    const step = releaseSteps(s).at(-1);
    assert.deepEqual(step?.releases, r);
    assert.match(step?.message ?? "", /^staging: releases 1 commit \([0-9a-f]{7} -> [0-9a-f]{7}\)$/);
    assert.ok(
      s.events.some(
        (e) =>
          e.type === "step" &&
          e.message === `  + ${w.c2.slice(0, 7)} feature B by alice@example.com, with bob@example.com`,
      ),
    );
    assert.deepEqual((s.lastResult().data as { releases?: Releases }).releases, r);
  });

  it("a rollback un-releases the commits between", async () => {
    const s = new Setup(w);
    await s.ops.deploy({ env: "staging", commit: w.c1 });
    await s.ops.deploy({ env: "staging", commit: w.c2 });
    const result = await s.ops.rollback({ env: "staging", commit: w.c1 });
    assert.deepEqual(
      result.releases?.commits.map((c) => [c.sha, c.direction]),
      [[w.c2, "unrelease"]],
    );
    assert.deepEqual([result.releases?.released, result.releases?.unreleased], [0, 1]);
    assert.match(releaseSteps(s).at(-1)?.message ?? "", /un-releases 1 commit/);
  });

  it("a promotion lists what the target does not run yet; the confirmation's read gives the same list", async () => {
    const s = new Setup(w);
    await s.ops.deploy({ env: "staging", commit: w.c2 });
    const asked = await s.ops.releasesOf({ operation: "promote", stack: "production", from: "staging" });
    const eventsBefore = s.events.length;
    const result = await s.runAs(pipelineStepBy("rita")).ops.promote({ from: "staging", to: "production" });
    assert.ok(s.events.length > eventsBefore);
    assert.deepEqual(result.releases, asked, "the prompt showed what was released");
    assert.equal(asked.to, w.c2);
    assert.equal(asked.from, undefined, "production ran nothing before");
    assert.deepEqual(asked.issueKeys, []);

    const deploy = await s.ops.releasesOf({ operation: "deploy", stack: "staging", commit: w.c1 });
    assert.deepEqual([deploy.from, deploy.to, deploy.unreleased], [w.c2, w.c1, 1]);
    await assert.rejects(
      s.ops.releasesOf({ operation: "promote", stack: "production", from: "testing" }),
      /testing runs nothing yet/,
    );
  });

  it("a release git cannot list is a warning, and the deploy goes on", async () => {
    const s = new Setup(w);
    await s.ops.deploy({ env: "testing", commit: w.c1 });
    // What the stack ran is a commit this clone does not have (a shallow CI clone).
    const history = await s.engine.history("testing");
    const [last] = history;
    assert.ok(last);
    const image = JSON.parse(last.config["flightdeck:image"]?.value ?? "{}") as Record<string, string>;
    last.config["flightdeck:image"] = { value: JSON.stringify({ ...image, commit: "e".repeat(40) }) };
    s.engine.seed("testing", { config: await s.engine.getConfig("testing"), history });
    const result = await s.ops.deploy({ env: "testing", commit: w.c2 });
    assert.equal(result.releases, undefined);
    assert.ok(
      s.events.some(
        (e) =>
          e.type === "diagnostic" && e.severity === "warning" && /cannot list the commits/.test(e.message),
      ),
    );
    assert.equal(s.lastResult().exitCode, 0);
  });
});

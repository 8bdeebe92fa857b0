/**
 * A deploy is done only when the new commit serves: the release phase before
 * traffic moves, then the verified rollout, and the verdict recorded for the
 * rollback and promote guards. Through the in-memory engine and the scripted
 * cloud (automation/cloud/memory.ts); waiting moves the test clock.
 */
import assert from "node:assert/strict";
import { type MemoryCloudScript, MemoryCloud } from "../../../automation/cloud/memory.js";
import { releaseParameter } from "../../../automation/cloud.js";
import type { RolloutEvent } from "../../../automation/events.js";
import { MemoryEngine } from "../../../automation/engine/memory.js";
import { verdictsOf } from "../../../automation/rollout-verdicts.js";
import { recorded, refusedBy, Setup, type World, world } from "./world.js";

function setup(w: World, script: MemoryCloudScript = {}, signal?: AbortController): Setup {
  // The engine's history times follow the test clock, as the real engine's and the cloud's share one.
  const engine = new MemoryEngine({ now: () => s.clock });
  const s: Setup = new Setup(
    w,
    {},
    { engine, cloud: new MemoryCloud(engine, script), ...(signal ? { signal: signal.signal } : {}) },
  );
  if (signal) s.abort = signal;
  return s;
}

function rollouts(s: Setup): RolloutEvent[] {
  return s.events.filter((e): e is RolloutEvent => e.type === "rollout");
}

async function rejectsWith(promise: Promise<unknown>, exitCode: number, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: Error & { exitCode?: number }) => {
    assert.equal(error.exitCode, exitCode, error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

describe("release phase and verified rollout (memory engine, scripted cloud)", function () {
  this.timeout(60_000);
  let w: World;

  before(() => {
    w = world();
  });

  it("a first deploy runs the release once the environment exists, verifies the rollout and records the verdict", async () => {
    const s = setup(w);
    const result = await s.ops.deploy({ env: "staging", commit: w.c1 });
    const phases = rollouts(s).map((e) => `${e.phase}:${e.status}`);
    assert.deepEqual(phases.slice(0, 2), ["release:waiting", "release:done"]);
    assert.ok(phases.indexOf("url:done") > phases.indexOf("release:done"), phases.join(" "));
    assert.ok(s.events.some((e) => e.type === "step" && /first deploy of staging/.test(e.message)));
    assert.equal(result.verification?.servedCommit, w.c1);
    assert.equal(result.verification?.releasePhase, "ran");
    const [machine] = s.cloud.machines;
    assert.match(machine?.userData ?? "", new RegExp(`^role=release$[\\s\\S]*^commit=${w.c1}$`, "m"));
    assert.match(
      machine?.userData ?? "",
      new RegExp(`^release_status_parameter=${releaseParameter("staging", w.c1)}$`, "m"),
    );
    const verdicts = Object.values(await verdictsOf(s.engine, "staging"));
    assert.deepEqual(
      verdicts.map((v) => [v.commit, v.verdict]),
      [[w.c1, "verified"]],
    );
    assert.match(s.lastResult().summary, /rollout verified/);
  });

  it("the previews' shared base runs no servers: its deploy is verified by the update alone, and says so", async () => {
    const s = setup(w);
    const result = await s.ops.deploy({ env: "previews", commit: w.c1 });
    assert.equal(s.cloud.machines.length, 0, "no release machine");
    assert.deepEqual(rollouts(s), [], "no rollout to wait for");
    assert.deepEqual(result.verification, {
      instancesReplaced: 0,
      groups: [],
      nothingToRollOut: "the previews' shared base runs no servers",
    });
    assert.match(s.lastResult().summary, /nothing to roll out \(the previews' shared base runs no servers\)/);
    const verdicts = Object.values(await verdictsOf(s.engine, "previews"));
    assert.deepEqual(
      verdicts.map((v) => [v.commit, v.verdict]),
      [[w.c1, "verified"]],
      "a success rollback can go back to",
    );
  });

  it("a later deploy runs the release BEFORE the update, and a re-run of the same commit skips it", async () => {
    const s = setup(w);
    await s.ops.deploy({ env: "staging", commit: w.c1 });
    s.events.length = 0;
    await s.ops.deploy({ env: "staging", commit: w.c2 });
    const order = s.events
      .filter((e) => e.type === "rollout" || (e.type === "step" && e.release))
      .map((e) => (e.type === "rollout" ? `${e.phase}:${e.status}` : "recorded"));
    assert.deepEqual(order.slice(0, 3), ["release:waiting", "release:done", "recorded"]);
    assert.equal(s.cloud.machines.length, 2);
    s.events.length = 0;
    await s.ops.deploy({ env: "staging", commit: w.c2 });
    assert.equal(s.cloud.machines.length, 2, "no machine for a release that already succeeded");
    const skipped = rollouts(s).find((e) => e.phase === "release");
    assert.equal(skipped?.status, "skipped");
    assert.match(skipped?.message ?? "", /already succeeded on staging.*not run again/);
  });

  it("a failed release stops the deploy before the update: exit 1, the log's tail shown, the stack left on its commit", async () => {
    const s = setup(w, {
      release: (commit) =>
        commit === w.c2
          ? { status: "failed", exitCode: 1, logTail: ["django.db.utils.ProgrammingError: relation exists"] }
          : {},
    });
    await s.ops.deploy({ env: "staging", commit: w.c1 });
    s.clock = new Date(s.clock.getTime() + 60_000);
    const updates = (await s.engine.history("staging")).length;
    await rejectsWith(
      s.ops.deploy({ env: "staging", commit: w.c2 }),
      1,
      /release phase of [0-9a-f]{7} on staging failed: the release command exited 1/,
    );
    assert.equal((await s.engine.history("staging")).length, updates, "up never ran");
    assert.equal(recorded((await s.engine.history("staging"))[0]).commit, w.c1);
    const failed = rollouts(s).find((e) => e.phase === "release" && e.status === "failed");
    assert.deepEqual(failed?.logTail, ["django.db.utils.ProgrammingError: relation exists"]);
    assert.match(s.lastResult().error?.nextSteps?.join("\n") ?? "", /relation exists/);
    assert.equal(s.lastResult().exitCode, 1);

    // History shows the stopped deploy (kind `release`, no update number) above the deploy before it.
    const [stopped, deployed] = await s.ops.history({ env: "staging" });
    assert.deepEqual(
      [stopped?.kind, stopped?.result, stopped?.release, stopped?.commit, stopped?.version],
      ["release", "failed", "failed", w.c2, undefined],
    );
    assert.match(stopped?.rolloutReason ?? "", /the release command exited 1/);
    assert.deepEqual(
      [deployed?.commit, deployed?.result, deployed?.release, deployed?.rollout],
      [w.c1, "succeeded", "ran", "verified"],
    );
    // A limit that cuts the updates read also cuts the stopped deploys older than them.
    assert.equal((await s.ops.history({ env: "staging", limit: 1 })).length, 2);
  });

  it("a concurrent deploy of the same commit waits for the other's release instead of running it twice", async () => {
    const s = setup(w);
    await s.ops.deploy({ env: "staging", commit: w.c1 });
    const parameter = releaseParameter("staging", w.c2);
    await s.cloud.claimRelease("us-east-1", parameter, {
      commit: w.c2,
      status: "running",
      claimedBy: "bob (pipeline 41)",
    });
    let looks = 0;
    const read = s.cloud.releaseStatus.bind(s.cloud);
    s.cloud.releaseStatus = async (region, name) => {
      if (name === parameter && ++looks === 3) {
        await s.cloud.putReleaseStatus(region, name, { commit: w.c2, status: "succeeded", exitCode: 0 });
      }
      return read(region, name);
    };
    await s.ops.deploy({ env: "staging", commit: w.c2 });
    assert.equal(s.cloud.machines.length, 1, "only the first deploy's machine");
    assert.ok(
      rollouts(s).some((e) => /another deploy \(bob \(pipeline 41\)\) runs the migrations/.test(e.message)),
    );
  });

  it("waits for each group's refresh with its progress, and for healthy targets", async () => {
    const s = setup(w, {
      refresh: (group, look) =>
        group.endsWith("-app-asg")
          ? {
              status: look < 2 ? "InProgress" : "Successful",
              percentage: [30, 60, 100][look] ?? 100,
              instancesToUpdate: 2,
            }
          : undefined,
      health: (_arn, look) =>
        look < 1
          ? { healthy: 1, total: 2, reasons: ["initial: Elb.RegistrationInProgress"] }
          : { healthy: 2, total: 2, reasons: [] },
    });
    const result = await s.ops.deploy({ env: "staging", commit: w.c1 });
    const app = rollouts(s).filter((e) => e.phase === "refresh" && e.role === "app");
    assert.deepEqual(
      app.map((e) => [e.status, e.percentage]),
      [
        ["progress", 30],
        ["progress", 60],
        ["done", 100],
      ],
    );
    assert.ok(
      rollouts(s).some(
        (e) =>
          e.phase === "health" &&
          e.status === "waiting" &&
          /1\/2 targets healthy \(initial: Elb.RegistrationInProgress\)/.test(e.message),
      ),
    );
    assert.equal(result.verification?.instancesReplaced, 2);
    assert.deepEqual(result.verification?.groups, [{ group: "staging-app-asg", status: "Successful" }]);
  });

  for (const [status, reason] of [
    ["RollbackSuccessful", "the new instances failed their health checks"],
    ["Failed", "Launch failed"],
  ] as const) {
    it(`a refresh that ends ${status} fails the deploy; it is never a success to roll back or promote to`, async () => {
      const s = setup(w, {
        refresh: (group, look) =>
          group.endsWith("-app-asg") && s.cloud.machines.length > 1
            ? {
                status: look < 1 ? "InProgress" : status,
                percentage: 40,
                instancesToUpdate: 2,
                statusReason: reason,
              }
            : undefined,
      });
      await s.ops.deploy({ env: "staging", commit: w.c1 });
      await rejectsWith(
        s.ops.deploy({ env: "staging", commit: w.c2 }),
        1,
        new RegExp(`app's instance refresh ended ${status} \\(${reason}\\)`),
      );
      const [entry] = await s.ops.history({ env: "staging" });
      assert.equal(entry?.commit, w.c2);
      assert.equal(entry?.result, "failed", "history shows the rollout's verdict, not Pulumi's success");
      await s.ops.deploy({ env: "staging", commit: w.c1 }).catch(() => undefined);
      await refusedBy(
        s.ops.rollback({ env: "staging", commit: w.c2 }),
        "rollback-history",
        /never served there: its rollout failed/,
      );
    });
  }

  it("a rollout that never ends fails at deploy.rolloutTimeout", async () => {
    const s = setup(w, { refresh: () => ({ status: "InProgress", percentage: 10, instancesToUpdate: 1 }) });
    const started = s.clock.getTime();
    await rejectsWith(
      s.ops.deploy({ env: "staging", commit: w.c1 }),
      1,
      /timed out after 30 min \(deploy.rolloutTimeout\)/,
    );
    assert.ok(s.clock.getTime() - started >= 30 * 60_000);
    const [verdict] = Object.values(await verdictsOf(s.engine, "staging"));
    assert.equal(verdict?.verdict, "failed");
  });

  it("the URL serving another commit fails the deploy with what it serves", async () => {
    const s = setup(w, { served: () => ({ commit: "0123456789abcdef0123456789abcdef01234567" }) });
    await rejectsWith(
      s.ops.deploy({ env: "staging", commit: w.c1 }),
      1,
      /healthz serves 0123456 instead of [0-9a-f]{7}/,
    );
    await refusedBy(s.ops.promote({ from: "staging", to: "production" }), "promote-source", /never served/);
  });

  it("Ctrl-C while waiting ends with 130 and the deploy is not verified", async () => {
    const abort = new AbortController();
    const s = setup(
      w,
      {
        refresh: (_group, look) => {
          if (look === 1) abort.abort();
          return { status: "InProgress", percentage: 10, instancesToUpdate: 1 };
        },
      },
      abort,
    );
    await rejectsWith(
      s.ops.deploy({ env: "staging", commit: w.c1 }),
      130,
      /wait for staging's instance refresh was cancelled/,
    );
    const [verdict] = Object.values(await verdictsOf(s.engine, "staging"));
    assert.equal(verdict?.verdict, "failed");
  });

  it("a release machine that cannot start gives its claim back as failed, so the next deploy can run it", async () => {
    const s = setup(w);
    await s.ops.deploy({ env: "staging", commit: w.c1 });
    s.cloud.script.launchError = "InsufficientInstanceCapacity";
    await rejectsWith(
      s.ops.deploy({ env: "staging", commit: w.c2 }),
      1,
      /could not start: InsufficientInstanceCapacity/,
    );
    assert.equal(
      (await s.cloud.releaseStatus("us-east-1", releaseParameter("staging", w.c2)))?.status,
      "failed",
    );
    delete s.cloud.script.launchError;
    await s.ops.deploy({ env: "staging", commit: w.c2 });
    assert.equal(s.cloud.machines.length, 2);
  });
});

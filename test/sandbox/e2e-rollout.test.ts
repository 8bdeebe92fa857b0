/**
 * End to end, through the real engine: a deploy is done only when the new
 * commit serves. The real CLI (`CI=true`, plain lines and `--json`) deploys the
 * staging stack again and again; the release machine, the instance refreshes,
 * the target health and the URL's `/healthz` are the stand-in fleet's
 * (fleet-double.ts, a TEST DOUBLE for AWS), told by the faults file how to
 * misbehave (fleet-state.ts). moto holds the images and the release outcomes
 * (SSM parameters). See e2e-harness.ts for the rest of the set-up.
 *
 * The cases run in order on one fixture and build on each other's state. Each
 * deploys its own commit, with an image:
 *
 *   A  the first deploy: up, then the release phase, then the rollout
 *   B  a later deploy: the release phase before up, the refresh in progress, then verified; then again (skipped)
 *   C  its release fails          D  its refresh rolls back
 *   E  the URL keeps serving B    F  its refresh never ends: Ctrl-C
 *
 * Staging's committed config gets `deploy.rolloutTimeout: 1m` and
 * `deploy.releaseTimeout: 1m` (the shortest the schema allows) so that the
 * wrong-commit case times out in a minute.
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseDocument } from "yaml";
import type { DeployResult, HistoryEntry, StackStatus } from "../../automation/api.js";
import type { FlightdeckEvent, RolloutEvent } from "../../automation/events.js";
import {
  describeRun,
  documentOf,
  E2eFixture,
  eventsOf,
  expectExit,
  PEOPLE,
  prerequisites,
  processesUnder,
  resultOf,
  short,
} from "./e2e-harness.js";
import { useFleetDouble } from "./fleet-double.js";
import { useMoto } from "./moto.js";

const STAGING_URL = "https://staging.example.com";
const HOST = "staging.example.com";

const rollouts = (events: FlightdeckEvent[]) => events.filter((e): e is RolloutEvent => e.type === "rollout");
const firstIndex = (events: FlightdeckEvent[], test: (e: FlightdeckEvent) => boolean) =>
  events.findIndex(test);
const lastIndex = (events: FlightdeckEvent[], test: (e: FlightdeckEvent) => boolean) =>
  events.length - 1 - [...events].reverse().findIndex(test);

describe("e2e: verified deploys (release phase, instance refreshes, target health, the URL's commit)", function () {
  this.timeout(600_000);
  const moto = useMoto();
  const stand = useFleetDouble(moto);
  let f: E2eFixture;
  const commits: Record<"A" | "B" | "C" | "D" | "E" | "F", string> = {
    A: "",
    B: "",
    C: "",
    D: "",
    E: "",
    F: "",
  };

  before(async function () {
    this.timeout(600_000);
    const { engineBin } = await prerequisites(this);
    f = await E2eFixture.create({ motoEndpoint: moto.endpoint, engineBin, fleet: stand.fleet });
    const file = join(f.repo, "Pulumi.staging.yaml");
    const doc = parseDocument(await readFile(file, "utf8"));
    doc.setIn(["config", "flightdeck:deploy", "rolloutTimeout"], "1m");
    doc.setIn(["config", "flightdeck:deploy", "releaseTimeout"], "1m");
    await writeFile(file, String(doc));
    commits.A = await f.commit(PEOPLE.platform, "staging: rollouts and releases time out after a minute", [
      "Pulumi.staging.yaml",
    ]);
    for (const name of ["B", "C", "D", "E", "F"] as const) {
      commits[name] = await f.commit(PEOPLE.dev, `${name}: a change to release`);
    }
    for (const commit of Object.values(commits)) await f.seedImage(commit);
  });

  beforeEach(async () => {
    if (f) await f.setFaults({});
  });

  after(async () => {
    if (f) {
      console.log(`      invocations (wall time, exit code, arguments):\n${f.timings()}`);
      await f.close();
    }
  });

  const history = async (): Promise<HistoryEntry[]> => {
    const r = await f.cli(["history", "staging", "--json"]);
    expectExit(r, 0);
    return documentOf<{ history: HistoryEntry[] }>(r).history;
  };
  const served = () => stand.fleet.state.served(HOST).commit;

  it("a first deploy: up creates the environment, then the release phase runs, then the rollout is verified and recorded", async () => {
    const { A } = commits;
    const r = await f.cli(["deploy", "staging", "--commit", A, "--json"]);
    expectExit(r, 0);
    const events = eventsOf(r);
    const release = rollouts(events).filter((e) => e.phase === "release");
    assert.equal(release.at(-1)?.status, "done", JSON.stringify(release));
    assert.ok(
      firstIndex(events, (e) => e.type === "rollout" && e.phase === "release") >
        lastIndex(events, (e) => e.type === "resource"),
      "on a first deploy the release phase runs after up",
    );
    assert.ok(
      events.some(
        (e) => e.type === "step" && /first deploy of staging: its release phase runs now/.test(e.message),
      ),
    );
    assert.equal(stand.fleet.launched.filter((l) => l.commit === A && l.stack === "staging").length, 1);
    const refresh = rollouts(events).filter((e) => e.phase === "refresh");
    assert.ok(
      refresh.length >= 3 && refresh.every((e) => e.status === "skipped"),
      "new groups: nothing to replace",
    );
    assert.ok(rollouts(events).some((e) => e.phase === "health" && e.status === "done"));
    const url = rollouts(events).find((e) => e.phase === "url" && e.status === "done");
    assert.equal(url?.message, `${STAGING_URL}/healthz serves ${short(A)}`);
    const data = resultOf(r).data as DeployResult;
    assert.equal(data.verification?.servedCommit, A);
    assert.equal(data.verification?.url, STAGING_URL);
    assert.equal(data.verification?.releasePhase, "ran");
    assert.deepEqual(
      (await history()).map((h) => [h.commit, h.result, h.release, h.rollout]),
      [[A, "succeeded", "ran", "verified"]],
    );
  });

  it("a later deploy (plain lines): release, then up, then each group's refresh with its progress, target health, the URL", async () => {
    const { A, B } = commits;
    // Long enough for the first look after `up` to find the refreshes still running.
    await f.setFaults({ fleet: { refreshSeconds: 15 } });
    const r = await f.cli(["deploy", "staging", "--commit", B]);
    expectExit(r, 0);
    const out = r.stdout;
    const at = (pattern: RegExp) => {
      const i = out.search(pattern);
      assert.ok(i >= 0, `shows ${pattern}:\n${describeRun(r, 80)}`);
      return i;
    };
    const released = at(new RegExp(`release done: release phase of ${short(B)} succeeded`));
    const updated = at(/(update|done update) aws:autoscaling\/group:Group staging-fleet-app-asg/);
    const progress = at(/refresh progress: app: instance refresh InProgress \d+%/);
    const refreshed = at(/refresh done: app: instance refresh successful/);
    const healthy = at(/health done: app: \d+\/\d+ targets healthy/);
    const url = at(new RegExp(`url done: ${STAGING_URL}/healthz serves ${short(B)}`));
    const ok = at(new RegExp(`ok staging runs ${short(B)} .*rollout verified`));
    assert.ok(released < updated, "the release phase runs before up");
    assert.ok(updated < progress && progress < refreshed && refreshed < healthy && healthy < url && url < ok);
    assert.equal(served(), B);
    const newest = (await history())[0];
    assert.deepEqual(
      [newest?.commit, newest?.result, newest?.release, newest?.rollout],
      [B, "succeeded", "ran", "verified"],
    );
    assert.notEqual(A, B);
  });

  it("a re-run of the same commit skips the release phase and says so", async () => {
    const { B } = commits;
    const launched = stand.fleet.launched.length;
    const r = await f.cli(["deploy", "staging", "--commit", B, "--json"]);
    expectExit(r, 0);
    const skipped = rollouts(eventsOf(r)).find((e) => e.phase === "release");
    assert.equal(skipped?.status, "skipped");
    assert.match(
      skipped?.message ?? "",
      new RegExp(`release phase of ${short(B)} already succeeded on staging.*not run again`),
    );
    assert.equal(stand.fleet.launched.length, launched, "no release machine was started");
    assert.equal((resultOf(r).data as DeployResult).verification?.releasePhase, "skipped");
    const newest = (await history())[0];
    assert.deepEqual([newest?.commit, newest?.release, newest?.rollout], [B, "skipped", "verified"]);
  });

  it("a failed release stops the deploy before up: exit 1, the log's tail shown, the stack left on its commit", async () => {
    const { B, C } = commits;
    const log = [
      "Running migrations:",
      "  Applying shop.0042_price...",
      "django.db.utils.ProgrammingError: column exists",
    ];
    const before = await f.exportStack("staging");
    const updates = (await history()).filter((h) => h.version !== undefined).length;
    await f.setFaults({ fleet: { release: { staging: { exitCode: 3, log } } } });
    const json = await f.cli(["deploy", "staging", "--commit", C, "--json"]);
    expectExit(json, 1);
    const result = resultOf(json);
    assert.equal(
      result.error?.message,
      `the release phase of ${short(C)} on staging failed: the release command exited 3`,
    );
    assert.match(
      result.error?.tryMessage ?? "",
      /Nothing was replaced: the stack still runs its previous commit/,
    );
    assert.ok(
      (result.error?.nextSteps ?? []).join("\n").includes(log.join("\n")),
      "the log's tail is in the error",
    );
    const failed = rollouts(eventsOf(json)).find((e) => e.phase === "release" && e.status === "failed");
    assert.deepEqual(failed?.logTail, log);
    assert.equal(eventsOf(json).filter((e) => e.type === "resource").length, 0, "up never ran");
    const after = await history();
    assert.equal(after.filter((h) => h.version !== undefined).length, updates, "no update ran");
    // History still shows the deploy: an entry of kind `release`, with no update number.
    assert.deepEqual(
      [after[0]?.kind, after[0]?.result, after[0]?.release, after[0]?.commit, after[0]?.version],
      ["release", "failed", "failed", C, undefined],
    );
    assert.equal(after[0]?.rolloutReason, result.error?.message);
    const plain = await f.cli(["history", "staging"]);
    assert.match(plain.stdout, new RegExp(`\\n-\\s+release\\s+failed\\s+release failed\\s+${short(C)}\\s`));
    assert.match(
      plain.stdout,
      new RegExp(
        `\\nrelease of ${short(C)}: the release phase of ${short(C)} on staging failed: the release command exited 3`,
      ),
    );
    assert.deepEqual(
      (await f.exportStack("staging")).deployment,
      before.deployment,
      "the state is unchanged",
    );
    assert.equal(served(), B, "staging still serves B");

    // Plain lines show the tail too.
    const again = await f.cli(["deploy", "staging", "--commit", C]);
    expectExit(again, 1);
    assert.match(again.stdout, /release failed: .*\n {4}Running migrations:\n[^]*column exists/);
  });

  it("a refresh that rolls back fails the deploy (exit 1); history says so, and rollback to that commit is refused (exit 3)", async () => {
    const { B, D } = commits;
    await f.setFaults({ fleet: { refresh: { staging: "rollback" } } });
    const r = await f.cli(["deploy", "staging", "--commit", D, "--json"]);
    expectExit(r, 1);
    const message = resultOf(r).error?.message ?? "";
    assert.match(
      message,
      new RegExp(
        `^the rollout of ${short(D)} on staging failed: \\S+'s instance refresh ended RollbackSuccessful \\(\\(sandbox fault\\)`,
      ),
    );
    assert.equal(served(), B, "the old commit serves after the rollback");
    const newest = (await history())[0];
    assert.deepEqual([newest?.commit, newest?.result, newest?.rollout], [D, "failed", "failed"]);
    assert.match(newest?.rolloutReason ?? "", /RollbackSuccessful/);

    const refused = await f.cli(["rollback", "staging", short(D), "--json"]);
    expectExit(refused, 3);
    assert.equal(resultOf(refused).error?.name, "GuardError");
    assert.match(resultOf(refused).error?.message ?? "", new RegExp(`refused: ${short(D)}`));
  });

  it("the URL serving another commit fails the deploy after deploy.rolloutTimeout (exit 1), naming what it serves", async () => {
    const { B, E } = commits;
    await f.setFaults({ fleet: { serve: { staging: "old" } } });
    const r = await f.cli(["deploy", "staging", "--commit", E, "--json"]);
    expectExit(r, 1);
    assert.equal(
      resultOf(r).error?.message,
      `the rollout of ${short(E)} on staging failed: ${STAGING_URL}/healthz serves ${short(B)} instead of ${short(E)} after 1 min`,
    );
    const waiting = rollouts(eventsOf(r)).filter((e) => e.phase === "url" && e.status === "waiting");
    assert.match(waiting[0]?.message ?? "", new RegExp(`serves ${short(B)}; waiting for ${short(E)}`));
    const newest = (await history())[0];
    assert.deepEqual([newest?.commit, newest?.result, newest?.rollout], [E, "failed", "failed"]);
  });

  it("Ctrl-C while waiting for the refresh: exit 130, the deploy is not verified, nothing left running", async () => {
    const { F } = commits;
    await f.setFaults({ fleet: { refresh: { staging: "hang" } } });
    const running = f.start(["deploy", "staging", "--commit", F]);
    await running.waitFor(/refresh progress: \S+: instance refresh InProgress/, 480_000);
    running.interrupt();
    const r = await running.done;
    expectExit(r, 130);
    assert.match(`${r.stdout}\n${r.stderr}`, /the wait for staging's instance refresh was cancelled/);
    assert.deepEqual(processesUnder(f.repo), [], "nothing outlives the CLI");
    const newest = (await history())[0];
    assert.deepEqual([newest?.commit, newest?.rollout], [F, "failed"]);
    const status = await f.cli(["status", "--json"]);
    expectExit(status, 0);
    const row = documentOf<{ stacks: StackStatus[] }>(status).stacks.find((s) => s.stack === "staging");
    assert.equal(row?.updateInProgress, false);
  });
});

/**
 * End to end, through the real engine: the real CLI (`node bin/flightdeck`,
 * `CI=true`, plain lines and `--json`) runs every button against the real
 * Pulumi engine and the real program, with the stand-in `aws`/`awsx` plugins
 * and moto in place of AWS (see e2e-harness.ts). The state is a file backend.
 *
 * The cases run in order on ONE fixture and build on each other's state (each
 * `pulumi up` costs tens of seconds here), so one commit history serves all:
 *
 *   A  main as the fixture starts (this checkout's HEAD, plus the build's stack configs), with an image
 *   B  by bob@example.com (an allowed production deployer), with an image
 *   C  by dev@example.com, WITHOUT an image
 *
 * Every invocation runs as alice (an allowed production deployer who wrote
 * none of it), as Bitbucket Pipelines names her (see `E2eFixture.actor`).
 *
 * Every deploy is verified as the product verifies it (release phase, instance
 * refreshes, target health, the URL's commit) against the stand-in fleet
 * (fleet-double.ts); e2e-rollout.test.ts covers the ways that fails.
 *
 * After the promotion, a change is traced: `where` (git ancestry against what
 * each stack runs), `drift` (a refresh preview through the engine; the
 * stand-ins' reads give back their state, so no drift), and `sweep` against
 * moto's tagging API with a VPC tagged for a stack that is gone.
 *
 * Without the engine, the stand-ins or moto, the suite skips saying why; in CI
 * (`CI=true`) it fails instead.
 */
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CreateVpcCommand, DescribeVpcsCommand, EC2Client } from "@aws-sdk/client-ec2";
import type {
  DeployResult,
  DriftReport,
  HistoryEntry,
  PreviewInfo,
  ReapResult,
  StackStatus,
  SweepResult,
  WhereResult,
} from "../../automation/api.js";
import type { GuardEvent, ResourceEvent } from "../../automation/events.js";
import {
  describeRun,
  documentOf,
  E2eFixture,
  esc,
  eventsOf,
  expectExit,
  idsByName,
  parentOf,
  PEOPLE,
  prerequisites,
  processesUnder,
  hasTmux,
  resultField,
  resultOf,
  type RunningCli,
  short,
  shown,
  sleep,
  type TmuxDashboard,
  unavailable,
} from "./e2e-harness.js";
import { useFleetDouble } from "./fleet-double.js";
import { FAKE_CREDENTIALS, SANDBOX_REGION, useMoto } from "./moto.js";
import { parse as parseYaml } from "yaml";

const APP_ASG = "testing-fleet-app-asg";
const FAULT = "sandbox fault: the Auto Scaling API is unavailable (e2e)";

describe("e2e: the CLI through the real engine, file backend", function () {
  this.timeout(600_000);
  const moto = useMoto();
  const stand = useFleetDouble(moto);
  let f: E2eFixture;
  let A = "";
  let B = "";
  let C = "";
  let imageA = "";
  let imageB = "";
  /** alice, who runs every invocation unless a case says otherwise, as the CLI records her. */
  let alice = "";

  before(async function () {
    this.timeout(600_000);
    const { engineBin } = await prerequisites(this);
    f = await E2eFixture.create({ motoEndpoint: moto.endpoint, engineBin, fleet: stand.fleet });
    A = await f.sha("HEAD");
    B = await f.commit(PEOPLE.bob, "B: the change bob wrote");
    C = await f.commit(PEOPLE.dev, "C: a commit nobody built an image for");
    imageA = await f.seedImage(A);
    imageB = await f.seedImage(B);
    alice = f.actor(PEOPLE.alice).id;
  });

  after(async () => {
    if (f) {
      console.log(`      invocations (wall time, exit code, arguments):\n${f.timings()}`);
      await f.close();
    }
  });

  const deployed = (r: Parameters<typeof resultOf>[0]) => resultOf(r).data as DeployResult;

  // mocha runs a suite's own cases before its nested suites: every step is a nested suite, so they run in this order.
  describe("testing: deploy, status, history, and what stops or fails a deploy", () => {
    it("deploys a commit to testing, in plain lines: guards, image, every resource, the URL", async () => {
      const r = await f.cli(["deploy", "testing", "--commit", short(A)]);
      expectExit(r, 0);
      const out = r.stdout;
      assert.match(out, new RegExp(`commit ${short(A)} is ${A}`));
      assert.match(out, /guard allowed-deployer: allowed \(anyone may deploy testing\)/);
      assert.match(out, new RegExp(`image for ${short(A)} in us-east-1: ${imageA}`));
      assert.match(
        out,
        new RegExp(`recorded on testing: ${short(A)} with ${imageA}, deploy by ${esc(alice)}`),
      );
      assert.match(out, /done create aws:autoscaling\/group:Group testing-fleet-app-asg/);
      assert.match(
        out,
        new RegExp(
          `ok testing runs ${short(A)} \\(${imageA}\\) at (http://testing-lb-alb-\\S+\\.elb\\.amazonaws\\.com), rollout verified \\(\\d+ create\\)`,
        ),
      );
      // Verified against the stand-in fleet: the first deploy's release phase, then the URL serving A.
      assert.match(out, new RegExp(`release done: release phase of ${short(A)} succeeded`));
      assert.match(out, new RegExp(`url done: http://testing-lb-alb-\\S+/healthz serves ${short(A)}`));
      assert.doesNotMatch(shown(r), /hit a bug|\[secret\]/);
    });

    it("status and history say what runs, built from which image, by whom (plain and --json)", async () => {
      const [statusJson, historyJson, statusPlain, historyPlain] = await Promise.all([
        f.cli(["status", "--json"]),
        f.cli(["history", "testing", "--json"]),
        f.cli(["status"]),
        f.cli(["history", "testing"]),
      ]);
      for (const r of [statusJson, historyJson, statusPlain, historyPlain]) expectExit(r, 0);

      const { stacks } = documentOf<{ stacks: StackStatus[] }>(statusJson);
      assert.deepEqual(
        stacks.map((s) => s.stack),
        ["testing"],
      );
      const testing = stacks[0] as StackStatus;
      assert.equal(testing.commit, A);
      assert.equal(testing.imageId, imageA);
      assert.equal(testing.updateInProgress, false);
      assert.match(testing.url ?? "", /^http:\/\/testing-lb-alb-/);
      assert.equal(testing.lastUpdate?.result, "succeeded");
      assert.equal(testing.lastUpdate?.actor, alice);
      assert.ok((testing.resourceCount ?? 0) > 30, `resources: ${testing.resourceCount}`);

      const { stack, history } = documentOf<{ stack: string; history: HistoryEntry[] }>(historyJson);
      assert.equal(stack, "testing");
      assert.equal(history.length, 1);
      assert.deepEqual(
        {
          version: history[0]?.version,
          kind: history[0]?.kind,
          result: history[0]?.result,
          commit: history[0]?.commit,
          imageId: history[0]?.imageId,
          actor: history[0]?.actor,
        },
        {
          version: 1,
          kind: "update",
          result: "succeeded",
          commit: A,
          imageId: imageA,
          actor: alice,
        },
      );
      assert.ok((history[0]?.durationMs ?? 0) > 0);

      assert.match(
        statusPlain.stdout,
        new RegExp(
          `testing +${short(A)} .*${imageA} +http://testing-lb-alb-\\S+ +succeeded .* by ${esc(alice)}`,
        ),
      );
      assert.match(
        historyPlain.stdout,
        new RegExp(
          `1 +update +succeeded +release ran, rollout verified +${short(A)} +${imageA} +${esc(alice)}`,
        ),
      );
    });

    it("stops before touching anything when the commit has no image (exit 2, the build command named)", async () => {
      const before = await f.exportStack("testing");
      const r = await f.cli(["deploy", "testing", "--commit", C, "--json"]);
      expectExit(r, 2);
      const result = resultOf(r);
      assert.equal(result.ok, false);
      assert.equal(result.exitCode, 2);
      assert.equal(result.error?.message, `no machine image found for commit ${C} in us-east-1`);
      assert.match(result.error?.tryMessage ?? "", new RegExp(`npm run image:build -- --commit ${C}`));
      const events = eventsOf(r);
      assert.equal(events.filter((e) => e.type === "resource").length, 0, "no resource was touched");
      assert.ok(
        !events.some((e) => e.type === "step" && e.message.startsWith("recorded on")),
        "nothing was recorded on the stack",
      );
      assert.deepEqual(
        (await f.exportStack("testing")).deployment,
        before.deployment,
        "the state is unchanged",
      );
    });

    it("reports a resource's failure with its cause (exit 1) and leaves the stack consistent", async () => {
      const before = await f.exportStack("testing");
      await f.setFaults({ fail: { [APP_ASG]: FAULT } });
      const r = await f.cli(["deploy", "testing", "--commit", B, "--json"]);
      await f.setFaults({});
      expectExit(r, 1);
      const result = resultOf(r);
      assert.equal(result.ok, false);
      assert.equal(result.exitCode, 1);
      assert.equal(
        result.error?.message,
        `the update of 'testing' failed: ${APP_ASG}: ${FAULT}`,
        `the cause, and where it happened, reach the user:\n${describeRun(r)}`,
      );
      const failed = eventsOf(r).filter(
        (e): e is ResourceEvent => e.type === "resource" && e.status === "failed",
      );
      assert.deepEqual(
        failed.map((e) => [e.name, e.error]),
        [[APP_ASG, FAULT]],
        "the one failed resource, with the provider's message",
      );
      assert.ok(
        r.stderr.includes(`Error: the update of 'testing' failed: ${APP_ASG}: ${FAULT}`),
        "the closing error line names it too",
      );
      assert.ok(
        eventsOf(r).some(
          (e) => e.type === "diagnostic" && e.severity === "error" && e.message.includes(FAULT),
        ),
        "the provider's message is an error diagnostic",
      );

      const after = await f.exportStack("testing");
      assert.deepEqual(after.deployment.pending_operations ?? [], [], "no operation left pending");
      assert.deepEqual(await f.lockFiles(), [], "the lock is released");
      const asg = (s: typeof before) => s.deployment.resources?.find((x) => x.urn.endsWith(`::${APP_ASG}`));
      assert.deepEqual(asg(after), asg(before), "the failed resource keeps its last good state");
      assert.deepEqual(idsByName(after), idsByName(before), "nothing was replaced or lost");

      // The stack's own history now holds a failed update of B, so B is no rollback target.
      const refused = await f.cli(["rollback", "testing", short(B), "--json"]);
      expectExit(refused, 3);
      assert.match(
        resultOf(refused).error?.message ?? "",
        new RegExp(
          `refused: ${short(B)} was deployed to testing before, but never successfully \\(1 failed update`,
        ),
      );
    });
  });

  describe("one stack, two processes, and Ctrl-C mid-update", () => {
    let first: RunningCli | undefined;
    const SLOW_SECONDS = 300;

    before(async function () {
      this.timeout(600_000);
      await f.setFaults({ delay: { [APP_ASG]: SLOW_SECONDS } });
      first = f.start(["deploy", "testing", "--commit", B]);
      await first.waitFor(
        new RegExp(`(create|update) aws:autoscaling/group:Group ${APP_ASG} \\.\\.\\.`),
        480_000,
      );
    });

    after(async () => {
      first?.kill();
      await f.setFaults({});
    });

    it("shows the update in progress, and a second process exits 4 naming the holder", async () => {
      const [racer, status] = await Promise.all([
        f.cli(["deploy", "testing", "--commit", A, "--json"]),
        f.cli(["status", "--json"]),
      ]);
      expectExit(racer, 4);
      const error = resultOf(racer).error;
      const holder = /^stack 'testing' is locked by another update by \S+ \(pid (\d+)\) since \S+$/.exec(
        error?.message ?? "",
      );
      assert.ok(holder, `the holder is named: ${error?.message}`);
      assert.equal(
        parentOf(Number(holder[1])),
        first?.pid,
        "the pid named is the `pulumi` the first flightdeck runs",
      );
      assert.match(error?.tryMessage ?? "", /Wait for that update to finish/);
      assert.match(
        (error?.nextSteps ?? []).join("\n"),
        /pulumi cancel .*--stack testing.*never breaks a lock/s,
      );
      assert.equal(first?.running, true, "the first update goes on: its lock was not broken");

      expectExit(status, 0);
      const testing = documentOf<{ stacks: StackStatus[] }>(status).stacks.find((s) => s.stack === "testing");
      assert.equal(testing?.updateInProgress, true, "status sees the running update");
    });

    // Once a defect: the release step wrote the new commit, image and release record into the
    // stack's config before `pulumi up` met the lock, and a refused deploy left them behind. The
    // release step now puts the previous values back on StackLockedError
    // (automation/operations/steps/release.ts, `recordRelease`).
    it("a deploy refused by the lock (exit 4) leaves the stack's config as the running update set it", async () => {
      const file = join(f.repo, ".flightdeck", "stacks", "testing", "Pulumi.testing.yaml");
      const config = (parseYaml(await readFile(file, "utf8")) as { config: Record<string, unknown> }).config;
      assert.deepEqual(
        config["flightdeck:image"],
        { commit: B, amiId: imageB },
        "the work config still names the commit of the update that holds the lock",
      );
    });

    it("Ctrl-C in plain mode cancels gracefully: exit 130, no pending operation, no lock, nothing left running", async () => {
      assert.ok(first?.running, "the first deploy still runs");
      const at = performance.now();
      first.interrupt();
      const r = await first.done;
      const seconds = (performance.now() - at) / 1000;
      expectExit(r, 130);
      assert.ok(
        seconds < SLOW_SECONDS / 3,
        `stopped ${seconds.toFixed(1)} s after Ctrl-C, not after the delay`,
      );
      assert.match(r.stderr, /Cancelling the update of 'testing': waiting for the engine to stop/);
      assert.match(r.stdout, /cancelled: the engine stopped the update of testing/);
      assert.doesNotMatch(shown(r), /Stopped without waiting/, "one Ctrl-C is one graceful cancel");

      const exported = await f.exportStack("testing");
      assert.deepEqual(exported.deployment.pending_operations ?? [], [], "no operation left pending");
      assert.deepEqual(await f.lockFiles(), [], "no lock left");
      assert.deepEqual(processesUnder(f.repo), [], "no pulumi, language host or plugin outlives the CLI");
    });

    it("the next deploy succeeds (--json)", async () => {
      await f.setFaults({});
      const r = await f.cli(["deploy", "testing", "--commit", B, "--json"]);
      expectExit(r, 0);
      const result = resultOf(r);
      assert.equal(result.ok, true);
      const data = deployed(r);
      assert.equal(data.commit, B);
      assert.equal(data.imageId, imageB);
      assert.equal(data.actor, alice);
      assert.ok((data.changes.update ?? 0) > 0, JSON.stringify(data.changes));
    });
  });

  describe("Ctrl-C in the dashboard mid-update (a real terminal: tmux)", () => {
    let dashboard: TmuxDashboard | undefined;

    before(function () {
      if (!hasTmux())
        unavailable(this, "tmux is not installed here (apt-get install tmux; .ci/run installs it)");
    });

    after(async () => {
      dashboard?.kill();
      await f.setFaults({});
    });

    it("cancels the update through the engine, stays open and quits cleanly; the stack is left consistent", async () => {
      await f.setFaults({ delay: { [APP_ASG]: 300 } });
      dashboard = await f.dashboard();
      // The list holds every committed stack, deployed or not: move the selection to testing.
      const rows = (await dashboard.waitFor(/^[› ] testing +[0-9a-f]{7} /m, 120_000))
        .split("\n")
        .filter((l) => /^[› ] [a-z][a-z0-9-]* /.test(l));
      const moves =
        rows.findIndex((l) => l.slice(2).startsWith("testing ")) - rows.findIndex((l) => l.startsWith("›"));
      if (moves !== 0) dashboard.keys(...Array<string>(Math.abs(moves)).fill(moves > 0 ? "Down" : "Up"));
      const list = await dashboard.waitFor(/› testing +[0-9a-f]{7} /, 10_000);
      // Deploy whichever of A and B testing does not run, so that the app's group changes (and is slow).
      const running = /› testing +([0-9a-f]{7}) /.exec(list)?.[1];
      const target = short(running === short(A) ? B : A);
      dashboard.keys("d");
      // The picker lists recent commits newest first, the first one selected: go down to the target.
      const pane = await dashboard.waitFor(/Deploy which commit to testing\?[^]*↑\/↓ move/);
      // One choice a line (a long subject wraps onto lines of its own, which do not count).
      const choices = pane.split("\n").filter((l) => /^(› | {2})[0-9a-f]{7} {2}/.test(l));
      const steps = choices.findIndex((l) => l.slice(2).startsWith(`${target} `));
      assert.ok(steps >= 0, `${target} is offered:\n${pane}`);
      if (steps > 0) dashboard.keys(...Array<string>(steps).fill("Down"));
      await dashboard.waitFor(new RegExp(`› ${target} `), 10_000);
      dashboard.keys("Enter");
      // In flight: a spinner and the op's sign, not a finished line (those start with the time).
      await dashboard.waitFor(
        new RegExp(`^\\S [~+] aws:autoscaling/group:Group ${APP_ASG} \\d`, "m"),
        480_000,
      );
      await sleep(1_000);

      const at = performance.now();
      dashboard.keys("C-c");
      const ended = await dashboard.waitFor(/Press any key to go back\./, 150_000);
      const seconds = (performance.now() - at) / 1000;
      assert.ok(seconds < 100, `stopped ${seconds.toFixed(1)} s after Ctrl-C, not after the delay`);
      assert.match(ended, /✘ the update of 'testing' was cancelled/);
      assert.doesNotMatch(ended, /Stopped without waiting|hit a bug/);

      const exported = await f.exportStack("testing");
      assert.deepEqual(exported.deployment.pending_operations ?? [], [], "no operation left pending");
      assert.deepEqual(await f.lockFiles(), [], "no lock left");

      dashboard.keys("Enter");
      await dashboard.waitFor(/› testing /);
      dashboard.keys("q");
      await dashboard.waitFor(/dashboard closed with exit code 0/, 60_000);
      assert.deepEqual(processesUnder(f.repo), [], "nothing the dashboard started outlives it");
    });
  });

  describe("rollback", () => {
    it("rolls back to a commit that ran there, with its recorded image, and refuses one that never ran (exit 3)", async () => {
      const never = await f.cli(["rollback", "testing", short(C), "--json"]);
      expectExit(never, 3);
      const error = resultOf(never).error;
      assert.equal(error?.name, "GuardError");
      assert.equal(
        error?.message,
        `refused: ${short(C)} was never deployed to testing: rollback only goes back to a commit that ran there`,
      );
      assert.match(error?.tryMessage ?? "", new RegExp(`${short(B)}.*${short(A)}|${short(A)}.*${short(B)}`));

      const r = await f.cli(["rollback", "testing", short(A), "--json"]);
      expectExit(r, 0);
      const guard = eventsOf(r).find(
        (e): e is GuardEvent => e.type === "guard" && e.guard === "rollback-history",
      );
      assert.equal(guard?.allowed, true);
      assert.match(
        guard?.reason ?? "",
        new RegExp(`${short(A)} ran successfully on testing in update \\d+ .* with ${imageA}`),
      );
      const data = deployed(r);
      assert.equal(data.commit, A);
      assert.equal(data.imageId, imageA);
    });
  });

  describe("promote staging to production, under production's guards", () => {
    it("deploys B to staging and the shared preview base at once (two stacks, two processes)", async () => {
      const [staging, previews] = await Promise.all([
        f.cli(["deploy", "staging", "--commit", B, "--json"]),
        f.cli(["deploy", "previews", "--commit", B]),
      ]);
      expectExit(staging, 0);
      assert.equal(deployed(staging).imageId, imageB);
      assert.equal(deployed(staging).url, "https://staging.example.com");
      expectExit(previews, 0);
      assert.match(previews.stdout, new RegExp(`ok previews runs ${short(B)} \\(${imageB}\\)`));
    });

    it("needs --yes without a terminal (exit 2), before any engine", async () => {
      const r = await f.cli(["promote", "staging", "production"]);
      expectExit(r, 2);
      assert.match(r.stderr, /needs confirmation, and flightdeck never prompts without a terminal/);
    });

    it("refuses an author of the change (separation of duties) and a dirty tree (exit 3)", async () => {
      // bob may deploy production, but he wrote B.
      const bob = f.actor(PEOPLE.bob);
      const author = await f.cli(["promote", "staging", "production", "--yes", "--json"], { env: bob.env });
      expectExit(author, 3);
      const guards = eventsOf(author).filter((e): e is GuardEvent => e.type === "guard");
      const verdicts = new Map(guards.map((g) => [g.guard, g.allowed]));
      for (const passed of ["promote-source", "allowed-branch", "clean-tree", "allowed-deployer"])
        assert.equal(verdicts.get(passed), true, `${passed}: ${JSON.stringify(guards)}`);
      assert.deepEqual(
        guards.filter((g) => !g.allowed).map((g) => g.guard),
        ["separation-of-duties"],
        "refused by separation of duties alone",
      );
      assert.equal(guards.at(-1)?.guard, "separation-of-duties", "the first refusal ends the guards");
      assert.match(
        resultOf(author).error?.message ?? "",
        new RegExp(`${esc(bob.id)}.* wrote or co-wrote 1 of the commits being released .*${short(B)}`),
      );

      const stray = join(f.repo, "stray.txt");
      await writeFile(stray, "not committed\n");
      try {
        const dirty = await f.cli(["promote", "staging", "production", "--yes", "--json"]);
        expectExit(dirty, 3);
        assert.match(
          resultOf(dirty).error?.message ?? "",
          /production deploys only from a clean work tree; .*stray\.txt/,
        );
      } finally {
        await rm(stray);
      }
    });

    it("promotes exactly staging's commit and image to production for an allowed deployer who wrote none of it", async () => {
      const r = await f.cli(["promote", "staging", "production", "--yes", "--json"]);
      expectExit(r, 0);
      const guards = eventsOf(r).filter((e): e is GuardEvent => e.type === "guard");
      assert.ok(guards.length >= 5 && guards.every((g) => g.allowed), JSON.stringify(guards));
      const data = deployed(r);
      assert.equal(data.commit, B);
      assert.equal(data.imageId, imageB);
      assert.equal(data.url, "https://app.example.com");

      const status = await f.cli(["status", "--json"]);
      expectExit(status, 0);
      const rows = documentOf<{ stacks: StackStatus[] }>(status).stacks;
      const row = (name: string) => rows.find((s) => s.stack === name);
      assert.deepEqual(
        rows.map((s) => s.stack),
        ["production", "staging", "testing", "previews"],
      );
      assert.equal(row("production")?.commit, B);
      assert.equal(row("production")?.imageId, imageB);
      assert.equal(row("staging")?.imageId, imageB);
      assert.equal(row("testing")?.commit, A, "testing runs what it was rolled back to");
    });
  });

  describe("tracing a change: where it runs, drift, leftovers (--json)", () => {
    it("where B: production and staging run it, since the promotion and the deploy, and by whom; testing does not", async () => {
      const r = await f.cli(["where", short(B), "--json"]);
      expectExit(r, 0);
      const where = documentOf<{ where: WhereResult }>(r).where;
      assert.equal(where.kind, "commit");
      assert.deepEqual(
        where.commits.map((c) => c.sha),
        [B],
      );
      const row = (stack: string) => where.stacks.find((s) => s.stack === stack);
      assert.deepEqual(
        ["production", "staging", "testing"].map((s) => [s, row(s)?.state, row(s)?.commit]),
        [
          ["production", "yes", B],
          ["staging", "yes", B],
          ["testing", "no", A],
        ],
      );
      const history = await f.cli(["history", "production", "--json"]);
      const promotion = documentOf<{ history: HistoryEntry[] }>(history).history[0];
      assert.equal(row("production")?.by, promotion?.actor, "by the one who promoted it");
      assert.equal(row("production")?.version, promotion?.version, "since the promotion");
    });

    it("drift: a refresh preview of staging and production through the engine finds nothing changed (exit 0)", async () => {
      const r = await f.cli(["drift", "staging", "production", "--json"]);
      expectExit(r, 0);
      const report = resultOf(r).data as DriftReport;
      assert.deepEqual(
        report.stacks.map((s) => [s.stack, s.drifted, s.error]),
        [
          ["staging", [], undefined],
          ["production", [], undefined],
        ],
      );
      assert.deepEqual([report.drifted, report.failed], [[], []]);
    });

    it("drift: a change made outside flightdeck and a deleted resource are found (exit 1), and nothing is changed", async () => {
      // The stand-in provider's reads find what the faults file's `drift` says someone changed in the account.
      await f.setFaults({
        drift: { "staging-lb-alb": { idleTimeout: 400 }, "staging-lb-content-tg": "deleted" },
      });
      const before = await f.exportStack("staging");
      try {
        const r = await f.cli(["drift", "staging", "--json"]);
        expectExit(r, 1);
        const report = resultOf(r).data as DriftReport;
        assert.deepEqual(report.drifted, ["staging"]);
        const found = report.stacks[0]?.drifted ?? [];
        assert.deepEqual(found.map((d) => [d.name, d.change]).sort(), [
          ["staging-lb-alb", "update"],
          ["staging-lb-content-tg", "delete"],
        ]);
        assert.ok(found.find((d) => d.name === "staging-lb-alb")?.properties?.includes("idleTimeout"));
        assert.deepEqual(
          (await f.exportStack("staging")).deployment,
          before.deployment,
          "a refresh preview changes no state",
        );
      } finally {
        await f.setFaults({});
      }
    });

    it("sweep: a VPC in moto tagged for a stack that is gone is found (dry run), deleted with --delete, and gone after", async () => {
      const ec2 = new EC2Client({
        region: SANDBOX_REGION,
        endpoint: moto.endpoint,
        credentials: {
          accessKeyId: FAKE_CREDENTIALS.AWS_ACCESS_KEY_ID,
          secretAccessKey: FAKE_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
        },
      });
      try {
        const vpc = await ec2.send(
          new CreateVpcCommand({
            CidrBlock: "10.99.0.0/16",
            TagSpecifications: [
              { ResourceType: "vpc", Tags: [{ Key: "flightdeck:stack", Value: "preview-0000000" }] },
            ],
          }),
        );
        const id = vpc.Vpc?.VpcId ?? "";
        const dry = await f.cli(["sweep", "--json"]);
        expectExit(dry, 0);
        const found = resultOf(dry).data as SweepResult;
        assert.equal(found.dryRun, true);
        assert.deepEqual(
          found.leftovers.map((l) => [l.stack, l.type, l.reason, l.deletable, l.arn.endsWith(`vpc/${id}`)]),
          [["preview-0000000", "ec2:vpc", "stack-gone", true, true]],
        );
        assert.deepEqual(found.deleted, []);

        const swept = await f.cli(["sweep", "--delete", "--yes", "--json"]);
        expectExit(swept, 0);
        assert.deepEqual(
          (resultOf(swept).data as SweepResult).deleted,
          found.leftovers.map((l) => l.arn),
        );
        const left = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "vpc-id", Values: [id] }] }));
        assert.deepEqual(left.Vpcs ?? [], [], "the VPC is gone from moto");

        const again = await f.cli(["sweep", "--json"]);
        expectExit(again, 0);
        assert.deepEqual((resultOf(again).data as SweepResult).leftovers, []);
      } finally {
        ec2.destroy();
      }
    });
  });

  describe("previews: up, list, reap (dry run first), down", () => {
    const expiring = () => `preview-${short(A)}`;
    const kept = () => `preview-${short(B)}`;

    it("creates a short-lived preview of A (--json) and one of B (plain) at once, each at its own URL", async () => {
      const [a, b] = await Promise.all([
        f.cli(["preview", "up", "--commit", short(A), "--ttl", "1m", "--json"]),
        f.cli(["preview", "up", "--commit", short(B)]),
      ]);
      expectExit(a, 0);
      const result = resultOf(a);
      assert.equal(result.stack, expiring());
      assert.equal(result.url, `https://${short(A)}.preview.example.com`);
      assert.equal(deployed(a).imageId, imageA);
      // The pipeline's create-test-environment step reads the URL from these events the same way.
      assert.equal(await resultField(a, "url"), `https://${short(A)}.preview.example.com`);
      expectExit(b, 0);
      assert.match(
        b.stdout,
        new RegExp(
          `ok ${kept()} runs ${short(B)} \\(${imageB}\\) at https://${short(B)}\\.preview\\.example\\.com`,
        ),
      );
    });

    it("lists both previews, then reaps only the expired one: a dry run first, then for real", async () => {
      const listed = await f.cli(["preview", "list", "--json"]);
      expectExit(listed, 0);
      const previews = documentOf<{ previews: PreviewInfo[] }>(listed).previews;
      assert.deepEqual(previews.map((p) => p.stack).sort(), [expiring(), kept()].sort());
      const a = previews.find((p) => p.stack === expiring()) as PreviewInfo;
      assert.equal(a.commit, A);
      assert.equal(a.url, `https://${short(A)}.preview.example.com`);
      assert.equal(Date.parse(a.expiresAt) - Date.parse(a.createdAt), 60_000);
      assert.equal(previews.find((p) => p.stack === kept())?.expired, false);
      const wait = Date.parse(a.expiresAt) - Date.now() + 1_000;
      if (wait > 0) await sleep(wait);

      const dry = await f.cli(["reap", "--dry-run", "--json"]);
      expectExit(dry, 0);
      const planned = resultOf(dry).data as ReapResult;
      assert.deepEqual(
        { dryRun: planned.dryRun, candidates: planned.candidates, destroyed: planned.destroyed },
        { dryRun: true, candidates: [expiring()], destroyed: [] },
      );

      const reaped = await f.cli(["reap", "--yes", "--json"]);
      expectExit(reaped, 0);
      const done = resultOf(reaped).data as ReapResult;
      assert.deepEqual(
        { candidates: done.candidates, destroyed: done.destroyed, failed: done.failed },
        { candidates: [expiring()], destroyed: [expiring()], failed: [] },
      );
    });

    it("takes the other preview down (plain), and none is left", async () => {
      const down = await f.cli(["preview", "down", short(B), "--yes"]);
      expectExit(down, 0);
      assert.match(down.stdout, new RegExp(`ok ${kept()} destroyed and removed`));

      const listed = await f.cli(["preview", "list", "--json"]);
      expectExit(listed, 0);
      assert.deepEqual(documentOf<{ previews: PreviewInfo[] }>(listed).previews, []);
      assert.deepEqual(await f.lockFiles(), []);
    });
  });
});

/**
 * `flightdeck deploy` in-process (`main(argv, deps)`) against the in-memory
 * engine and the real operations, in a real git repository made in a temp
 * folder: plain lines and `--json` under CI, guards, a locked stack, the
 * production confirmation at a terminal, a broken config.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryEngine } from "../../../automation/engine/memory.js";
import { ALICE, CAROL, projectRepo, type TempRepo } from "../../automation/helpers.js";
import { jsonLines, runCli, TTY, waitFor, waitUntilBusy } from "../harness.js";

describe("cli: whole commands in-process (MemoryEngine)", function () {
  this.timeout(60_000);
  let repo: TempRepo;
  let head: string;

  before(() => {
    repo = projectRepo();
    head = repo.git("rev-parse", "HEAD");
  });

  it("deploy under CI prints plain timestamped lines, then status, history and no-arg status show it", async () => {
    const engine = new MemoryEngine();
    const run = await runCli(repo.dir, ["deploy", "staging", "--commit", "main"], { engine });
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split("\n");
    for (const line of lines) assert.match(line, /^\d{2}:\d{2}:\d{2} /, `timestamped: ${line}`);
    assert.match(lines[0] ?? "", /start deploy stack=staging/);
    assert.match(run.stdout, /done create aws:lb\/loadBalancer:LoadBalancer web-alb/);
    assert.match(
      lines.at(-1) ?? "",
      new RegExp(`ok staging runs ${head.slice(0, 7)} .* https://staging\\.example\\.com$`),
    );
    assert.ok(!run.stdout.includes("\u001b["), "no colour without a terminal");

    const status = await runCli(repo.dir, ["status", "--json"], { engine });
    const doc = JSON.parse(status.stdout) as { stacks: { stack: string; commit?: string; url?: string }[] };
    assert.deepEqual(
      doc.stacks.map((s) => [s.stack, s.commit, s.url]),
      [["staging", head, "https://staging.example.com"]],
    );
    const history = await runCli(repo.dir, ["history", "staging", "--json"], { engine });
    const h = JSON.parse(history.stdout) as { stack: string; history: { result: string; commit: string }[] };
    assert.equal(h.stack, "staging");
    assert.deepEqual(
      h.history.map((e) => [e.result, e.commit]),
      [["succeeded", head]],
    );

    const plain = await runCli(repo.dir, [], { engine });
    assert.equal(plain.code, 0);
    assert.match(plain.stdout, /^STACK +COMMIT +BRANCH +IMAGE +URL +LAST UPDATE +COST\/DAY +EXPIRES\n/);
    assert.match(plain.stdout, new RegExp(`\\nstaging +${head.slice(0, 7)} `));
    const historyText = await runCli(repo.dir, ["history", "staging"], { engine });
    assert.match(historyText.stdout, /^# +KIND +RESULT +CHECKS +COMMIT/);
  });

  it("--json streams the events as JSON lines ending in exactly one result", async () => {
    const run = await runCli(repo.dir, ["deploy", "testing", "--json"], { engine: new MemoryEngine() });
    assert.equal(run.code, 0, run.stderr);
    const events = jsonLines(run.stdout);
    assert.equal(events[0]?.type, "start");
    assert.equal(events.filter((e) => e.type === "result").length, 1);
    const result = events.at(-1) as {
      type: string;
      ok: boolean;
      exitCode: number;
      stack: string;
      data: { commit: string };
    };
    assert.equal(result.type, "result");
    assert.equal(result.ok, true);
    assert.equal(result.exitCode, 0);
    assert.equal(result.data.commit, head);
    for (const e of events) assert.equal(typeof e.timestamp, "string");
  });

  it("with --yes a production deploy runs its guards: refused is exit 3, allowed is exit 0", async () => {
    const engine = new MemoryEngine();
    const refused = await runCli(
      repo.dir,
      ["deploy", "production", "--yes", "--actor", "mallory@example.com"],
      { engine },
    );
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stdout, /guard .*refused/);
    assert.match(refused.stderr, /^Error: /);
    // Production trusts only the CI's own identity (a terminal's is refused): Alice's Bitbucket account.
    const allowed = await runCli(repo.dir, ["deploy", "production", "--yes"], {
      engine,
      env: {
        CI: "true",
        BITBUCKET_BUILD_NUMBER: "1",
        BITBUCKET_STEP_TRIGGERER_UUID: "{a11ce000-0000-4000-8000-000000000001}",
      },
    });
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /ok production runs/);
  });

  it("a second update of a busy stack exits 4 and says who holds the lock", async () => {
    const engine = new MemoryEngine({ updateLatencyMs: 3_000 });
    const first = runCli(repo.dir, ["deploy", "testing"], { engine });
    await waitUntilBusy(engine, "testing");
    const second = await runCli(repo.dir, ["deploy", "testing"], { engine });
    assert.equal(second.code, 4, second.stderr);
    assert.match(second.stderr, /locked by another update/);
    assert.match(second.stderr, /pulumi cancel --stack testing/);
    assert.equal((await first).code, 0);
  });

  it("at a terminal a production deploy asks for the stack name typed; a wrong answer and Esc cancel", async () => {
    const engine = new MemoryEngine();
    const fresh = projectRepo(); // only Carol's commits: Alice may release them
    // A terminal production deploy needs the rules on main to allow it, and the terminal's git identity is Alice's.
    fresh.write(
      "Pulumi.production.yaml",
      readFileSync(join(fresh.dir, "Pulumi.production.yaml"), "utf8").replace(
        "allowTerminalDeploys: false",
        "allowTerminalDeploys: true",
      ),
    );
    fresh.commit(CAROL, "allow terminal deploys");
    fresh.git("config", "user.email", ALICE.email);
    let typed: Promise<void> = Promise.resolve();
    const cancelled = await runCli(fresh.dir, ["deploy", "production", "--actor", ALICE.email], {
      engine,
      env: TTY,
      tty: true,
      onStart: (io) => {
        typed = (async () => {
          await waitFor(io.stdout, /Type production to confirm/);
          io.stdin.type("prod");
          io.stdin.type("\r");
          await waitFor(io.stdout, /That is not 'production'/);
          io.stdin.type("\u001b");
        })();
      },
    });
    await typed;
    assert.equal(cancelled.code, 2, cancelled.stderr);
    assert.match(cancelled.stdout, /That is not 'production'/);
    assert.match(cancelled.stderr, /cancelled: nothing was changed/);
    assert.deepEqual(await engine.listStacks(), []);

    const run = await runCli(fresh.dir, ["deploy", "production", "--actor", ALICE.email], {
      engine,
      env: TTY,
      tty: true,
      onStart: (io) => {
        typed = (async () => {
          await waitFor(io.stdout, /Type production to confirm/);
          io.stdin.type("production");
          io.stdin.type("\r");
        })();
      },
    });
    await typed;
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Confirmed\./, run.stdout);
    assert.match(
      run.stdout,
      /deploy · production · commit [0-9a-f]{7} · image ami-[0-9a-f]{17} · by alice@example\.com/,
      "the header says what is released, and by whom",
    );
    assert.match(
      run.stdout,
      /✔ production runs [0-9a-f]{7} \(ami-[0-9a-f]{17}\) at https:\/\/app\.example\.com, rollout verified in \d+s/,
      run.stdout,
    );
    assert.match(run.stdout, /✔ url: https:\/\/app\.example\.com\/healthz serves [0-9a-f]{7}/);
    assert.match(run.stdout, /✔ release: release phase of [0-9a-f]{7} succeeded/);
    assert.match(run.stdout, /URL: https:\/\/app\.example\.com/);
    assert.match(run.stdout, /3 create {2}0 update {2}0 replace {2}0 delete/);
    assert.match(
      run.stdout,
      /✔ \+ aws:lb\/loadBalancer:LoadBalancer web-alb/,
      "finished resources in the Static log",
    );
  });

  it("a config error lists every problem before anything runs (exit 2)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flightdeck-badcfg-"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: flightdeck\nruntime: nodejs\n");
    writeFileSync(
      join(dir, "Pulumi.staging.yaml"),
      "config:\n  aws:region: mars-1\n  flightdeck:environment: staging\n  flightdeck:network:\n    cidr: 10.0.0.0/8\n    azs: 2\n    nat: single\n",
    );
    const engine = new MemoryEngine();
    const run = await runCli(dir, ["deploy", "staging"], { engine });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /Pulumi\.staging\.yaml: aws:region: must be an AWS region/);
    assert.match(run.stderr, /Pulumi\.staging\.yaml: flightdeck:network\.cidr: must be an IPv4 CIDR/);
    assert.match(run.stderr, /flightdeck:database: is required/);
    assert.deepEqual(await engine.listStacks(), []);
    const notProject = await runCli(tmpdir(), ["status"], { engine });
    assert.equal(notProject.code, 2);
    assert.match(notProject.stderr, /Pulumi\.yaml: no such file/);
  });
});

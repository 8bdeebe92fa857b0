/**
 * Whole commands in-process (`main(argv, deps)`) against the in-memory engine
 * and the real operations, in a real git repository made in a temp folder:
 * exit codes, `--json` shapes, no prompt under CI, `--yes`, production
 * confirmation, interruption, the top-level error handler.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configMapOf } from "../../automation/config-map.js";
import { MemoryEngine } from "../../automation/engine/memory.js";
import { ALICE, projectRepo, type TempRepo } from "../automation/helpers.js";
import { type Capture, FakeSignals, runCli } from "./harness.js";

const CI = { CI: "true", PATH: process.env.PATH, HOME: process.env.HOME };
const TTY = { PATH: process.env.PATH, HOME: process.env.HOME, TERM: "xterm" };

/** Resolve once the captured output matches (the Ink screen is up). */
async function waitFor(out: Capture, pattern: RegExp, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pattern.test(out.plain())) {
    if (Date.now() > end) assert.fail(`never printed ${pattern}:\n${out.plain()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolve once the engine holds `stack`'s update lock (the operation reached `up`). */
async function waitUntilBusy(engine: MemoryEngine, stack: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const stacks = await engine.listStacks();
    if (stacks.some((s) => s.name === stack && s.updateInProgress)) return;
    if (Date.now() > end) assert.fail(`${stack} never started its update`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("cli: whole commands in-process (MemoryEngine)", function () {
  this.timeout(60_000);
  let repo: TempRepo;
  let head: string;

  before(() => {
    repo = projectRepo();
    head = repo.git("rev-parse", "HEAD");
  });

  it("status --json on an empty backend is one document with no stacks", async () => {
    const run = await runCli(repo.dir, ["status", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { stacks: [] });
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
    assert.match(historyText.stdout, /^# +KIND +RESULT +COMMIT/);
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

  it("a production deploy under CI=true never prompts: without --yes it stops with exit 2 and touches nothing", async () => {
    const engine = new MemoryEngine();
    const run = await runCli(repo.dir, ["deploy", "production"], { engine });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /needs confirmation, and flightdeck never prompts without a terminal/);
    assert.match(run.stderr, /Try: Add --yes to confirm: Deploy HEAD to PRODUCTION \(production\)/);
    assert.equal(run.stdout, "");
    assert.deepEqual(await engine.listStacks(), []);
    for (const argv of [
      ["promote", "staging", "production"],
      ["rollback", "production", head],
      ["preview", "down", head],
      ["reap"],
    ]) {
      const refused = await runCli(repo.dir, argv, { engine });
      assert.equal(refused.code, 2, argv.join(" "));
      assert.match(refused.stderr, /--yes/);
    }
    const json = await runCli(repo.dir, ["deploy", "production", "--json"], { engine });
    assert.equal(json.code, 2);
    assert.equal((JSON.parse(json.stdout) as { ok: boolean }).ok, false, "--json gets an error document");
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
    const allowed = await runCli(repo.dir, ["deploy", "production", "--yes", "--actor", ALICE.email], {
      engine,
    });
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /ok production runs/);
  });

  it("rollback to a commit never deployed there is refused (exit 3); reap --dry-run needs no --yes", async () => {
    const engine = new MemoryEngine();
    assert.equal((await runCli(repo.dir, ["deploy", "staging"], { engine })).code, 0);
    const rollback = await runCli(repo.dir, ["rollback", "staging", "0000000"], { engine });
    assert.notEqual(rollback.code, 0);
    const other = repo.commit(ALICE, "a change never deployed");
    const never = await runCli(repo.dir, ["rollback", "staging", other], { engine });
    assert.equal(never.code, 3, never.stderr);
    const reap = await runCli(repo.dir, ["reap", "--dry-run", "--json"], { engine });
    assert.equal(reap.code, 0, reap.stderr);
    const result = jsonLines(reap.stdout).at(-1) as { data: { dryRun: boolean; candidates: string[] } };
    assert.deepEqual(result.data, { ...result.data, dryRun: true, candidates: [] });
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

  it("Ctrl-C cancels the update through the engine (exit 130); a second one exits at once", async () => {
    const engine = new MemoryEngine({ updateLatencyMs: 5_000 });
    const signals = new FakeSignals();
    const running = runCli(repo.dir, ["deploy", "testing"], { engine, signals });
    await waitUntilBusy(engine, "testing");
    signals.send("SIGINT");
    const run = await running;
    assert.equal(run.code, 130, run.stderr);
    assert.match(run.stderr, /Cancelling the update of 'testing'/);
    assert.deepEqual(run.exits, []);
    assert.equal(signals.count(), 0, "signal handlers removed after the operation");

    const signals2 = new FakeSignals();
    const exits: number[] = [];
    const busy = new MemoryEngine({ updateLatencyMs: 1_500 });
    const hanging = runCli(repo.dir, ["deploy", "staging"], {
      engine: busy,
      signals: signals2,
      deps: { exit: (c) => void exits.push(c) },
    });
    await waitUntilBusy(busy, "staging");
    signals2.send("SIGINT");
    signals2.send("SIGINT");
    assert.deepEqual(exits, [130]);
    const second = await hanging;
    assert.match(second.stderr, /pulumi cancel --stack staging/);
  });

  it("at a terminal a production deploy asks for the stack name typed; a wrong answer and Esc cancel", async () => {
    const engine = new MemoryEngine();
    const fresh = projectRepo(); // only Carol's commits: Alice may release them
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
      /✔ production runs [0-9a-f]{7} \(ami-[0-9a-f]{17}\) at https:\/\/app\.example\.com in \d+s/,
      run.stdout,
    );
    assert.match(run.stdout, /URL: https:\/\/app\.example\.com/);
    assert.match(run.stdout, /3 create {2}0 update {2}0 replace {2}0 delete/);
    assert.match(
      run.stdout,
      /✔ \+ aws:lb\/loadBalancer:LoadBalancer web-alb/,
      "finished resources in the Static log",
    );
  });

  it("at a terminal, reap first lists what it would destroy, and says so when nothing is expired", async () => {
    const run = await runCli(repo.dir, ["reap"], { engine: new MemoryEngine(), env: TTY, tty: true });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Nothing to reap: no preview is past its TTL\./);
  });

  it("at a terminal, reap asks about the expired previews and destroys them with the one engine of the run", async () => {
    const engine = new MemoryEngine();
    const commit = "abcdef1" + "0".repeat(33);
    engine.seed("preview-abcdef1", {
      config: configMapOf({
        environment: "preview",
        image: { commit, amiId: "ami-0123456789abcdef0" },
        previewMeta: { commit, createdAt: "2020-01-01T00:00:00.000Z", expiresAt: "2020-01-02T00:00:00.000Z" },
      }),
      resourceCount: 3,
    });
    let engines = 0;
    let typed: Promise<void> = Promise.resolve();
    const run = await runCli(repo.dir, ["reap"], {
      engine,
      env: TTY,
      tty: true,
      deps: {
        createEngine: async () => {
          engines++;
          return engine;
        },
      },
      onStart: (io) => {
        typed = (async () => {
          await waitFor(io.stdout, /1 preview\(s\): preview-abcdef1/);
          io.stdin.type("y");
        })();
      },
    });
    await typed;
    assert.equal(run.code, 0, run.stderr);
    assert.equal(engine.has("preview-abcdef1"), false);
    assert.equal(engines, 1, "the listing and the reap share one engine");
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

  it("a bug prints a short trace and where the logs are (exit 1); secrets in the environment are never printed", async () => {
    const run = await runCli(repo.dir, ["status"], {
      env: { ...CI, PULUMI_CONFIG_PASSPHRASE: "hunter2-passphrase" },
      deps: {
        createOperations: async () => {
          throw new TypeError("cannot read 'x' of undefined (passphrase hunter2-passphrase)");
        },
      },
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^flightdeck hit a bug: cannot read 'x' of undefined/);
    assert.match(run.stderr, /\n\s+at /);
    assert.match(run.stderr, /Operation logs are in .*\.flightdeck\/logs\./);
    assert.doesNotMatch(run.stderr, /hunter2/);
  });

  it("usage errors and help need no engine", async () => {
    const run = await runCli(repo.dir, ["deploy", "staging", "--comit", "x"], {
      deps: {
        createEngine: async () => assert.fail("no engine for a usage error"),
      },
    });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown option '--comit'\nTry: Did you mean --commit\?/);
    const help = await runCli(repo.dir, ["promote", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: flightdeck promote \[options\] <from> <to>/);
  });
});

/**
 * The person's own input is checked before the engine (which may be missing),
 * nothing is half-changed by a refused command, and no secret of the
 * environment reaches any output or the operation logs.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EngineUnavailableError } from "../../automation/engine.js";
import { MemoryEngine } from "../../automation/engine/memory.js";
import { missingImage } from "../../automation/images.js";
import { redactEvent } from "../../automation/run.js";
import { createRedactor } from "../../infra/redact.js";
import { ALICE, projectRepo, type TempRepo } from "../automation/helpers.js";
import { runCli } from "./harness.js";

const CI = { CI: "true", PATH: process.env.PATH, HOME: process.env.HOME };
const noEngine = {
  createEngine: async () => {
    throw new EngineUnavailableError("no `pulumi` binary on PATH");
  },
};

describe("cli: input checked before the engine, nothing half-changed, no secret printed", function () {
  this.timeout(60_000);
  let repo: TempRepo;

  before(() => {
    repo = projectRepo();
    repo.commit(ALICE, "a change");
  });

  it("an unknown environment is named before the missing-CLI error (deploy, rollback, promote, plan)", async () => {
    for (const argv of [
      ["deploy", "nowhere"],
      ["rollback", "nowhere", "HEAD"],
      ["promote", "staging", "nowhere"],
      ["promote", "nowhere", "staging"],
      ["plan", "nowhere"],
    ]) {
      const run = await runCli(repo.dir, argv, { deps: noEngine });
      assert.equal(run.code, 2, `${argv.join(" ")}: ${run.stderr}`);
      assert.match(
        run.stderr,
        /^Error: unknown environment 'nowhere': there is no Pulumi\.nowhere\.yaml in .*\nTry: Known environments: previews, production, staging, testing\./,
        argv.join(" "),
      );
    }
    const self = await runCli(repo.dir, ["promote", "staging", "staging"], { deps: noEngine });
    assert.equal(self.code, 2);
    assert.match(self.stderr, /^Error: cannot promote staging to itself/);
  });

  it("a directory that is not a flightdeck project is named as such, with what to do (exit 2)", async () => {
    const run = await runCli(tmpdir(), ["deploy", "staging"], { deps: noEngine });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^Error: not a flightdeck project: Pulumi\.yaml: no such file in /);
    assert.match(
      run.stderr,
      /\nTry: Run flightdeck in the project's checkout, or point to it with --cwd <dir>\./,
    );
    assert.doesNotMatch(run.stderr, /not a valid flightdeck configuration/);
  });

  it("a full SHA is not 'resolved' to itself in the log lines", async () => {
    const sha = repo.git("rev-parse", "HEAD");
    const run = await runCli(repo.dir, ["deploy", "testing", "--commit", sha], {
      engine: new MemoryEngine(),
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`\\d commit ${sha}\\n`));
    assert.doesNotMatch(run.stdout, new RegExp(`${sha} is ${sha}`));
    const head = await runCli(repo.dir, ["deploy", "testing"], { engine: new MemoryEngine() });
    assert.match(head.stdout, new RegExp(`commit HEAD is ${sha}`));
  });

  it("a preview plan without a commit says which refs it takes", async () => {
    const run = await runCli(repo.dir, ["plan", "preview", "--offline"], { deps: noEngine });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--commit <SHA, branch or tag> --offline \(like --commit HEAD\)/);
  });

  it("a commit that does not exist is named before the missing-CLI error (deploy, preview up)", async () => {
    for (const argv of [
      ["deploy", "staging", "--commit", "no-such-ref"],
      ["preview", "up", "--commit", "no-such-ref"],
    ]) {
      const run = await runCli(repo.dir, argv, { deps: noEngine });
      assert.equal(run.code, 2, `${argv.join(" ")}: ${run.stderr}`);
      assert.match(run.stderr, /^Error: 'no-such-ref' is not a commit, branch or tag in this repository/);
    }
    // A ref that exists gets as far as the engine.
    const ok = await runCli(repo.dir, ["deploy", "staging", "--commit", "HEAD~1"], { deps: noEngine });
    assert.equal(ok.code, 2);
    assert.match(ok.stderr, /^Error: the Pulumi CLI is needed for this command/);
  });

  it("an invalid config is reported before the missing-CLI error, also for plan without --offline", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flightdeck-badcfg-"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: flightdeck\nruntime: nodejs\n");
    for (const [text, problem] of [
      ["", /Pulumi\.staging\.yaml: must be a YAML mapping with a 'config:' key/],
      ["config:\n\taws:region: x\n", /Pulumi\.staging\.yaml: is not valid YAML: Tabs are not allowed/],
      ["config: [1, 2]\n", /Pulumi\.staging\.yaml: config: must be a mapping of Pulumi config keys/],
      ["config:\n  aws:region: us-east-1\n  aws:region: us-east-2\n", /Map keys must be unique/],
      ["config:\n  aws:region: 5\n  flightdeck:network: hello\n", /flightdeck:network: /],
    ] as const) {
      writeFileSync(join(dir, "Pulumi.staging.yaml"), text);
      for (const argv of [
        ["plan", "staging"],
        ["deploy", "staging"],
        ["promote", "testing", "staging"],
      ]) {
        const run = await runCli(dir, argv, { deps: noEngine });
        assert.equal(run.code, 2, `${argv.join(" ")}: ${run.stderr}`);
        assert.match(run.stderr, /^Error: Pulumi\.staging\.yaml is not a valid flightdeck configuration:\n/);
        assert.match(run.stderr, problem);
      }
    }
  });

  it("a commit with no image stops before anything changes (exit 2), saying how to build it", async () => {
    const engine = new MemoryEngine();
    const run = await runCli(repo.dir, ["deploy", "testing"], {
      engine,
      deps: {
        images: async () => ({
          imageFor: async (commit, region) => {
            throw missingImage(commit, region);
          },
        }),
      },
    });
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      /^Error: no machine image found for commit [0-9a-f]{40} in us-east-1\nTry: Build it: npm run image:build -- --commit [0-9a-f]{40}/,
    );
    assert.deepEqual(await engine.listStacks(), [], "no stack created, no config written");
  });

  it("preview down of a preview that does not exist says so (exit 2) and touches nothing", async () => {
    const engine = new MemoryEngine();
    assert.equal((await runCli(repo.dir, ["deploy", "testing"], { engine })).code, 0);
    const before = await engine.listStacks();
    const run = await runCli(repo.dir, ["preview", "down", "abcdef1", "--yes"], { engine });
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      /^Error: there is no preview 'preview-abcdef1' \(for abcdef1\): nothing was destroyed/,
    );
    assert.match(run.stderr, /flightdeck preview list/);
    assert.doesNotMatch(run.stderr, /flightdeck deploy/, "no advice to deploy an environment");
    assert.deepEqual(await engine.listStacks(), before);
  });

  it("promote from an environment that never deployed is refused by the guard (exit 3), nothing changed", async () => {
    const engine = new MemoryEngine();
    const run = await runCli(repo.dir, ["promote", "testing", "staging"], { engine });
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /testing has never been updated, so there is nothing to promote to staging/);
    assert.match(run.stderr, /flightdeck deploy testing --commit <ref>/);
    assert.deepEqual(await engine.listStacks(), []);
  });

  it("Ctrl-C at a confirmation is an interrupt (exit 130), Esc a plain cancel (exit 2); nothing changes", async () => {
    const engine = new MemoryEngine();
    const tty = { PATH: process.env.PATH, HOME: process.env.HOME, TERM: "xterm" };
    for (const [key, code, message] of [
      ["\u0003", 130, /interrupted at the confirmation: nothing was changed/],
      ["\u001b", 2, /cancelled: nothing was changed/],
    ] as const) {
      let typed: Promise<void> = Promise.resolve();
      const run = await runCli(repo.dir, ["preview", "down", "abcdef1"], {
        engine,
        env: tty,
        tty: true,
        onStart: (io) => {
          typed = (async () => {
            const end = Date.now() + 10_000;
            while (!/Destroy the preview abcdef1\?/.test(io.stdout.plain())) {
              if (Date.now() > end) assert.fail(`no prompt:\n${io.stdout.plain()}`);
              await new Promise((r) => setTimeout(r, 20));
            }
            io.stdin.type(key);
          })();
        },
      });
      await typed;
      assert.equal(run.code, code, run.stderr);
      assert.match(run.stderr, message);
    }
    assert.deepEqual(await engine.listStacks(), []);
  });

  it("a secret in the environment never reaches plain lines, JSON lines, stderr or the logs", async () => {
    const secret = 'pa55"phrase\\with-quotes';
    const token = "tok-0123456789abcdef";
    const env = { ...CI, PULUMI_CONFIG_PASSPHRASE: secret, PULUMI_ACCESS_TOKEN: token };
    const engine = new MemoryEngine({
      fail: (stack, kind) =>
        stack === "testing" && kind === "update" ? `provider said ${token} / ${secret}` : undefined,
    });
    const dir = projectRepo().dir;
    for (const json of [false, true]) {
      const run = await runCli(dir, ["deploy", "testing", ...(json ? ["--json"] : [])], { engine, env });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stdout, /provider said \[secret\]/);
      for (const text of [run.stdout, run.stderr]) {
        assert.ok(!text.includes(token), `token printed:\n${text}`);
        assert.ok(!text.includes("pa55"), `passphrase printed:\n${text}`);
      }
      if (json) for (const line of run.stdout.trim().split("\n")) JSON.parse(line);
    }
    const logs = join(dir, ".flightdeck", "logs");
    const files = readdirSync(logs);
    assert.ok(files.length >= 2);
    for (const file of files) {
      const text = readFileSync(join(logs, file), "utf8");
      assert.match(text, /provider said \[secret\]/);
      assert.ok(!text.includes(token) && !text.includes("pa55"), `secret in ${file}`);
      for (const line of text.trim().split("\n")) JSON.parse(line);
    }
  });

  it("the redactor replaces secrets also as they appear inside JSON text", () => {
    const redact = createRedactor({ MY_TOKEN: 'a"b\\c-123', HOME: "/root", SHORT_KEY: "abc" });
    assert.equal(redact('x a"b\\c-123 y'), "x [secret] y");
    const event = {
      type: "step" as const,
      message: 'got a"b\\c-123 and abc',
      timestamp: "2026-11-21T00:00:00.000Z",
      operation: "deploy" as const,
    };
    assert.deepEqual(redactEvent(event, redact), { ...event, message: "got [secret] and abc" });
    assert.equal(redactEvent(event, createRedactor({})), event, "no secrets: the same object");
  });
});

/**
 * Input that cannot hurt (issue 12): hostile arguments, directories and
 * configs through the real bin (`node bin/flightdeck`, compiled), with no
 * Pulumi CLI to be found (an empty FLIGHTDECK_HOME, FLIGHTDECK_OFFLINE=1, a
 * PATH holding only git). Every case ends with a clear message that names the
 * value and says what is accepted, its exit code, no stack trace, no raw
 * control character, and nothing changed: the project's files, its state
 * directories and git (status clean, HEAD and refs the same).
 *
 * Below, in-process: what needs a terminal (the plan's width, Ctrl-C at the
 * dashboard) or a stand-in engine (its notices).
 */
import assert from "node:assert/strict";
import { type SpawnSyncReturns, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryEngine } from "../../automation/engine/memory.js";
import { ALICE, projectRepo, type TempRepo } from "../automation/helpers.js";
import { BIN, ensureBuilt, ROOT } from "./build.js";
import { Capture, FakeStdin, runCli, TTY } from "./harness.js";

const ESC = "\u001b";
const HEX40 = "0123456789abcdef0123456789abcdef01234567";
const HUGE = "x".repeat(5000);

/** A PATH with git on it and nothing else (no `pulumi`). */
function gitOnlyPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "flightdeck-gitpath-"));
  const found = spawnSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).stdout.trim();
  assert.ok(found, "git is needed for these tests");
  symlinkSync(found, join(dir, "git"));
  return dir;
}

interface Sandbox {
  home: string;
  flightdeckHome: string;
  backend: string;
  env: Record<string, string>;
}

function sandbox(): Sandbox {
  const home = mkdtempSync(join(tmpdir(), "flightdeck-home-"));
  const flightdeckHome = mkdtempSync(join(tmpdir(), "flightdeck-noengine-"));
  const backend = mkdtempSync(join(tmpdir(), "flightdeck-state-"));
  return {
    home,
    flightdeckHome,
    backend,
    env: {
      HOME: home,
      CI: "true",
      PATH: gitOnlyPath(),
      FLIGHTDECK_HOME: flightdeckHome,
      FLIGHTDECK_OFFLINE: "1",
      PULUMI_BACKEND_URL: `file://${backend}`,
      GIT_CONFIG_NOSYSTEM: "1",
    },
  };
}

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function ran(result: SpawnSyncReturns<string>): Ran {
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** Every file under `dir` (but `.git`) with a hash of its content. */
function files(dir: string, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === ".git") continue;
    const path = join(dir, entry.name);
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) Object.assign(out, files(path, rel), { [`${rel}/`]: "dir" });
    else out[rel] = createHash("sha256").update(readFileSync(path)).digest("hex");
  }
  return out;
}

function git(dir: string, ...args: string[]): string {
  const r = spawnSync("git", args, { cwd: dir, encoding: "utf8" });
  return `${r.status}:${r.stdout.trim()}`;
}

/** What must stay the same: the project's files, the state directories, git's view. */
function snapshot(project: string, box: Sandbox) {
  const isRepo = existsSync(join(project, ".git"));
  return {
    project: files(project),
    home: files(box.home),
    flightdeckHome: files(box.flightdeckHome),
    backend: files(box.backend),
    git: isRepo
      ? {
          status: git(project, "status", "--porcelain", "--ignored"),
          head: git(project, "rev-parse", "HEAD"),
          refs: git(project, "for-each-ref"),
          stash: git(project, "stash", "list"),
        }
      : "no repository",
  };
}

interface Case {
  name: string;
  args: string[];
  /** The project directory (default: the clean temp repository). */
  cwd?: () => string;
  env?: Record<string, string>;
  code: number;
  /** The message: what it must say (the value named, what is accepted). */
  says: RegExp[];
  /** What it must not say. */
  not?: RegExp[];
  /** Longest stderr allowed (long arguments are echoed cut short). */
  maxStderr?: number;
}

/** A project repository whose `Pulumi.staging.yaml` is `text`, committed (so the tree is clean). */
function repoWithStaging(text: string): string {
  const repo = projectRepo();
  repo.write("Pulumi.staging.yaml", text);
  repo.git("add", "-A");
  repo.git("commit", "--quiet", "-m", "staging config");
  return repo.dir;
}

/** The project's files in a directory that is not a git repository. */
function notARepository(): string {
  const dir = mkdtempSync(join(tmpdir(), "flightdeck-nogit-"));
  for (const file of readdirSync(ROOT).filter((f) => /^Pulumi(\.[a-z]+)?\.yaml$/.test(f))) {
    copyFileSync(join(ROOT, file), join(dir, file));
  }
  return dir;
}

/** Every message's contract: no stack frame, no raw control character (newlines aside). */
function assertHarmless(name: string, result: Ran): void {
  for (const [stream, text] of [
    ["stderr", result.stderr],
    ["stdout", result.stdout],
  ] as const) {
    assert.doesNotMatch(
      text,
      /\n\s+at .+\(|\n\s+at .+:\d+:\d+/,
      `${name}: a stack frame on ${stream}:\n${text}`,
    );
    assert.doesNotMatch(text, /hit a bug/, `${name}: reported as a bug:\n${text}`);
    // eslint-disable-next-line no-control-regex -- no control character may reach the terminal
    const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.exec(text);
    assert.equal(raw, null, `${name}: a raw control character ${JSON.stringify(raw?.[0])} on ${stream}`);
  }
}

describe("cli: hostile input through the real bin (issue 12)", function () {
  this.timeout(600_000);
  let box: Sandbox;
  let repo: TempRepo;
  let head: string;

  function flightdeck(args: string[], cwd: string, env: Record<string, string> = {}): Ran {
    return ran(
      spawnSync(process.execPath, [BIN, ...args], {
        cwd,
        env: { ...box.env, ...env },
        encoding: "utf8",
        timeout: 120_000,
      }),
    );
  }

  before(function () {
    this.timeout(600_000);
    ensureBuilt();
    box = sandbox();
    repo = projectRepo();
    head = repo.commit(ALICE, "a change");
  });

  const cases: Case[] = [
    // Names: environments, commands, flags.
    {
      name: "an unknown environment",
      args: ["deploy", "nowhere"],
      code: 2,
      says: [/unknown environment 'nowhere'/, /Known environments: previews, production, staging, testing\./],
    },
    {
      name: "an unknown stack to plan offline",
      args: ["plan", "nowhere", "--offline"],
      code: 2,
      says: [/no stack 'nowhere' to plan/, /Plan one of the stacks with a config file: /],
    },
    {
      name: "a preview stack given as an environment",
      args: ["deploy", "preview-abcdef1"],
      code: 2,
      says: [/'preview-abcdef1' is a preview stack, not an environment/, /flightdeck preview up --commit/],
    },
    {
      name: "an unknown command",
      args: ["deplyo", "staging"],
      code: 2,
      says: [/unknown command 'deplyo'/, /Did you mean deploy\?/],
    },
    {
      name: "an unknown flag",
      args: ["reap", "--dryrun"],
      code: 2,
      says: [/unknown option '--dryrun'/, /Did you mean --dry-run\?/],
    },
    {
      name: "a group without its sub-command",
      args: ["preview"],
      code: 2,
      says: [
        /'flightdeck preview' needs a sub-command/,
        /preview up \[--branch B\], preview down <ref>, preview list, preview sleep <ref>, preview wake <ref>/,
      ],
    },
    {
      name: "promote to itself",
      args: ["promote", "staging", "staging"],
      code: 2,
      says: [/cannot promote staging to itself/, /like staging production/],
    },
    {
      name: "a production deploy without --yes (no terminal)",
      args: ["deploy", "production"],
      code: 2,
      says: [/needs confirmation, and flightdeck never prompts without a terminal/, /Add --yes/],
    },
    // Numbers.
    {
      name: "--limit 0",
      args: ["history", "staging", "--limit", "0"],
      code: 2,
      says: [/'0' is invalid/, /whole number from 1 to 1000/],
    },
    {
      name: "--limit abc",
      args: ["history", "staging", "--limit", "abc"],
      code: 2,
      says: [/'abc' is invalid/, /whole number from 1 to 1000/],
    },
    {
      name: "--concurrency 1e3",
      args: ["reap", "--dry-run", "--concurrency", "1e3"],
      code: 2,
      says: [/'1e3' is invalid/, /whole number from 1 to 64/],
    },
    // Durations.
    {
      name: "--ttl 1e400d",
      args: ["preview", "up", "--ttl", "1e400d"],
      code: 2,
      says: [/'1e400d' is invalid/, /a duration like 30m, 24h or 7d/],
    },
    {
      name: "--ttl -1h",
      args: ["preview", "up", "--ttl", "-1h"],
      code: 2,
      says: [/'-1h'/, /a duration like 30m, 24h or 7d|--ttl <duration>/],
    },
    {
      name: "--ttl 0h",
      args: ["preview", "up", "--ttl", "0h"],
      code: 2,
      says: [/'0h' is invalid/, /a duration like 30m, 24h or 7d/],
    },
    {
      name: "--ttl 99999999d (past the longest duration)",
      args: ["preview", "up", "--ttl", "99999999d"],
      code: 2,
      says: [/--ttl '99999999d' is too long/, /at most 3650d/],
    },
    {
      name: "--ttl 45d (past the previews config's maxTtl)",
      args: ["preview", "up", "--ttl", "45d"],
      code: 2,
      says: [/--ttl '45d' is longer than the longest preview TTL, 30d/, /flightdeck:preview\.maxTtl/],
    },
    {
      name: "--older-than 99999999d",
      args: ["reap", "--dry-run", "--older-than", "99999999d"],
      code: 2,
      says: [/--older-than '99999999d' is too long/, /from 1m to 3650d/],
    },
    // Refs.
    {
      name: "a ref that does not exist",
      args: ["deploy", "staging", "--commit", "no-such-ref"],
      code: 2,
      says: [/'no-such-ref' is not a commit, branch or tag in this repository/, /git fetch --all --tags/],
    },
    {
      name: "plan --offline with a 40-hex SHA not in the repository",
      args: ["plan", "staging", "--offline", "--commit", HEX40],
      code: 2,
      says: [new RegExp(`'${HEX40}' is not a commit, branch or tag in this repository`)],
      not: [/Plan of staging/],
    },
    {
      name: "plan preview --offline with a 40-hex SHA not in the repository",
      args: ["plan", "preview", "--offline", "--commit", HEX40],
      code: 2,
      says: [new RegExp(`'${HEX40}' is not a commit, branch or tag`)],
    },
    {
      name: "deploy a 40-hex SHA not in the repository",
      args: ["deploy", "staging", "--commit", HEX40],
      code: 2,
      says: [new RegExp(`'${HEX40}' is not a commit, branch or tag`)],
    },
    {
      name: "preview up of a 40-hex SHA not in the repository",
      args: ["preview", "up", "--commit", HEX40.toUpperCase()],
      code: 2,
      says: [new RegExp(`'${HEX40.toUpperCase()}' is not a commit, branch or tag`)],
    },
    {
      name: "a ref that looks like an option",
      args: ["deploy", "staging", "--commit=--upload-pack=touch pwned"],
      code: 2,
      says: [/'--upload-pack=touch pwned' is invalid/, /must be a commit SHA, short SHA, branch or tag/],
    },
    {
      name: "a range instead of a ref",
      args: ["deploy", "staging", "--commit", "HEAD~1..HEAD"],
      code: 2,
      says: [/'HEAD~1\.\.HEAD' is not a commit, branch or tag/],
    },
    // Terminal escapes: shown as text, never obeyed.
    {
      name: "an escape sequence in a ref",
      args: ["deploy", "staging", "--commit", `ma${ESC}[31min${ESC}]0;pwned\u0007`],
      code: 2,
      says: [/'ma\\u001b\[31min\\u001b\]0;pwned\\u0007' is invalid/, /no spaces or control characters/],
    },
    {
      name: "an escape sequence in an environment name",
      args: ["deploy", `stag${ESC}[2Jing`],
      code: 2,
      says: [/'stag\\u001b\[2Jing' is invalid/, /must be a stack name/],
    },
    {
      name: "a C1 control and a bidi override in a ref",
      args: ["plan", "staging", "--offline", "--commit", "main\u009b31m\u202egnp.exe"],
      code: 2,
      says: [/'main\\u009b31m\\u202egnp\.exe' is invalid/],
    },
    {
      name: "a bidi override alone in a ref (git would take it)",
      args: ["deploy", "staging", "--commit", "fix\u202etxt.exe"],
      code: 2,
      says: [/'fix\\u202etxt\.exe' is not a commit, branch or tag/],
    },
    {
      name: "an escape sequence in --cwd",
      args: ["status", "--cwd", `/nowhere${ESC}[2J`],
      code: 2,
      says: [/'\/nowhere\\u001b\[2J' is invalid/, /must be the path of the project directory/],
    },
    {
      name: "an escape sequence in --actor",
      args: ["deploy", "staging", "--actor", `eve${ESC}[8m@example.com`],
      code: 2,
      says: [/'eve\\u001b\[8m@example\.com' is invalid/, /like an e-mail address/],
    },
    {
      name: "an escape sequence with --json",
      args: ["deploy", `stag${ESC}[2Jing`, "--json"],
      code: 2,
      says: [/is invalid/],
    },
    // Huge arguments: echoed cut short, once.
    {
      name: "a huge ref",
      args: ["deploy", "staging", "--commit", HUGE],
      code: 2,
      says: [/'x{80}…' is invalid/, /at most 255 characters/],
      maxStderr: 600,
    },
    {
      name: "a huge environment name",
      args: ["plan", "a".repeat(300)],
      code: 2,
      says: [/'a{80}…' is invalid/, /at most 100 characters/],
      maxStderr: 600,
    },
    {
      name: "a long environment name that is allowed but unknown",
      args: ["deploy", "e".repeat(99)],
      code: 2,
      says: [/unknown environment 'e{80}…': there is no Pulumi\.e{80}…/],
      maxStderr: 600,
    },
    {
      name: "a huge --cwd",
      args: ["status", "--cwd", `/${HUGE}`],
      code: 2,
      says: [/the project directory \/x{79}… does not exist/],
      maxStderr: 600,
    },
    {
      name: "a huge unknown flag",
      args: ["status", `--${HUGE}`],
      code: 2,
      says: [/unknown option '--x{78}…'/],
      maxStderr: 600,
    },
    // Directories.
    {
      name: "an empty --cwd",
      args: ["status", "--cwd", ""],
      code: 2,
      says: [
        /option '--cwd <dir>' argument '' is invalid/,
        /not empty; for the current directory, leave --cwd out/,
      ],
    },
    {
      name: "a --cwd that does not exist",
      args: ["deploy", "staging", "--cwd", "/no/such/dir"],
      code: 2,
      says: [/the project directory \/no\/such\/dir does not exist/, /--cwd <dir>/],
    },
    {
      name: "a --cwd that is a file",
      args: ["status", "--cwd", "Pulumi.yaml"],
      code: 2,
      says: [/Pulumi\.yaml does not exist or is not a directory/],
    },
    {
      name: "a project that is not a git repository (deploy, HEAD by default)",
      args: ["deploy", "staging"],
      cwd: notARepository,
      code: 2,
      says: [/is not a git repository/, /git clone/],
      not: [/'HEAD' is not a commit/],
    },
    {
      name: "a project that is not a git repository (plan --commit HEAD)",
      args: ["plan", "staging", "--offline", "--commit", "HEAD"],
      cwd: notARepository,
      code: 2,
      says: [/is not a git repository/, /--cwd <dir>/],
      not: [/'HEAD' is not a commit/],
    },
    {
      name: "a project that is not a git repository (preview up)",
      args: ["preview", "up"],
      cwd: notARepository,
      code: 2,
      says: [/is not a git repository/],
      not: [/'HEAD' is not a commit/],
    },
    // Configs.
    {
      name: "a config that is not YAML",
      args: ["deploy", "staging"],
      cwd: () => repoWithStaging("config:\n\taws:region: x\n"),
      code: 2,
      says: [/Pulumi\.staging\.yaml: is not valid YAML: Tabs are not allowed/, /Fix the problem above/],
    },
    {
      name: "a config key given twice",
      args: ["plan", "staging", "--offline"],
      cwd: () => repoWithStaging("config:\n  aws:region: us-east-1\n  aws:region: us-east-2\n"),
      code: 2,
      says: [/aws:region/, /appears twice in one mapping|Map keys must be unique/],
    },
    {
      name: "a config value that is an object where text is expected",
      args: ["deploy", "staging"],
      cwd: () =>
        repoWithStaging(
          readFileSync(join(ROOT, "Pulumi.staging.yaml"), "utf8").replace(
            /aws:region: .*/,
            "aws:region:\n    nested: us-east-1",
          ),
        ),
      code: 2,
      says: [/Pulumi\.staging\.yaml is not a valid flightdeck configuration/, /aws:region: /],
    },
    {
      name: "a secure: value where a plain one is expected",
      args: ["deploy", "staging"],
      cwd: () =>
        repoWithStaging(
          readFileSync(join(ROOT, "Pulumi.staging.yaml"), "utf8").replace(
            /aws:region: .*/,
            "aws:region:\n    secure: v1:AAAABBBBCCCC",
          ),
        ),
      code: 2,
      says: [/Pulumi\.staging\.yaml is not a valid flightdeck configuration/, /aws:region: /],
      not: [/AAAABBBBCCCC/],
    },
    {
      name: "a config with escape sequences in a key and a value",
      args: ["deploy", "staging"],
      cwd: () =>
        repoWithStaging(
          `${readFileSync(join(ROOT, "Pulumi.staging.yaml"), "utf8").replace(
            /aws:region: .*/,
            'aws:region: "us-east-1\\e[2J\\e]0;pwned\\a"',
          )}  "flightdeck:typ\\e[2Jo": 1\n`,
        ),
      code: 2,
      says: [/aws:region: must be an AWS region like us-east-1/, /flightdeck:typ\\u001b\[2Jo/],
    },
  ];

  for (const c of cases) {
    it(`${c.name}: exit ${c.code}, a clear message, nothing changed`, () => {
      const cwd = c.cwd ? c.cwd() : repo.dir;
      const before = snapshot(cwd, box);
      const result = flightdeck(c.args, cwd, c.env);
      assert.equal(result.code, c.code, `${c.name}: exit ${result.code}\n${result.stderr}`);
      for (const pattern of c.says) assert.match(result.stderr, pattern, c.name);
      for (const pattern of c.not ?? []) assert.doesNotMatch(result.stderr + result.stdout, pattern, c.name);
      assert.match(result.stderr, /^Error: /, `${c.name}: one error message`);
      assertHarmless(c.name, result);
      if (c.maxStderr !== undefined) {
        assert.ok(result.stderr.length <= c.maxStderr, `${c.name}: ${result.stderr.length} characters`);
      }
      if (c.args.includes("--json")) {
        const doc = JSON.parse(result.stdout) as { ok: boolean; error: { exitCode: number } };
        assert.deepEqual([doc.ok, doc.error.exitCode], [false, c.code]);
      }
      assert.deepEqual(snapshot(cwd, box), before, `${c.name}: something changed`);
    });
  }

  it("plan --offline of a commit that is in the repository still plans it (exit 0)", () => {
    const result = flightdeck(
      ["plan", "staging", "--offline", "--commit", head.slice(0, 10), "--json"],
      repo.dir,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { commit: string }).commit, head);
  });

  it("secrets kept in plain config are warned about once (Warning: lines; a JSON line with --json)", () => {
    const dir = repoWithStaging(
      `${readFileSync(join(ROOT, "Pulumi.staging.yaml"), "utf8")}  flightdeck:tags:\n    apiToken: plain-text-token-123\n`,
    );
    const before = snapshot(dir, box);
    const text = flightdeck(["plan", "staging", "--offline"], dir);
    assert.equal(text.code, 0, text.stderr);
    const warnings = text.stderr.split("\n").filter((l) => l.startsWith("Warning: "));
    assert.equal(warnings.length, 1, text.stderr);
    assert.match(warnings[0] ?? "", /flightdeck:tags\.apiToken: looks like a secret/);
    assert.ok(!text.stderr.includes("plain-text-token-123"), "the value is never shown");
    const json = flightdeck(["plan", "staging", "--offline", "--json"], dir);
    assert.equal(json.code, 0, json.stderr);
    JSON.parse(json.stdout);
    const lines = json.stderr
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; message: string });
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.type, "warning");
    assert.match(lines[0]?.message ?? "", /apiToken/);
    assertHarmless("plain secret", text);
    assert.deepEqual(snapshot(dir, box), before);
  });

  it("a weak passphrase is warned about once, before anything else is said", () => {
    const result = flightdeck(["status"], repo.dir, { PULUMI_CONFIG_PASSPHRASE: "abc" });
    assert.equal(result.code, 2, result.stderr);
    const warnings = result.stderr.split("\n").filter((l) => l.startsWith("Warning: "));
    assert.equal(warnings.length, 1, result.stderr);
    assert.match(warnings[0] ?? "", /PULUMI_CONFIG_PASSPHRASE is weak: it is shorter than 8 characters/);
    assert.match(result.stderr, /^Warning: .*\nError: /);
  });

  for (const [signal, json] of [
    ["SIGTERM", false],
    ["SIGINT", true],
  ] as const) {
    it(`${signal} during plan exits 130 saying what was interrupted${json ? " (--json: an error document)" : ""}`, async () => {
      const before = snapshot(repo.dir, box);
      const signalLog = join(mkdtempSync(join(tmpdir(), "fd-signals-")), "log");
      const child = spawn(
        process.execPath,
        [BIN, "plan", "staging", "--offline", ...(json ? ["--json"] : [])],
        {
          cwd: repo.dir,
          env: {
            ...box.env,
            NODE_OPTIONS: `--import=${join(ROOT, "test/cli/fixtures/record-signal-handlers.mjs")}`,
            FLIGHTDECK_SIGNAL_LOG: signalLog,
          },
        },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const ended = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
      // Signal once the run's own handler is in place: before that, the default action would
      // kill the process, and a fixed delay raced a fast machine's whole plan (CI saw exit 0).
      await handlerInstalled(signalLog, signal);
      child.kill(signal);
      const code = await ended;
      assert.equal(code, 130, stderr);
      assert.match(stderr, /^Interrupted: flightdeck plan staging stopped before changing anything\.\n$/);
      if (json) {
        const doc = JSON.parse(stdout) as { ok: boolean; error: { name: string; exitCode: number } };
        assert.deepEqual([doc.ok, doc.error.name, doc.error.exitCode], [false, "Interrupted", 130]);
      } else assert.equal(stdout, "");
      assert.deepEqual(snapshot(repo.dir, box), before);
    });
  }
});

/**
 * Waits until the process has added a listener for `signal` (reported through
 * the preload fixtures/record-signal-handlers.mjs writes to `log`).
 */
async function handlerInstalled(log: string, signal: "SIGINT" | "SIGTERM"): Promise<void> {
  for (let waited = 0; waited < 60_000; waited += 5) {
    if (existsSync(log) && readFileSync(log, "utf8").split("\n").includes(signal)) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`the run never listened for ${signal}`);
}

describe("cli: hostile input at a terminal, in-process", function () {
  this.timeout(120_000);
  let repo: TempRepo;

  before(() => {
    repo = projectRepo();
  });

  it("plan text fits an 80-column terminal; piped, its lines are whole", async () => {
    const narrow = new Capture(true);
    narrow.columns = 80;
    const run = await runCli(repo.dir, ["plan", "staging", "--offline"], {
      env: TTY,
      tty: true,
      deps: { stdout: narrow as unknown as NodeJS.WriteStream },
    });
    assert.ok(run.code === 0 || run.code === 1, run.stderr);
    const lines = narrow.plain().split("\n");
    const widest = Math.max(...lines.map((l) => l.length));
    assert.ok(widest <= 80, `a ${widest}-character line at 80 columns:\n${lines.find((l) => l.length > 80)}`);
    assert.match(narrow.plain(), /^Plan of staging/);
    assert.match(narrow.plain(), /staging-fleet-app-asg/);
    assert.match(narrow.plain(), /\nEstimated cost: /);

    const piped = await runCli(repo.dir, ["plan", "staging", "--offline"]);
    assert.ok(Math.max(...piped.stdout.split("\n").map((l) => l.length)) > 80, "piped: full width");
  });

  it("Ctrl-C at the idle dashboard exits 130 saying so; q stays a clean quit (0)", async () => {
    for (const [key, code] of [
      ["\u0003", 130],
      ["q", 0],
    ] as const) {
      const stdin = new FakeStdin();
      let typed: Promise<void> = Promise.resolve();
      const run = await runCli(repo.dir, [], {
        env: TTY,
        tty: true,
        stdin,
        engine: new MemoryEngine(),
        deps: { planOffline: async () => Promise.reject(new Error("no costs here")) },
        onStart: (io) => {
          typed = (async () => {
            const end = Date.now() + 10_000;
            while (!/flightdeck · refreshed/.test(io.stdout.plain())) {
              if (Date.now() > end) assert.fail(`no dashboard:\n${io.stdout.plain()}`);
              await new Promise((r) => setTimeout(r, 20));
            }
            io.stdin.type(key);
          })();
        },
      });
      await typed;
      assert.equal(run.code, code, `${JSON.stringify(key)}: ${run.stderr}`);
      if (code === 130)
        assert.match(run.stderr, /Interrupted: left the dashboard; no operation was running\./);
      else assert.equal(run.stderr, "");
    }
  });

  it("the engine's notices are printed once each, like warnings", async () => {
    const engine = new MemoryEngine();
    for (const json of [false, true]) {
      const run = await runCli(repo.dir, ["status", ...(json ? ["--json"] : [])], {
        deps: {
          createEngine: async (_dir, _env, options) => {
            options?.onNotice?.("Using pulumi 3.1.0 on PATH; flightdeck pins 3.248.0.");
            options?.onNotice?.("Using pulumi 3.1.0 on PATH; flightdeck pins 3.248.0.");
            options?.onNotice?.(`Installed the Pulumi plugin aws ${ESC}[2J7.48.0.`);
            return engine;
          },
        },
      });
      assert.equal(run.code, 0, run.stderr);
      if (json) {
        const lines = run.stderr
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as { type: string; message: string });
        assert.deepEqual(
          lines.map((l) => l.type),
          ["notice", "notice"],
        );
        JSON.parse(run.stdout);
      } else {
        assert.equal(
          run.stderr,
          "Notice: Using pulumi 3.1.0 on PATH; flightdeck pins 3.248.0.\nNotice: Installed the Pulumi plugin aws \\u001b[2J7.48.0.\n",
        );
      }
    }
  });

  it("a value's escape sequences stay text at a colour terminal, flightdeck's own colours stay colours", async () => {
    const stderr = new Capture(true);
    const run = await runCli(repo.dir, ["deploy", "staging", "--commit", `no${ESC}]0;pwned\u0007such`], {
      env: { ...TTY, CI: "true", FORCE_COLOR: "1" },
      deps: { stderr: stderr as unknown as NodeJS.WriteStream },
    });
    assert.equal(run.code, 2);
    assert.ok(stderr.text.includes(`${ESC}[31m`), "its own colour");
    assert.ok(stderr.text.includes("no\\u001b]0;pwned\\u0007such"), stderr.text);
    assert.ok(!stderr.text.includes(`${ESC}]0;`), "the title sequence is never written");
  });
});

/**
 * The end-to-end harness: the REAL CLI (`node bin/flightdeck`, compiled
 * `dist/`) spawned as a process, with `CI=true`, against the REAL Pulumi
 * engine (`npm run engine:install`) running the REAL program, in the sandbox:
 * the stand-in `aws`/`awsx` provider plugins (test/sandbox/providers/bin, first
 * on PATH) for the resources, and moto on 127.0.0.1 for the AWS APIs
 * flightdeck calls itself (the commit's image, the S3 state backend, KMS).
 * The stand-in fleet (fleet-double.ts, a test double) answers the rollout's
 * checks: instance refreshes, target health, the release machine and the
 * URL's `/healthz`. Nothing here reaches AWS.
 *
 * One `E2eFixture` is one "checkout and team": a temp folder holding
 *
 * - `origin.git/` and `repo/`: a bare `git clone --local` of this repository
 *   (the team's remote; what is pushed there is "merged to main") and a clone
 *   of it on `main` at this checkout's HEAD, with the current working tree's
 *   `dist/` copied in (built first when stale, as test/cli/build.ts does) and
 *   `node_modules` linked, so the CLI and the program that run are exactly what
 *   `npm run build` made. The working tree's `Pulumi.*.yaml` are committed and
 *   pushed first when they differ from HEAD's, so the stack configs match the
 *   build under test. Commits made here (by named authors) are what deploy,
 *   rollback and the guards look at;
 * - `state/`: the file backend (unless the fixture is given another URL);
 * - `pulumi-home/`: a PULUMI_HOME of its own (the stand-ins are ambient plugins, nothing is installed);
 * - `faults.json`: FLIGHTDECK_SANDBOX_FAULTS, read by the stand-ins on every call
 *   (its `fleet` key by the stand-in fleet: fleet-state.ts).
 *
 * Every invocation records its arguments, exit code and wall time; the suites
 * print that table at the end.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, relative } from "node:path";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import type { FlightdeckEvent, ResultEvent } from "../../automation/events.js";
import { ensureBuilt, ROOT } from "../cli/build.js";
import { realEngineOrSkip } from "../automation/real-engine.js";
import type { FleetDouble } from "./fleet-double.js";
import type { FleetFaults } from "./fleet-state.js";
import { cleanEnv, motoAwsEnv, seedImage } from "./moto.js";

const run = promisify(execFile);
type Env = Record<string, string | undefined>;

/** The stand-in plugins' folder: first on PATH, the engine runs them instead of the real `aws`/`awsx`. */
export const STAND_INS = join(ROOT, "test", "sandbox", "providers", "bin");
const STAND_IN_PLUGINS = ["pulumi-resource-aws", "pulumi-resource-awsx"];

/**
 * An experiment switch, not a test setting: with it set to 1, the fixture's
 * copy of `dist/automation/engine/pulumi-process.js` starts `pulumi` in the
 * CLI's own process group (`detached: false`), as the Automation API alone
 * would. The Ctrl-C cases must then FAIL: that proves they see what the
 * process group is for. The sources are never touched.
 */
export const SHARED_GROUP_EXPERIMENT = "FLIGHTDECK_E2E_PULUMI_IN_CLI_GROUP";

/**
 * Fake AWS credentials for moto. Not moto.ts's `testing`: that is also the
 * name of a stack, and flightdeck's redactor hides every secret's value
 * wherever it appears; real credentials never look like a stack name.
 */
const FAKE_AWS = {
  AWS_ACCESS_KEY_ID: "AKIAE2ESANDBOX000000",
  AWS_SECRET_ACCESS_KEY: "e2e-sandbox-secret-access-key-not-real",
  AWS_SESSION_TOKEN: "e2e-sandbox-session-token-not-real",
};

/**
 * Authors of the fixture's commits and the actors of its runs. alice and bob
 * are allowed deployers of production in the committed Pulumi.production.yaml;
 * dev and the platform team are not.
 */
export const PEOPLE = {
  alice: { name: "Alice Approver", email: "alice@example.com" },
  bob: { name: "Bob Builder", email: "bob@example.com" },
  dev: { name: "Dee Veloper", email: "dev@example.com" },
  platform: { name: "Platform Team", email: "platform@example.com" },
} as const;
export type Person = (typeof PEOPLE)[keyof typeof PEOPLE];

/** Who runs an invocation, as the CLI will record them, and the environment that makes it so. */
export interface ActorSetup {
  id: string;
  env: Env;
}

export const short = (sha: string): string => sha.slice(0, 7);

/** `text` escaped for a regular expression (matching exactly it). */
export const esc = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// ---------------------------------------------------------------------------
// What a suite needs before it starts

export interface Prerequisites {
  /** The folder of the `pulumi` the engine will use (flightdeck finds it itself; used here for `stack export`). */
  engineBin: string;
}

/**
 * The engine, the stand-ins and a current build, or skip (outside CI) / fail
 * (CI) saying which is missing. Builds `dist/` when it is older than the sources.
 */
export async function prerequisites(ctx: Mocha.Context): Promise<Prerequisites> {
  const engine = await realEngineOrSkip();
  if (!engine.available || !engine.binDir) {
    engine.skip(ctx);
    throw new Error("unreachable: skipped");
  }
  if (!existsSync(join(engine.binDir, "pulumi-language-nodejs"))) {
    unavailable(
      ctx,
      `no Node.js language host beside ${engine.binDir}/pulumi: run \`npm run engine:install\``,
    );
  }
  const missing = STAND_IN_PLUGINS.filter((p) => !existsSync(join(STAND_INS, p)));
  if (missing.length > 0)
    unavailable(ctx, `the stand-in plugins are missing: ${missing.join(", ")} in ${STAND_INS}`);
  ensureBuilt();
  return { engineBin: engine.binDir };
}

/** Skip (outside CI) or fail (CI) for want of something the sandbox needs. */
export function unavailable(ctx: Mocha.Context, reason: string): never {
  if (process.env.CI === "true") throw new Error(`in CI the end-to-end suite must run: ${reason}`);
  console.log(`      skipped: ${reason}`);
  ctx.skip();
}

// ---------------------------------------------------------------------------
// One CLI invocation

export interface CliRun {
  args: string[];
  /** The exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Everything the person saw, stdout then stderr (for messages and failures). */
export function shown(r: CliRun): string {
  return `${r.stdout}\n${r.stderr}`;
}

/** The JSON-lines events of an operation run with `--json`. */
export function eventsOf(r: CliRun): FlightdeckEvent[] {
  return r.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as FlightdeckEvent)
    .filter((e) => typeof e.type === "string");
}

/** The one `result` event of an operation run with `--json` (asserting there is exactly one, last). */
export function resultOf(r: CliRun): ResultEvent {
  const events = eventsOf(r);
  const results = events.filter((e): e is ResultEvent => e.type === "result");
  assert.equal(results.length, 1, `one result event expected:\n${describeRun(r)}`);
  assert.equal(events.at(-1)?.type, "result", "the result event is the last");
  return results[0] as ResultEvent;
}

/** A field of the result event as the pipeline reads it: `.ci/result-field.mjs <field>` over the JSON lines. */
export async function resultField(r: CliRun, field: string): Promise<string> {
  const child = spawn(process.execPath, [join(ROOT, ".ci", "result-field.mjs"), field], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stdin.end(r.stdout);
  const code = await new Promise<number | null>((resolveCode) => child.once("close", resolveCode));
  assert.equal(code, 0, `.ci/result-field.mjs ${field} failed`);
  return out.trim();
}

/** The one JSON document a query prints with `--json`. */
export function documentOf<T>(r: CliRun): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch (error) {
    assert.fail(`stdout is not one JSON document (${(error as Error).message}):\n${describeRun(r)}`);
  }
}

/** The invocation for an assertion message: arguments, exit, and the tail of what it printed. */
export function describeRun(r: CliRun, lines = 40): string {
  const tail = (text: string) => text.trimEnd().split("\n").slice(-lines).join("\n");
  return [
    `$ flightdeck ${r.args.join(" ")}`,
    `exit ${r.code ?? r.signal} after ${r.seconds.toFixed(1)} s`,
    `--- stdout (last ${lines} lines)`,
    tail(r.stdout),
    `--- stderr (last ${lines} lines)`,
    tail(r.stderr),
  ].join("\n");
}

/** Assert the exit code, printing the run when it is not. */
export function expectExit(r: CliRun, code: number): void {
  assert.equal(r.code, code, `expected exit ${code}:\n${describeRun(r)}`);
}

/** A CLI process still running: its output so far, a way to wait for a line, interrupt it, and its end. */
export class RunningCli {
  stdout = "";
  stderr = "";
  readonly started = performance.now();
  readonly done: Promise<CliRun>;

  constructor(
    readonly args: string[],
    readonly child: ChildProcess,
  ) {
    child.stdout?.setEncoding("utf8").on("data", (d: string) => (this.stdout += d));
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
    this.done = new Promise((resolveRun) => {
      child.once("close", (code, signal) =>
        resolveRun({
          args,
          code,
          signal,
          stdout: this.stdout,
          stderr: this.stderr,
          seconds: (performance.now() - this.started) / 1000,
        }),
      );
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the output once `pattern` appears; fails when the process ends first or time is up. */
  async waitFor(pattern: RegExp, timeoutMs = 300_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const text = `${this.stdout}\n${this.stderr}`;
      if (pattern.test(text)) return text;
      if (!this.running) break;
      await sleep(200);
    }
    const r = await Promise.race([this.done, sleep(1_000).then(() => undefined)]);
    assert.fail(
      `never saw ${pattern} (${this.running ? "still running" : "it ended"}):\n` +
        (r ? describeRun(r) : `${this.stdout}\n${this.stderr}`),
    );
  }

  /** What a terminal does on Ctrl-C: SIGINT to the whole foreground process group (spawned detached, it leads one). */
  interrupt(): void {
    process.kill(-this.pid, "SIGINT");
  }

  /** Kill it and every process under it (for clean-up after a failure). */
  kill(): void {
    if (this.pid > 0) killTree(this.pid);
  }
}

// ---------------------------------------------------------------------------
// The fixture

export interface FixtureOptions {
  /** moto's endpoint: the image lookup, and the backend/KMS when the URL says so. */
  motoEndpoint: string;
  engineBin: string;
  /** Default: a file backend in the fixture's `state/`. */
  backendUrl?: string;
  /** Default: a passphrase. `null`: none (a KMS secrets provider is named in the stack file instead). */
  passphrase?: string | null;
  /** The stand-in fleet the rollout's checks go to (it reads this fixture's faults file). */
  fleet?: FleetDouble;
  /** Extra environment of every invocation (undefined unsets). */
  env?: Env;
}

/** The faults of one fixture: the stand-in providers' (`fail`, `delay`) and the stand-in fleet's. */
export interface FixtureFaults {
  fail?: Record<string, string>;
  delay?: Record<string, number>;
  /** Changes made outside Pulumi, found by a refresh (providers/switches.ts). */
  drift?: Record<string, Record<string, unknown> | "deleted">;
  fleet?: Partial<FleetFaults>;
}

export class E2eFixture {
  readonly repo: string;
  readonly stateDir: string;
  readonly faultsFile: string;
  readonly backendUrl: string;
  /** Every invocation: arguments, exit, seconds. */
  readonly runs: { label: string; code: number | null; seconds: number }[] = [];
  private readonly live = new Set<RunningCli>();

  private constructor(
    readonly dir: string,
    private readonly options: FixtureOptions,
  ) {
    this.repo = join(dir, "repo");
    this.stateDir = join(dir, "state");
    this.faultsFile = join(dir, "faults.json");
    this.backendUrl = options.backendUrl ?? `file://${this.stateDir}`;
  }

  /**
   * A clone of HEAD with the current build in it, its own state and faults.
   * The clone keeps the repository's history (its authors are nobody of `PEOPLE`) on `main`.
   */
  static async create(options: FixtureOptions): Promise<E2eFixture> {
    const dir = await mkdtemp(join(tmpdir(), "flightdeck-e2e-"));
    const f = new E2eFixture(dir, options);
    await mkdir(f.stateDir);
    await mkdir(join(dir, "pulumi-home"));
    await f.setFaults({});
    if (options.fleet) options.fleet.faultsFile = f.faultsFile;
    // `main` at this checkout's HEAD, whatever it is on (CI may have a detached HEAD), pushed to the remote.
    const head = (await git(ROOT, ["rev-parse", "HEAD"])).trim();
    const origin = join(dir, "origin.git");
    await git(dir, ["clone", "--quiet", "--bare", "--local", ROOT, origin]);
    await git(dir, ["clone", "--quiet", "--no-checkout", origin, f.repo]);
    await git(f.repo, ["checkout", "--quiet", "-B", "main", head]);
    await git(f.repo, ["push", "--quiet", "--force", "origin", "main"]);
    // After the checkout, so the compiled program is newer than its sources (the engine refuses a stale build).
    await cp(join(ROOT, "dist"), join(f.repo, "dist"), { recursive: true });
    if (process.env[SHARED_GROUP_EXPERIMENT] === "1") await f.pulumiInCliGroup();
    await symlink(join(ROOT, "node_modules"), join(f.repo, "node_modules"), "junction");
    // A link is not the `node_modules/` folder .gitignore names; a real checkout has a folder. Keep the tree clean.
    await writeFile(join(f.repo, ".git", "info", "exclude"), "/node_modules\n", { flag: "a" });
    await git(f.repo, ["config", "user.name", PEOPLE.dev.name]);
    await git(f.repo, ["config", "user.email", PEOPLE.dev.email]);
    await git(f.repo, ["config", "commit.gpgsign", "false"]);
    await f.commitStackConfigsOfTheBuild();
    const status = await git(f.repo, ["status", "--porcelain"]);
    assert.equal(status, "", "the fixture's work tree is clean");
    return f;
  }

  /** The working tree's `Pulumi.*.yaml` (what the build under test reads), committed and pushed if they differ. */
  private async commitStackConfigsOfTheBuild(): Promise<void> {
    const files = readdirSync(ROOT).filter((n) => /^Pulumi\.[a-z]+\.yaml$/.test(n));
    for (const name of files) await cp(join(ROOT, name), join(this.repo, name));
    if ((await git(this.repo, ["status", "--porcelain", "--", ...files])).trim() === "") return;
    await this.commit(PEOPLE.platform, "The stack configs of the build under test", files);
  }

  /**
   * How `person` is the actor of a run. Where the committed production rules
   * name people with their Bitbucket accounts (`protection.people`), as
   * Bitbucket Pipelines reports them: the verified identity `bitbucket:{uuid}`
   * (`--actor` and `FLIGHTDECK_ACTOR` do not count there); else by
   * `FLIGHTDECK_ACTOR`, the person's e-mail.
   */
  actor(person: Person): ActorSetup {
    const uuid = this.bitbucketAccountOf(person.email);
    if (uuid) {
      return {
        id: `bitbucket:${uuid}`.toLowerCase(),
        env: {
          BITBUCKET_BUILD_NUMBER: "42",
          BITBUCKET_STEP_TRIGGERER_UUID: uuid,
          BITBUCKET_BRANCH: "main",
          FLIGHTDECK_ACTOR: undefined,
        },
      };
    }
    return { id: person.email, env: { FLIGHTDECK_ACTOR: person.email } };
  }

  private bitbucketAccountOf(email: string): string | undefined {
    const doc = parseYaml(readFileSync(join(this.repo, "Pulumi.production.yaml"), "utf8")) as {
      config?: Record<string, { people?: Record<string, { emails?: string[]; bitbucket?: string }> }>;
    };
    const people = doc.config?.["flightdeck:protection"]?.people ?? {};
    return Object.values(people).find((p) => p.emails?.includes(email))?.bitbucket;
  }

  /** The experiment of `SHARED_GROUP_EXPERIMENT`, on this fixture's copy of the build only. */
  private async pulumiInCliGroup(): Promise<void> {
    const file = join(this.repo, "dist", "automation", "engine", "pulumi-process.js");
    const text = readFileSync(file, "utf8");
    assert.match(text, /detached: true/, `${file} starts pulumi detached`);
    await writeFile(file, text.replace("detached: true", "detached: false"));
    console.log(`      EXPERIMENT (${SHARED_GROUP_EXPERIMENT}=1): pulumi runs in the CLI's process group`);
  }

  /** The environment of every invocation: a CI machine pointed at the sandbox. */
  env(extra: Env = {}): Record<string, string> {
    const passphrase =
      this.options.passphrase === undefined ? "e2e-sandbox-passphrase" : this.options.passphrase;
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        ([key]) => !/^(FLIGHTDECK_ACTOR$|BITBUCKET_|GITHUB_|FORCE_COLOR$|NO_COLOR$)/.test(key),
      ),
    );
    return cleanEnv(inherited, {
      ...motoAwsEnv(this.options.motoEndpoint),
      ...this.options.fleet?.env(),
      ...FAKE_AWS,
      PATH: `${STAND_INS}${delimiter}${process.env.PATH ?? ""}`,
      PULUMI_HOME: join(this.dir, "pulumi-home"),
      PULUMI_BACKEND_URL: this.backendUrl,
      PULUMI_CONFIG_PASSPHRASE: passphrase ?? undefined,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      FLIGHTDECK_SANDBOX_FAULTS: this.faultsFile,
      CI: "true",
      NO_COLOR: "1",
      ...this.actor(PEOPLE.alice).env,
      ...this.options.env,
      ...extra,
    });
  }

  /** Start `flightdeck <args> --cwd <repo>` from another folder, in a process group of its own. */
  start(args: string[], options: { env?: Env } = {}): RunningCli {
    const fullArgs = [...args, "--cwd", this.repo];
    const child = spawn(process.execPath, [join(this.repo, "bin", "flightdeck"), ...fullArgs], {
      cwd: this.dir,
      env: this.env(options.env),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const running = new RunningCli(args, child);
    this.live.add(running);
    void running.done.then((r) => {
      this.live.delete(running);
      this.runs.push({ label: args.join(" "), code: r.code, seconds: r.seconds });
    });
    return running;
  }

  /** Run `flightdeck <args>` to its end (killed, with everything under it, after `timeoutMs`). */
  async cli(args: string[], options: { env?: Env; timeoutMs?: number } = {}): Promise<CliRun> {
    const running = this.start(args, options);
    const timer = setTimeout(() => running.kill(), options.timeoutMs ?? 420_000);
    try {
      return await running.done;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The dashboard in a real terminal: tmux runs `flightdeck --cwd <repo>` with
   * this fixture's environment but no `CI` (a person at a terminal), 220×50.
   * Its exit code is written to `<dir>/dashboard-exit` when it ends.
   */
  async dashboard(): Promise<TmuxDashboard> {
    const exitFile = join(this.dir, "dashboard-exit");
    const script = join(this.dir, "dashboard.sh");
    const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
    await writeFile(
      script,
      [
        `${quote(process.execPath)} ${quote(join(this.repo, "bin", "flightdeck"))} --cwd ${quote(this.repo)}`,
        "code=$?",
        `echo "$code" > ${quote(exitFile)}`,
        'echo "dashboard closed with exit code $code"',
        "sleep 600",
        "",
      ].join("\n"),
    );
    const tmux = new TmuxDashboard(
      join(this.dir, "tmux.sock"),
      exitFile,
      this.env({ CI: undefined, TERM: "xterm-256color" }),
    );
    await tmux.start(this.dir, script);
    return tmux;
  }

  /**
   * Make a commit on main by `author` and push it (merged). Without `files`, it
   * adds a line to CHANGES.md; with them, it commits them as they are. Never
   * the program's sources: the build stays current.
   */
  async commit(author: Person, message: string, files?: string[]): Promise<string> {
    const paths = files ?? ["CHANGES.md"];
    if (!files) {
      const path = join(this.repo, "CHANGES.md");
      await writeFile(path, `${existsSync(path) ? readFileSync(path, "utf8") : ""}${message}\n`);
    }
    await git(this.repo, ["add", "--", ...paths]);
    await git(this.repo, ["commit", "--quiet", "-m", message], {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email,
    });
    await git(this.repo, ["push", "--quiet", "origin", "main"]);
    return (await git(this.repo, ["rev-parse", "HEAD"])).trim();
  }

  async sha(ref: string): Promise<string> {
    return (await git(this.repo, ["rev-parse", ref])).trim();
  }

  /** Register an image for `commit` in moto, as Packer would tag it; returns its id. */
  seedImage(commit: string): Promise<string> {
    return seedImage(this.options.motoEndpoint, commit);
  }

  async setFaults(faults: FixtureFaults): Promise<void> {
    await writeFile(this.faultsFile, JSON.stringify(faults));
  }

  /** The stack's state as the engine exports it (`pulumi stack export`, in the stack's work folder). */
  async exportStack(stack: string): Promise<StackExport> {
    const workDir = join(this.repo, ".flightdeck", "stacks", stack);
    const { stdout } = await run(
      join(this.options.engineBin, "pulumi"),
      ["stack", "export", "--stack", stack],
      {
        cwd: workDir,
        env: this.env(),
        maxBuffer: 64 * 1024 * 1024,
        timeout: 120_000,
      },
    );
    return JSON.parse(stdout) as StackExport;
  }

  /** Lock files left in the file backend (`.pulumi/locks/**.json`), relative to the state folder. */
  async lockFiles(): Promise<string[]> {
    const root = join(this.stateDir, ".pulumi", "locks");
    if (!existsSync(root)) return [];
    const found: string[] = [];
    const visit = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await visit(path);
        else found.push(relative(this.stateDir, path));
      }
    };
    await visit(root);
    return found;
  }

  /** The table of every invocation, for the suite's log. */
  timings(): string {
    const total = this.runs.reduce((sum, r) => sum + r.seconds, 0);
    const rows = this.runs.map(
      (r) => `        ${r.seconds.toFixed(1).padStart(6)} s  exit ${r.code}  ${r.label}`,
    );
    return [...rows, `        ${total.toFixed(1).padStart(6)} s  in ${this.runs.length} invocations`].join(
      "\n",
    );
  }

  /** Kill what still runs and remove the folder (kept with FLIGHTDECK_E2E_KEEP=1, to look at). */
  async close(): Promise<void> {
    for (const running of this.live) running.kill();
    if (process.env.FLIGHTDECK_E2E_KEEP === "1") {
      console.log(`      kept ${this.dir} (FLIGHTDECK_E2E_KEEP=1)`);
      return;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** tmux is here (CI installs it: .ci/run). */
export function hasTmux(): boolean {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A tmux server of its own (its own socket) with one session running the dashboard. */
export class TmuxDashboard {
  private readonly session = "flightdeck-e2e";

  constructor(
    private readonly socket: string,
    readonly exitFile: string,
    private readonly env: Record<string, string>,
  ) {}

  async start(cwd: string, script: string): Promise<void> {
    await run(
      "tmux",
      [
        "-S",
        this.socket,
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        this.session,
        "-x",
        "220",
        "-y",
        "50",
      ].concat(["-c", cwd, `sh '${script}'`]),
      { env: this.env, timeout: 30_000 },
    );
  }

  /** What the terminal shows now. */
  pane(): string {
    return execFileSync("tmux", ["-S", this.socket, "capture-pane", "-p", "-t", this.session], {
      encoding: "utf8",
      env: this.env,
    });
  }

  keys(...keys: string[]): void {
    execFileSync("tmux", ["-S", this.socket, "send-keys", "-t", this.session, ...keys], { env: this.env });
  }

  async waitFor(pattern: RegExp, timeoutMs = 180_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let text = "";
    while (Date.now() < deadline) {
      text = this.pane();
      if (pattern.test(text)) return text;
      await sleep(250);
    }
    assert.fail(`the terminal never showed ${pattern}:\n${text}`);
  }

  kill(): void {
    try {
      execFileSync("tmux", ["-S", this.socket, "kill-server"], { stdio: "ignore", env: this.env });
    } catch {
      // not running
    }
  }
}

export interface StackExport {
  version: number;
  deployment: {
    resources?: { urn: string; type: string; id?: string; outputs?: Record<string, unknown> }[];
    pending_operations?: unknown[];
  };
}

/** The ids of a stack's resources by name (from its exported state). */
export function idsByName(exported: StackExport): Map<string, string | undefined> {
  return new Map(
    (exported.deployment.resources ?? []).map((r) => [r.urn.split("::").pop() ?? r.urn, r.id] as const),
  );
}

async function git(cwd: string, args: string[], env: Env = {}): Promise<string> {
  const { stdout } = await run("git", args, { cwd, env: { ...process.env, ...env }, timeout: 120_000 });
  return stdout;
}

/** Every descendant of `pid` (read from /proc), deepest first. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const visit = (p: number) => {
    for (const c of children.get(p) ?? []) {
      visit(c);
      out.push(c);
    }
  };
  visit(pid);
  return out;
}

/** The parent of a process (from /proc), or undefined when it is gone. */
export function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** Processes whose working directory is in `dir` (from /proc): what a run left behind there. */
export function processesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) {
        found.push(`${entry} ${readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ").trim()}`);
      }
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** SIGKILL a process and everything under it (pulumi runs in groups of its own, so not by group). */
export function killTree(pid: number): void {
  for (const p of [...descendants(pid), pid]) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

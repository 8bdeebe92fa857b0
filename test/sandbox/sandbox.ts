/**
 * `npm run sandbox`: a simulated AWS on this machine for trying flightdeck
 * end to end without an AWS account. Nothing it does creates anything in AWS.
 *
 * It builds (or finds) the Pulumi engine (`npm run engine:install`), makes the
 * moto venv, starts moto on 127.0.0.1, makes the state bucket and a KMS key
 * (`alias/flightdeck-secrets`) in it, registers an image for HEAD (and every
 * `--commit <ref>`), starts the stand-in fleet (fleet-double.ts, a test double
 * for the release machine, instance refreshes, target health and `/healthz`),
 * and prints the environment that points flightdeck, the Pulumi CLI and the
 * AWS SDKs at them, with the stand-in `aws`/`awsx` provider plugins
 * (test/sandbox/providers/bin) and the engine first on PATH.
 *
 *   npm run sandbox                    foreground: runs until Ctrl-C / SIGTERM, then stops moto
 *   eval "$(npm run --silent sandbox -- --env)"
 *                                      prints only the environment; moto keeps running
 *   npm run sandbox -- --down          stops that background sandbox
 *
 * Options: `--commit <ref>` (repeatable), `--file-backend` (state in a folder
 * of the sandbox, kept across restarts, instead of moto's S3, which lives as
 * long as moto), `--dir <path>` (the sandbox folder; default
 * `<FLIGHTDECK_HOME or ~/.flightdeck>/sandbox`).
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs, promisify } from "node:util";
import { engineRoot, engineVersion } from "../../automation/engine/install.js";
import { type FleetDouble, fleetAnswers, fleetEnv, startFleetDouble } from "./fleet-double.js";
import {
  ensureMotoVenv,
  ensureStateAndKey,
  freePort,
  isAlive,
  isMotoProcess,
  type MotoServer,
  motoAnswers,
  motoAwsEnv,
  SANDBOX_REGION,
  sandboxHome,
  seedImage,
  startMoto,
  stopPid,
} from "./moto.js";

const run = promisify(execFile);
const here = fileURLToPath(new URL(".", import.meta.url));
const projectDir = resolve(here, "..", "..");
type Env = Record<string, string | undefined>;

/** The stand-in `aws`/`awsx` plugins, found by the engine on PATH (ambient plugins). */
export const PROVIDERS_BIN = join(here, "providers", "bin");
export const STATE_BUCKET = "flightdeck-state";
export const KMS_ALIAS = "alias/flightdeck-secrets";
export const SIMULATION =
  "flightdeck sandbox: a SIMULATION on 127.0.0.1 (moto); nothing here is created in AWS and no AWS account is used.";

export interface Options {
  mode: "foreground" | "env" | "down";
  commits: string[];
  fileBackend: boolean;
  dir?: string;
}

export class UsageError extends Error {}

export const USAGE = `usage: npm run sandbox [-- --env | --down] [--commit <ref>]... [--file-backend] [--dir <path>]

  (no flag)        bring the sandbox up in the foreground; Ctrl-C or SIGTERM stops it
  --env            print only the environment (eval it) and leave moto running
  --down           stop a sandbox started with --env
  --commit <ref>   also register an image for <ref> (HEAD always gets one); repeatable
  --file-backend   keep Pulumi state in <sandbox>/state instead of moto's S3
  --dir <path>     the sandbox folder (default <FLIGHTDECK_HOME or ~/.flightdeck>/sandbox)

${SIMULATION}`;

export function parseOptions(argv: string[]): Options | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        env: { type: "boolean" },
        down: { type: "boolean" },
        commit: { type: "string", multiple: true },
        "file-backend": { type: "boolean" },
        dir: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return "help";
  if (values.env && values.down) throw new UsageError("--env and --down cannot be used together");
  if (values.down && (values.commit || values["file-backend"])) {
    throw new UsageError("--down takes no --commit or --file-backend");
  }
  return {
    mode: values.down ? "down" : values.env ? "env" : "foreground",
    commits: values.commit ?? [],
    fileBackend: values["file-backend"] ?? false,
    ...(values.dir ? { dir: resolve(values.dir) } : {}),
  };
}

/** A value in single quotes for a POSIX shell. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface SandboxFacts {
  endpoint: string;
  motoPid: number;
  backendUrl: string;
  passphrase: string;
  engineBin: string;
  imagesFile: string;
  images: Record<string, string>;
  keyId: string;
  dir: string;
  /** The stand-in fleet, and the folder the stand-in provider records the fleet in. */
  fleetEndpoint: string;
  fleetDir: string;
}

/** The environment, as lines a POSIX shell can eval; comments say what it is. */
export function renderEnv(facts: SandboxFacts): string {
  const vars: [string, string][] = [
    ["PULUMI_BACKEND_URL", facts.backendUrl],
    ["PULUMI_CONFIG_PASSPHRASE", facts.passphrase],
    ...Object.entries(motoAwsEnv(facts.endpoint)).filter((e): e is [string, string] => e[1] !== undefined),
    ["FLIGHTDECK_SANDBOX", "1"],
    ["FLIGHTDECK_SANDBOX_IMAGES", facts.imagesFile],
    ...Object.entries(fleetEnv(facts.fleetEndpoint, facts.endpoint, facts.fleetDir)),
  ];
  const unset = Object.entries(motoAwsEnv(facts.endpoint))
    .filter(([, value]) => value === undefined)
    .map(([key]) => key);
  return [
    `# ${SIMULATION}`,
    `# moto ${facts.endpoint} (pid ${facts.motoPid}); sandbox folder ${facts.dir}`,
    `# stand-in fleet (a test double: release machines, instance refreshes, target health, /healthz) ${facts.fleetEndpoint}; its faults: the "fleet" key of ${join(facts.dir, "faults.json")}`,
    `# KMS key for stacks' secrets (in moto): awskms://${KMS_ALIAS}?region=${SANDBOX_REGION} (key ${facts.keyId})`,
    ...Object.entries(facts.images).map(([commit, ami]) => `# image of ${commit}: ${ami} (in moto)`),
    `export PATH=${shellQuote(`${PROVIDERS_BIN}:${facts.engineBin}`)}:"$PATH"`,
    ...vars.map(([key, value]) => `export ${key}=${shellQuote(value)}`),
    `unset ${unset.join(" ")}`,
    "",
  ].join("\n");
}

// ---------------------------------------------------------------------------
// The sandbox folder
// ---------------------------------------------------------------------------

interface SandboxState {
  mode: "foreground" | "background";
  /** The sandbox process (foreground) that owns moto. */
  ownerPid: number;
  motoPid: number;
  endpoint: string;
  /** The stand-in fleet: in the sandbox process (foreground) or a process of its own (background). */
  fleetPid: number;
  fleetEndpoint: string;
  keyId: string;
  startedAt: string;
}

const stateFile = (dir: string) => join(dir, "sandbox.json");

async function readState(dir: string): Promise<SandboxState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile(dir), "utf8")) as SandboxState;
  } catch {
    return undefined;
  }
}

/** The sandbox recorded in `dir`, if its moto still runs and answers; a stale record is removed. */
async function runningSandbox(dir: string): Promise<SandboxState | undefined> {
  const state = await readState(dir);
  if (!state) return undefined;
  if (isMotoProcess(state.motoPid) && (await motoAnswers(state.endpoint))) return state;
  await rm(stateFile(dir), { force: true });
  return undefined;
}

async function passphraseOf(dir: string): Promise<string> {
  const path = join(dir, "passphrase");
  if (existsSync(path)) return (await readFile(path, "utf8")).trim();
  const passphrase = `sandbox-${randomBytes(18).toString("base64url")}`;
  await writeFile(path, `${passphrase}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return passphrase;
}

// ---------------------------------------------------------------------------
// Bringing it up
// ---------------------------------------------------------------------------

const say = (line: string) => process.stderr.write(`${line}\n`);

/** `npm run engine:install`'s script (idempotent), its output on stderr; returns the engine's bin folder. */
async function ensureEngine(env: Env): Promise<string> {
  const script = join(projectDir, "automation", "engine", "build", "install.ts");
  const code = await new Promise<number | null>((resolveRun, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script], {
      cwd: projectDir,
      env,
      stdio: ["ignore", process.stderr, process.stderr],
    });
    child.once("error", reject);
    child.once("exit", resolveRun);
  });
  if (code !== 0)
    throw new Error("the Pulumi engine could not be built (`npm run engine:install` failed above)");
  return join(engineRoot(engineVersion(projectDir), env), "bin");
}

async function git(args: string[], cwd: string): Promise<string> {
  return (await run("git", args, { cwd })).stdout.trim();
}

/** HEAD (if this is a git checkout) and each `--commit`, as full SHAs; a bad ref is a usage error. */
async function commitsToSeed(refs: string[], cwd: string): Promise<{ commit: string; branch?: string }[]> {
  const out: { commit: string; branch?: string }[] = [];
  try {
    const head = await git(["rev-parse", "--verify", "HEAD^{commit}"], cwd);
    const branch = await git(["rev-parse", "--abbrev-ref", "HEAD"], cwd).catch(() => "HEAD");
    out.push({ commit: head, ...(branch !== "HEAD" ? { branch } : {}) });
  } catch {
    say(`sandbox: ${cwd} has no git HEAD; no image registered for it`);
  }
  for (const ref of refs) {
    try {
      const commit = await git(["rev-parse", "--verify", `${ref}^{commit}`], cwd);
      if (!out.some((c) => c.commit === commit)) out.push({ commit });
    } catch {
      throw new UsageError(`--commit ${ref}: not a commit in ${cwd}`);
    }
  }
  return out;
}

interface Up {
  facts: SandboxFacts;
  server?: MotoServer;
  fleet?: FleetDouble;
}

/** True when `pid` is a stand-in fleet started by a background sandbox (read from /proc where there is one). */
function isFleetProcess(pid: number): boolean {
  if (pid <= 0 || !isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("fleet-double");
  } catch {
    return !existsSync("/proc");
  }
}

/** The stand-in fleet of a background sandbox: a detached process that outlives this one (its output in fleet.log). */
async function startDetachedFleet(
  dir: string,
  motoEndpoint: string,
  env: Env,
): Promise<{ pid: number; endpoint: string }> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const log = openSync(join(dir, "fleet.log"), "a");
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(here, "fleet-double.ts"),
      "--moto",
      motoEndpoint,
      "--dir",
      join(dir, "fleet"),
      "--faults",
      join(dir, "faults.json"),
      "--port",
      String(port),
    ],
    { cwd: projectDir, env, detached: true, stdio: ["ignore", log, log] },
  );
  closeSync(log);
  child.unref();
  const deadline = Date.now() + 60_000;
  while (!(await fleetAnswers(endpoint, 1_000))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      if (child.exitCode === null && child.pid) await stopPid(child.pid);
      const output = await readFile(join(dir, "fleet.log"), "utf8").catch(() => "");
      throw new Error(
        `the stand-in fleet did not start on ${endpoint}: ${output.trim().split("\n").slice(-5).join("\n")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { pid: child.pid ?? 0, endpoint };
}

async function up(options: Options, dir: string, env: Env): Promise<Up> {
  const existing = await runningSandbox(dir);
  if (existing && (options.mode === "foreground" || existing.mode === "foreground")) {
    throw new UsageError(
      existing.mode === "foreground"
        ? `a sandbox already runs in the foreground (pid ${existing.ownerPid}) from ${dir}: stop it with Ctrl-C there, or \`npm run sandbox -- --down\``
        : `a background sandbox already runs from ${dir} (moto pid ${existing.motoPid}): use --env to print its environment, or --down to stop it`,
    );
  }
  const cwd = env.INIT_CWD?.trim() || process.cwd();
  const commits = await commitsToSeed(options.commits, cwd);

  const engineBin = await ensureEngine(env);
  if (!existsSync(PROVIDERS_BIN)) {
    say(`sandbox: note: no stand-in providers in ${PROVIDERS_BIN} yet; programs that use aws/awsx need them`);
  }
  const venv = await ensureMotoVenv(env, say);
  if (venv.created) say(`sandbox: moto venv made in ${venv.seconds.toFixed(1)} s`);

  let server: MotoServer | undefined;
  let endpoint: string;
  let motoPid: number;
  let images: Record<string, string> = {};
  const imagesFile = join(dir, "images.json");
  if (existing) {
    endpoint = existing.endpoint;
    motoPid = existing.motoPid;
    images = JSON.parse(await readFile(imagesFile, "utf8").catch(() => "{}")) as Record<string, string>;
    say(`sandbox: moto already runs at ${endpoint} (pid ${motoPid}); reusing it`);
  } else {
    server = await startMoto(venv, {
      detached: options.mode === "env",
      ...(options.mode === "env" ? { logFile: join(dir, "moto.log") } : {}),
    });
    endpoint = server.endpoint;
    motoPid = server.pid;
    say(`sandbox: moto answers at ${endpoint} (pid ${motoPid}, ${server.startSeconds.toFixed(1)} s)`);
  }
  const state: SandboxState = {
    mode: options.mode === "foreground" ? "foreground" : "background",
    ownerPid: options.mode === "foreground" ? process.pid : 0,
    motoPid,
    endpoint,
    fleetPid: 0,
    fleetEndpoint: "",
    keyId: "",
    startedAt: existing?.startedAt ?? new Date().toISOString(),
  };
  // Recorded at once, so that `--down` finds a moto even if what follows is interrupted.
  await writeFile(stateFile(dir), `${JSON.stringify(state, null, 2)}\n`);
  let fleet: FleetDouble | undefined;
  let startedFleetPid = 0;
  try {
    if (options.mode === "foreground") {
      fleet = await startFleetDouble({
        motoEndpoint: endpoint,
        recordsDir: join(dir, "fleet"),
        faultsFile: join(dir, "faults.json"),
      });
      Object.assign(state, { fleetPid: process.pid, fleetEndpoint: fleet.endpoint });
    } else if (
      existing &&
      isFleetProcess(existing.fleetPid) &&
      (await fleetAnswers(existing.fleetEndpoint))
    ) {
      Object.assign(state, { fleetPid: existing.fleetPid, fleetEndpoint: existing.fleetEndpoint });
    } else {
      const started = await startDetachedFleet(dir, endpoint, env);
      startedFleetPid = started.pid;
      Object.assign(state, { fleetPid: started.pid, fleetEndpoint: started.endpoint });
    }
    say(`sandbox: the stand-in fleet (a test double) answers at ${state.fleetEndpoint}`);
    await writeFile(stateFile(dir), `${JSON.stringify(state, null, 2)}\n`);
    // boto3 makes the bucket and the key while the JavaScript SDK registers the images.
    const [made] = await Promise.all([
      ensureStateAndKey(venv, endpoint, { bucket: STATE_BUCKET, alias: KMS_ALIAS }),
      (async () => {
        for (const { commit, branch } of commits) {
          if (images[commit]) continue;
          images[commit] = await seedImage(endpoint, commit, branch ? { branch } : {});
          say(`sandbox: registered image ${images[commit]} for ${commit} (in moto)`);
        }
      })(),
    ]);
    await writeFile(imagesFile, `${JSON.stringify(images, null, 2)}\n`);
    const stateDir = join(dir, "state");
    if (options.fileBackend) await mkdir(stateDir, { recursive: true });
    const backendUrl = options.fileBackend
      ? `file://${stateDir}`
      : `s3://${STATE_BUCKET}?region=${SANDBOX_REGION}&endpoint=${endpoint}&use_path_style=true`;
    state.keyId = made.keyId ?? "";
    await writeFile(stateFile(dir), `${JSON.stringify(state, null, 2)}\n`);
    const facts: SandboxFacts = {
      endpoint,
      motoPid,
      backendUrl,
      passphrase: await passphraseOf(dir),
      engineBin,
      imagesFile,
      images,
      keyId: state.keyId,
      dir,
      fleetEndpoint: state.fleetEndpoint,
      fleetDir: join(dir, "fleet"),
    };
    await writeFile(join(dir, "env.sh"), renderEnv(facts), { mode: 0o600 });
    return { facts, ...(server ? { server } : {}), ...(fleet ? { fleet } : {}) };
  } catch (error) {
    await fleet?.stop();
    if (startedFleetPid > 0) await stopPid(startedFleetPid);
    if (server) {
      await server.stop();
      await rm(stateFile(dir), { force: true });
    }
    throw error;
  }
}

/** True when `pid` is this command (a foreground sandbox), read from /proc where there is one. */
function isSandboxProcess(pid: number): boolean {
  if (pid <= 0 || !isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("sandbox.ts");
  } catch {
    return !existsSync("/proc");
  }
}

/** Stop the background sandbox of `dir`, or ask a foreground one to stop (SIGTERM, as Ctrl-C). */
async function down(dir: string): Promise<string> {
  const state = await readState(dir);
  if (!state) return `sandbox: no sandbox runs from ${dir}; nothing to stop.`;
  if (state.mode === "foreground" && isSandboxProcess(state.ownerPid)) {
    process.kill(state.ownerPid, "SIGTERM");
    const deadline = Date.now() + 10_000;
    while (isMotoProcess(state.motoPid) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
  }
  if (isMotoProcess(state.motoPid)) await stopPid(state.motoPid);
  if (isFleetProcess(state.fleetPid)) await stopPid(state.fleetPid);
  await rm(stateFile(dir), { force: true });
  return `sandbox: stopped moto (pid ${state.motoPid}) at ${state.endpoint}. It was a simulation: nothing existed in AWS.`;
}

async function foreground(started: Up, dir: string): Promise<number> {
  const { facts, server, fleet } = started;
  process.stdout.write(
    [
      SIMULATION,
      "",
      "In another terminal, use it with:",
      `  source ${join(dir, "env.sh")}`,
      "or paste:",
      "",
      renderEnv(facts),
      "Ctrl-C stops the sandbox (moto and everything in it).",
      "",
    ].join("\n"),
  );
  const signal = await new Promise<string>((resolveSignal) => {
    process.once("SIGINT", () => resolveSignal("SIGINT"));
    process.once("SIGTERM", () => resolveSignal("SIGTERM"));
    void server?.exited.then(() => resolveSignal("moto-exited"));
  });
  await fleet?.stop();
  await server?.stop();
  await rm(stateFile(dir), { force: true });
  if (signal === "moto-exited") {
    say("sandbox: moto stopped on its own; the sandbox is down.");
    return 1;
  }
  say("sandbox: stopped. It was a simulation: nothing was created in AWS.");
  return 0;
}

export async function main(argv: string[], env: Env = process.env): Promise<number> {
  let options: Options | "help";
  try {
    options = parseOptions(argv);
  } catch (error) {
    say(`sandbox: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const dir = options.dir ?? sandboxHome(env);
  await mkdir(dir, { recursive: true });
  try {
    if (options.mode === "down") {
      process.stdout.write(`${await down(dir)}\n`);
      return 0;
    }
    say(`sandbox: ${SIMULATION}`);
    const started = await up(options, dir, env);
    if (options.mode === "env") {
      process.stdout.write(renderEnv(started.facts));
      say(
        `sandbox: moto keeps running; stop it with \`npm run sandbox -- --down${options.dir ? ` --dir ${dir}` : ""}\``,
      );
      return 0;
    }
    return await foreground(started, dir);
  } catch (error) {
    say(`sandbox: ${error instanceof Error ? error.message : String(error)}`);
    return error instanceof UsageError ? 2 : 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await main(process.argv.slice(2));
  // Flush what was printed (a pipe, for eval), then end even if an SDK keeps a socket open.
  process.stdout.write("", () => process.exit(code));
}

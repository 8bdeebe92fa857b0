/**
 * moto, the AWS simulator of the sandbox: installed from PyPI at the exact
 * versions and hashes of `requirements.txt` into a venv of its own, run as
 * `moto_server` on 127.0.0.1 (never any other address) on a free port, and
 * stopped again. It stands in for the AWS APIs flightdeck calls itself: EC2
 * DescribeImages (the image resolver), S3 (Pulumi's state backend) and KMS
 * (Pulumi's `awskms://` secrets provider). Nothing here talks to AWS.
 *
 * - `ensureMotoVenv()`: `<FLIGHTDECK_HOME or ~/.flightdeck>/sandbox/venv`,
 *   reused while its stamp (the requirements file and the Python it was made
 *   with) matches, re-made otherwise.
 * - `startMoto()` / `MotoServer.stop()`: a child of this process (tests, the
 *   foreground sandbox) or a detached one that outlives it (`sandbox --env`).
 * - `motoAwsEnv()`: the environment that points the AWS SDKs (JavaScript v3,
 *   Go v2 inside the Pulumi CLI, boto3) at moto with fake credentials.
 * - `useMoto()`: for mocha, one moto per suite.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, openSync, closeSync, readFileSync } from "node:fs";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { IMAGE_PROJECT, IMAGE_TAGS } from "../../infra/image-tags.js";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
type Env = Record<string, string | undefined>;

/** The only address moto ever listens on. */
export const MOTO_HOST = "127.0.0.1";
/** The region of the sandbox (the committed stacks' `aws:region`). */
export const SANDBOX_REGION = "us-east-1";
/** moto's default account: every resource the sandbox makes belongs to it. */
export const MOTO_ACCOUNT_ID = "123456789012";
/** The pinned requirements the venv is made from. */
export const REQUIREMENTS = join(here, "requirements.txt");

/** Fake credentials; moto accepts any, and these can never be anyone's real ones. */
export const FAKE_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_SESSION_TOKEN: "testing",
} as const;

/** Why the sandbox cannot run here (no Python, no PyPI, moto would not start): a skip outside CI. */
export class SandboxUnavailableError extends Error {
  override readonly name = "SandboxUnavailableError";
}

/** `<FLIGHTDECK_HOME or ~/.flightdeck>/sandbox`: the venv, and the default state folder of `npm run sandbox`. */
export function sandboxHome(env: Env = process.env, home: string = homedir()): string {
  return join(env.FLIGHTDECK_HOME?.trim() || join(home, ".flightdeck"), "sandbox");
}

/**
 * The environment that sends every AWS SDK call to moto: AWS_ENDPOINT_URL
 * (read by the JavaScript SDK v3 in @smithy/core's endpoints
 * `getEndpointFromConfig`, and by the Go SDK v2 inside the Pulumi CLI in
 * aws-sdk-go-v2/config's env_config.go; the shared setting is documented at
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html),
 * the region, fake static credentials, and no shared config files, profile or
 * instance metadata, so that no real credentials and no address but moto's can
 * be reached. A value `undefined` means "unset it".
 */
export function motoAwsEnv(endpoint: string, region: string = SANDBOX_REGION): Env {
  assertLoopback(endpoint);
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    ...FAKE_CREDENTIALS,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
    // The JavaScript SDK skips the environment's credentials when a profile is named.
    AWS_PROFILE: undefined,
    AWS_DEFAULT_PROFILE: undefined,
  };
}

/**
 * Point this process's AWS SDK clients at moto (`motoAwsEnv`) for as long as
 * they need it; returns the function that puts the environment back.
 */
export function useMotoEnvInProcess(endpoint: string): () => void {
  const saved: Env = {};
  for (const [key, value] of Object.entries(motoAwsEnv(endpoint))) {
    saved[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  return () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

/** `base` without any AWS_*, PULUMI_* or sandbox variable, then `overrides` applied. */
export function cleanEnv(base: Env, overrides: Env = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined || /^(AWS_|PULUMI_|FLIGHTDECK_SANDBOX)/.test(key)) continue;
    out[key] = value;
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

function assertLoopback(endpoint: string): void {
  const url = new URL(endpoint);
  if (url.hostname !== MOTO_HOST) throw new Error(`the sandbox only talks to ${MOTO_HOST}, not ${endpoint}`);
}

function firstLines(text: string, count = 12): string {
  return text.trim().split("\n").slice(-count).join("\n");
}

// ---------------------------------------------------------------------------
// The venv
// ---------------------------------------------------------------------------

export interface MotoVenv {
  dir: string;
  python: string;
  motoServer: string;
  /** True when this call made it. */
  created: boolean;
  seconds: number;
}

/** The Python to make the venv with: FLIGHTDECK_PYTHON, else python3.11, else python3 (3.9 or newer). */
async function pickPython(env: Env): Promise<{ path: string; version: string }> {
  const candidates = [env.FLIGHTDECK_PYTHON?.trim(), "python3.11", "python3"].filter((c): c is string => !!c);
  const problems: string[] = [];
  for (const candidate of candidates) {
    try {
      const { stdout } = await run(
        candidate,
        ["-c", "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])"],
        { env: cleanEnv(env), timeout: 30_000 },
      );
      const [path = candidate, version = ""] = stdout.trim().split("\n");
      const [major = 0, minor = 0] = version.split(".").map(Number);
      if (major === 3 && minor >= 9) return { path, version };
      problems.push(`${candidate} is Python ${version}`);
    } catch {
      problems.push(`${candidate} not found`);
    }
  }
  throw new SandboxUnavailableError(`no Python 3.9 or newer for moto (${problems.join("; ")})`);
}

/** Holds `<dir>.lock` while the venv is made, so two processes never make it at once. */
async function withLock<T>(path: string, work: () => Promise<T>, waitMs = 20 * 60_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      await mkdir(path);
      await writeFile(join(path, "pid"), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number(await readFile(join(path, "pid"), "utf8").catch(() => "0"));
      const age = Date.now() - (await stat(path).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if ((holder > 0 && !isAlive(holder)) || (holder === 0 && age > 60_000)) {
        await rm(path, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - started > waitMs)
        throw new SandboxUnavailableError(`${path} is held by pid ${holder}`);
      await sleep(500);
    }
  }
  try {
    return await work();
  } finally {
    await rm(path, { recursive: true, force: true });
  }
}

/**
 * The moto venv, made (or re-made) when its stamp does not match: a fresh
 * `python -m venv`, then `pip install --require-hashes --no-deps -r requirements.txt`.
 * Cold, that downloads about 60 wheels from PyPI (a few minutes on this machine).
 */
export async function ensureMotoVenv(
  env: Env = process.env,
  log: (line: string) => void = () => {},
): Promise<MotoVenv> {
  const started = Date.now();
  const dir = join(sandboxHome(env), "venv");
  const python = join(dir, "bin", "python");
  const motoServer = join(dir, "bin", "moto_server");
  const stampFile = join(dir, ".flightdeck-requirements");
  const requirements = await readFile(REQUIREMENTS);
  const result = (created: boolean): MotoVenv => ({
    dir,
    python,
    motoServer,
    created,
    seconds: (Date.now() - started) / 1000,
  });

  const stampOf = (interpreter: { path: string; version: string }) =>
    createHash("sha256")
      .update(requirements)
      .update(`\n${interpreter.path}\n${interpreter.version}\n`)
      .digest("hex");
  const current = async () =>
    existsSync(motoServer) && existsSync(stampFile) ? (await readFile(stampFile, "utf8")).trim() : undefined;

  // Fast path: a stamp that matches this requirements file and the Python that made it.
  const recorded = await current();
  if (recorded) {
    const made = await readFile(join(dir, ".flightdeck-python"), "utf8").catch(() => "");
    const [path = "", version = ""] = made.trim().split("\n");
    if (path && recorded === stampOf({ path, version }) && existsSync(path)) return result(false);
  }

  const interpreter = await pickPython(env);
  const stamp = stampOf(interpreter);
  await mkdir(dirname(dir), { recursive: true });
  return withLock(`${dir}.lock`, async () => {
    if ((await current()) === stamp) return result(false); // made by another process meanwhile
    log(`sandbox: making the moto venv in ${dir} (Python ${interpreter.version}, pinned requirements)`);
    await rm(dir, { recursive: true, force: true });
    const childEnv = cleanEnv(env, { PIP_DISABLE_PIP_VERSION_CHECK: "1" });
    try {
      await run(interpreter.path, ["-m", "venv", dir], { env: childEnv, timeout: 120_000 });
      await run(
        python,
        ["-m", "pip", "install", "--quiet", "--require-hashes", "--no-deps", "-r", REQUIREMENTS],
        { env: childEnv, timeout: 20 * 60_000, maxBuffer: 16 * 1024 * 1024 },
      );
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      const detail = (error as { stderr?: string }).stderr || (error as Error).message;
      throw new SandboxUnavailableError(`could not install moto from PyPI:\n${firstLines(detail)}`, {
        cause: error,
      });
    }
    await writeFile(join(dir, ".flightdeck-python"), `${interpreter.path}\n${interpreter.version}\n`);
    await writeFile(stampFile, `${stamp}\n`);
    return result(true);
  });
}

// ---------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------

export interface MotoServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  pid: number;
  /** Seconds from spawn to the first answer. */
  startSeconds: number;
  /** Stops it (SIGTERM, then SIGKILL after a grace period); resolves once it is gone. */
  stop(): Promise<void>;
  /** Resolves when a child moto ends (by `stop()` or on its own); never for a detached one. */
  exited: Promise<void>;
}

export interface StartOptions {
  /** Default: a free port. */
  port?: number;
  /** Outlive this process (its own process group, output to `logFile`). */
  detached?: boolean;
  /** Where moto's output goes; required when detached. Default: kept in memory for errors. */
  logFile?: string;
  timeoutMs?: number;
}

/** A port free on 127.0.0.1 right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, MOTO_HOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** True when moto answers its own dashboard at `endpoint` (small and quick; data.json dumps every resource). */
export async function motoAnswers(endpoint: string, timeoutMs = 2_000): Promise<boolean> {
  assertLoopback(endpoint);
  try {
    const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok && (await response.text()).includes("<title>Moto</title>");
  } catch {
    return false;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** True when `pid` is a `moto_server` (read from /proc; where there is none, any live process). */
export function isMotoProcess(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("moto_server");
  } catch {
    return !existsSync("/proc");
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once `pid` is gone. For processes that are not our children. */
export async function stopPid(pid: number, graceMs = 5_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    process.kill(pid, "SIGKILL");
    while (isAlive(pid)) await sleep(50);
  }
}

function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.kill("SIGTERM");
  });
}

/** Start `moto_server -H 127.0.0.1 -p <port>` and wait until it answers. */
export async function startMoto(
  venv: Pick<MotoVenv, "motoServer">,
  options: StartOptions = {},
): Promise<MotoServer> {
  const attempts = options.port === undefined ? 3 : 1;
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await startOnce(venv, options.port ?? (await freePort()), options);
    } catch (error) {
      lastError = error as Error;
      // Another process took the free port between the check and moto's bind: try another.
      if (!/Address already in use|address in use/i.test(lastError.message)) break;
    }
  }
  throw lastError ?? new SandboxUnavailableError("moto did not start");
}

async function startOnce(
  venv: Pick<MotoVenv, "motoServer">,
  port: number,
  options: StartOptions,
): Promise<MotoServer> {
  if (options.detached && !options.logFile) throw new Error("a detached moto needs a logFile");
  const endpoint = `http://${MOTO_HOST}:${port}`;
  const started = Date.now();
  const logFd = options.logFile ? openSync(options.logFile, "a") : undefined;
  let output = "";
  const child = spawn(venv.motoServer, ["-H", MOTO_HOST, "-p", String(port)], {
    // moto needs no credentials; it gets none, and nothing of AWS_* from here.
    // No public AMIs preloaded (settings.py, MOTO_EC2_LOAD_DEFAULT_AMIS): EC2 holds only the
    // images the sandbox registers, and its first call takes a fraction of a second, not five.
    env: cleanEnv(process.env, { PYTHONUNBUFFERED: "1", MOTO_EC2_LOAD_DEFAULT_AMIS: "false" }),
    stdio: ["ignore", logFd ?? "pipe", logFd ?? "pipe"],
    detached: options.detached ?? false,
  });
  if (logFd !== undefined) closeSync(logFd);
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const outputSoFar = async () =>
    options.logFile ? await readFile(options.logFile, "utf8").catch(() => "") : output;

  let exited = false;
  let spawnError: Error | undefined;
  const exitedPromise = new Promise<void>((resolveExit) =>
    child.once("exit", () => {
      exited = true;
      resolveExit();
    }),
  );
  child.once("error", (error) => {
    spawnError = error;
    exited = true;
  });
  // A child of a test run must not outlive it, even when the run dies.
  const killOnExit = () => child.kill("SIGKILL");
  if (!options.detached) process.once("exit", killOnExit);

  const deadline = started + (options.timeoutMs ?? 60_000);
  while (!(await motoAnswers(endpoint, 1_000))) {
    if (exited || Date.now() > deadline) {
      if (!exited) await stopChild(child);
      process.removeListener("exit", killOnExit);
      const why = spawnError ? spawnError.message : firstLines(await outputSoFar());
      throw new SandboxUnavailableError(
        `moto_server on ${endpoint} ${exited ? "exited" : "did not answer in time"}: ${why}`,
      );
    }
    await sleep(100);
  }
  const pid = child.pid ?? 0;
  if (options.detached) child.unref();
  return {
    endpoint,
    port,
    pid,
    startSeconds: (Date.now() - started) / 1000,
    exited: options.detached ? new Promise<void>(() => {}) : exitedPromise,
    async stop() {
      process.removeListener("exit", killOnExit);
      if (options.detached) await stopPid(pid);
      else await stopChild(child);
    },
  };
}

// ---------------------------------------------------------------------------
// What the sandbox puts in moto
// ---------------------------------------------------------------------------

/**
 * Register an AMI for `commit` in moto, tagged as the Packer template tags a
 * real image (images/image-tags.json): RegisterImage, then CreateTags, with the
 * AWS SDK the image resolver uses, aimed at moto explicitly. Returns its id.
 */
export async function seedImage(
  endpoint: string,
  commit: string,
  options: { region?: string; branch?: string } = {},
): Promise<string> {
  assertLoopback(endpoint);
  const { EC2Client, RegisterImageCommand, CreateTagsCommand } = await import("@aws-sdk/client-ec2");
  const ec2 = new EC2Client({
    region: options.region ?? SANDBOX_REGION,
    endpoint,
    credentials: {
      accessKeyId: FAKE_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: FAKE_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    },
  });
  try {
    const registered = await ec2.send(
      new RegisterImageCommand({
        Name: `flightdeck-${commit.slice(0, 12)}-${Date.now()}`,
        Description: `flightdeck sandbox image of ${commit} (a simulation in moto; not in AWS)`,
        Architecture: "arm64",
        RootDeviceName: "/dev/xvda",
        VirtualizationType: "hvm",
      }),
    );
    const imageId = registered.ImageId;
    if (!imageId) throw new Error("moto's RegisterImage returned no ImageId");
    const tags = [
      { Key: IMAGE_TAGS.commit, Value: commit },
      { Key: IMAGE_TAGS.project, Value: IMAGE_PROJECT },
      { Key: IMAGE_TAGS.builtAt, Value: new Date().toISOString() },
      { Key: "flightdeck:sandbox", Value: "true" },
      ...(options.branch ? [{ Key: IMAGE_TAGS.branch, Value: options.branch }] : []),
    ];
    await ec2.send(new CreateTagsCommand({ Resources: [imageId], Tags: tags }));
    return imageId;
  } finally {
    ec2.destroy();
  }
}

/** boto3 (from the venv) makes the state bucket and the KMS key with its alias, or finds them. */
const ENSURE_STATE_AND_KEY = String.raw`
import json, sys
import boto3
from botocore.exceptions import ClientError

args = json.loads(sys.argv[1])
region = args["region"]
kw = dict(endpoint_url=args["endpoint"], region_name=region,
          aws_access_key_id="testing", aws_secret_access_key="testing")
out = {}
if args.get("bucket"):
    s3 = boto3.client("s3", **kw)
    extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    try:
        s3.create_bucket(Bucket=args["bucket"], **extra)
    except ClientError as e:
        if e.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    out["bucket"] = args["bucket"]
if args.get("alias"):
    kms = boto3.client("kms", **kw)
    try:
        key = kms.describe_key(KeyId=args["alias"])["KeyMetadata"]
    except ClientError as e:
        if e.response["Error"]["Code"] != "NotFoundException":
            raise
        key = kms.create_key(Description="flightdeck sandbox key (a simulation in moto; not in AWS)")["KeyMetadata"]
        kms.create_alias(AliasName=args["alias"], TargetKeyId=key["KeyId"])
    out["keyId"] = key["KeyId"]
    out["keyArn"] = key["Arn"]
print(json.dumps(out))
`;

export interface StateAndKey {
  bucket?: string;
  keyId?: string;
  keyArn?: string;
}

/** Make (or find) an S3 bucket and a KMS key with `alias` (`alias/...`) in moto. */
export async function ensureStateAndKey(
  venv: Pick<MotoVenv, "python">,
  endpoint: string,
  wanted: { bucket?: string; alias?: string; region?: string },
): Promise<StateAndKey> {
  assertLoopback(endpoint);
  const args = JSON.stringify({ endpoint, region: wanted.region ?? SANDBOX_REGION, ...wanted });
  try {
    const { stdout } = await run(venv.python, ["-c", ENSURE_STATE_AND_KEY, args], {
      env: cleanEnv(process.env, motoAwsEnv(endpoint, wanted.region)),
      timeout: 60_000,
    });
    return JSON.parse(stdout) as StateAndKey;
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr || (error as Error).message;
    throw new Error(`could not make the bucket/key in moto: ${firstLines(detail)}`, { cause: error });
  }
}

// ---------------------------------------------------------------------------
// mocha
// ---------------------------------------------------------------------------

/**
 * Skip the current test or suite for `reason`, except in CI (`CI=true`), where
 * a sandbox that cannot run is a failure: CI must prove what the sandbox proves.
 */
export function skipOrFail(context: Mocha.Context, reason: string): never {
  if (process.env.CI === "true") {
    throw new Error(`${reason}\n(CI=true: a sandbox test that cannot run fails instead of skipping)`);
  }
  console.log(`      skipped: ${reason}`);
  context.skip();
}

export interface MotoFixture {
  /** The running moto's endpoint (after the suite's `before`). */
  readonly endpoint: string;
  readonly venv: MotoVenv;
  readonly server: MotoServer;
}

/**
 * One moto for the calling `describe`: made in its `before` (the venv too, when
 * missing: allow minutes), stopped in its `after`. Outside CI, a machine that
 * cannot run moto skips the suite and says why.
 */
export function useMoto(): MotoFixture {
  let venv: MotoVenv | undefined;
  let server: MotoServer | undefined;
  before(async function () {
    this.timeout(25 * 60_000);
    try {
      venv = await ensureMotoVenv(process.env, (line) => console.log(`      ${line}`));
      if (venv.created) console.log(`      sandbox: moto venv made in ${venv.seconds.toFixed(1)} s`);
      server = await startMoto(venv);
      console.log(
        `      sandbox: moto answered on ${server.endpoint} after ${server.startSeconds.toFixed(1)} s`,
      );
    } catch (error) {
      if (!(error instanceof SandboxUnavailableError)) throw error;
      skipOrFail(this, `moto is not available: ${error.message}`);
    }
  });
  after(async function () {
    this.timeout(30_000);
    await server?.stop();
  });
  const need = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("moto is not running (use the fixture inside its describe)");
    return value;
  };
  return {
    get endpoint() {
      return need(server).endpoint;
    },
    get venv() {
      return need(venv);
    },
    get server() {
      return need(server);
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

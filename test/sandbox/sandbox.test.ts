/**
 * `npm run sandbox`, spawned as a person runs it, in a temp sandbox folder
 * (`--dir`) so a sandbox of the person running the tests is left alone. The
 * engine and the moto venv are the per-user ones (built/made once).
 *
 * Outside CI, a machine without the engine or moto skips the spawned cases and
 * says why; in CI that fails.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { engineRoot, engineVersion } from "../../automation/engine/install.js";
import {
  cleanEnv,
  ensureMotoVenv,
  isAlive,
  MOTO_HOST,
  motoAnswers,
  SandboxUnavailableError,
  SANDBOX_REGION,
  skipOrFail,
  stopPid,
} from "./moto.js";
import { fleetAnswers } from "./fleet-double.js";
import { parseOptions, PROVIDERS_BIN, shellQuote, UsageError } from "./sandbox.js";

const run = promisify(execFile);
const projectDir = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const script = join(projectDir, "test", "sandbox", "sandbox.ts");

/** The environment of a person's shell: no AWS or Pulumi settings of the test run, the project as cwd. */
const personEnv = () => cleanEnv(process.env, { INIT_CWD: projectDir, CI: undefined });

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run --silent sandbox -- <args>`, as the README says. */
async function npmSandbox(args: string[]): Promise<Ran> {
  try {
    const { stdout, stderr } = await run("npm", ["run", "--silent", "sandbox", "--", ...args], {
      cwd: projectDir,
      env: personEnv(),
      timeout: 240_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof e.code === "number" ? e.code : null,
      stdout: e.stdout ?? "",
      stderr: e.stderr ?? "",
    };
  }
}

/** What a shell has after `eval "$(…--env)"`: bash evaluates the output, then prints its environment. */
async function evalInBash(output: string): Promise<Record<string, string>> {
  const { stdout } = await run("bash", ["-c", 'eval "$SANDBOX_OUTPUT" && env -0'], {
    env: { ...personEnv(), AWS_PROFILE: "someone-real", SANDBOX_OUTPUT: output },
  });
  const env: Record<string, string> = {};
  for (const entry of stdout.split("\0")) {
    const at = entry.indexOf("=");
    if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return env;
}

function headCommit(): Promise<string> {
  return run("git", ["rev-parse", "HEAD"], { cwd: projectDir }).then((r) => r.stdout.trim());
}

describe("npm run sandbox", function () {
  describe("its options", () => {
    it("reads the modes, repeated --commit and --file-backend", () => {
      assert.deepEqual(parseOptions([]), { mode: "foreground", commits: [], fileBackend: false });
      assert.deepEqual(parseOptions(["--env", "--commit", "main", "--commit", "abc1234", "--file-backend"]), {
        mode: "env",
        commits: ["main", "abc1234"],
        fileBackend: true,
      });
      assert.deepEqual(parseOptions(["--down"]), { mode: "down", commits: [], fileBackend: false });
      assert.equal(parseOptions(["--help"]), "help");
    });

    it("refuses contradictory or unknown flags", () => {
      assert.throws(() => parseOptions(["--env", "--down"]), UsageError);
      assert.throws(() => parseOptions(["--down", "--commit", "HEAD"]), UsageError);
      assert.throws(() => parseOptions(["--region", "eu-west-1"]), UsageError);
    });

    it("quotes values for a POSIX shell", () => {
      assert.equal(shellQuote("a b"), "'a b'");
      assert.equal(shellQuote("it's"), `'it'\\''s'`);
    });
  });

  describe("spawned", () => {
    let dir = "";
    let engineBin = "";
    before(async function () {
      this.timeout(25 * 60_000);
      engineBin = join(engineRoot(engineVersion(projectDir), process.env), "bin");
      if (!existsSync(join(engineBin, "pulumi"))) {
        skipOrFail(
          this,
          `the Pulumi engine is not built (no ${engineBin}/pulumi): run \`npm run engine:install\``,
        );
      }
      try {
        // Made here with the suite's long timeout, so the spawned command finds it ready.
        await ensureMotoVenv(process.env, (line) => console.log(`      ${line}`));
      } catch (error) {
        if (!(error instanceof SandboxUnavailableError)) throw error;
        skipOrFail(this, `moto is not available: ${error.message}`);
      }
      dir = await mkdtemp(join(tmpdir(), "flightdeck-sandbox-"));
    });
    after(async function () {
      this.timeout(60_000);
      if (!dir) return;
      // Whatever a failed case left running is stopped.
      const state = join(dir, "sandbox.json");
      if (existsSync(state)) {
        const { motoPid, fleetPid } = JSON.parse(readFileSync(state, "utf8")) as {
          motoPid: number;
          fleetPid?: number;
        };
        await stopPid(motoPid);
        if (fleetPid && fleetPid !== process.pid) await stopPid(fleetPid);
      }
      await rm(dir, { recursive: true, force: true });
    });

    it("--env prints exports a shell can eval, and moto answers at the printed endpoint", async function () {
      this.timeout(300_000);
      const ran = await npmSandbox(["--env", "--dir", dir]);
      assert.equal(ran.code, 0, ran.stderr);
      const lines = ran.stdout.trimEnd().split("\n");
      for (const line of lines) assert.match(line, /^(#.*|export [A-Z_][A-Z0-9_]*=.*|unset [A-Z_ ]+)$/, line);
      assert.match(ran.stdout, /^# .*SIMULATION.*nothing here is created in AWS/m);
      assert.match(ran.stderr, /SIMULATION/);

      const env = await evalInBash(ran.stdout);
      const endpoint = env.AWS_ENDPOINT_URL ?? "";
      assert.equal(new URL(endpoint).hostname, MOTO_HOST);
      assert.equal(
        env.PULUMI_BACKEND_URL,
        `s3://flightdeck-state?region=${SANDBOX_REGION}&endpoint=${endpoint}&use_path_style=true`,
      );
      assert.deepEqual(env.PATH?.split(delimiter).slice(0, 2), [PROVIDERS_BIN, engineBin]);
      assert.equal(env.AWS_REGION, SANDBOX_REGION);
      assert.equal(env.AWS_ACCESS_KEY_ID, "testing");
      assert.equal(env.AWS_PROFILE, undefined, "a profile would make the JavaScript SDK skip the fake keys");
      assert.equal(env.FLIGHTDECK_SANDBOX, "1");
      assert.equal(env.PULUMI_CONFIG_PASSPHRASE, (await readFile(join(dir, "passphrase"), "utf8")).trim());
      assert.equal(await motoAnswers(endpoint), true);
      // The stand-in fleet (a test double) answers the SDK's EC2, Auto Scaling and ELBv2 endpoints and the URL check.
      const fleet = env.AWS_ENDPOINT_URL_EC2 ?? "";
      assert.equal(new URL(fleet).hostname, MOTO_HOST);
      assert.notEqual(fleet, endpoint);
      assert.equal(env.AWS_ENDPOINT_URL_AUTO_SCALING, fleet);
      assert.equal(env.AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2, fleet);
      assert.equal(env.AWS_ENDPOINT_URL_SSM, endpoint);
      assert.equal(env.FLIGHTDECK_CONNECT_TO, new URL(fleet).host);
      assert.equal(env.FLIGHTDECK_SANDBOX_FLEET, join(dir, "fleet"));
      assert.equal(await fleetAnswers(fleet), true);

      // HEAD has an image, in moto and in the stand-ins' table, and the real resolver finds it.
      const head = await headCommit();
      const images = JSON.parse(await readFile(env.FLIGHTDECK_SANDBOX_IMAGES ?? "", "utf8")) as Record<
        string,
        string
      >;
      assert.match(images[head] ?? "", /^ami-/);
      const { stdout } = await run(
        process.execPath,
        [
          "--import",
          "tsx",
          "--no-warnings",
          "--input-type=module",
          "-e",
          `const { createImageResolver } = await import(${JSON.stringify(join(projectDir, "automation", "images.ts"))});
           process.stdout.write(await createImageResolver().imageFor(${JSON.stringify(head)}, "${SANDBOX_REGION}"));`,
        ],
        { cwd: projectDir, env, timeout: 60_000 },
      );
      assert.equal(stdout, images[head]);
    });

    it("--env again reuses the running sandbox (same endpoint, same images)", async function () {
      this.timeout(300_000);
      const before = JSON.parse(await readFile(join(dir, "sandbox.json"), "utf8")) as { endpoint: string };
      const ran = await npmSandbox(["--env", "--dir", dir]);
      assert.equal(ran.code, 0, ran.stderr);
      assert.match(ran.stderr, /reusing it/);
      assert.ok(ran.stdout.includes(`export AWS_ENDPOINT_URL='${before.endpoint}'`));
      const { fleetEndpoint } = JSON.parse(await readFile(join(dir, "sandbox.json"), "utf8")) as {
        fleetEndpoint: string;
      };
      assert.ok(
        ran.stdout.includes(`export AWS_ENDPOINT_URL_EC2='${fleetEndpoint}'`),
        "the same stand-in fleet",
      );
    });

    it("--down stops it", async function () {
      this.timeout(120_000);
      const { motoPid, endpoint, fleetPid, fleetEndpoint } = JSON.parse(
        await readFile(join(dir, "sandbox.json"), "utf8"),
      ) as { motoPid: number; endpoint: string; fleetPid: number; fleetEndpoint: string };
      const ran = await npmSandbox(["--down", "--dir", dir]);
      assert.equal(ran.code, 0, ran.stderr);
      assert.match(ran.stdout, /stopped moto .*nothing existed in AWS/);
      assert.equal(isAlive(motoPid), false);
      assert.equal(await motoAnswers(endpoint), false);
      assert.equal(isAlive(fleetPid), false, "the stand-in fleet stopped too");
      assert.equal(await fleetAnswers(fleetEndpoint), false);
      assert.equal(existsSync(join(dir, "sandbox.json")), false);
      const again = await npmSandbox(["--down", "--dir", dir]);
      assert.equal(again.code, 0);
      assert.match(again.stdout, /nothing to stop/);
    });

    it("in the foreground, runs until SIGTERM and then stops moto", async function () {
      this.timeout(300_000);
      const child: ChildProcess = spawn(
        process.execPath,
        ["--import", "tsx", script, "--dir", dir, "--file-backend"],
        {
          cwd: projectDir,
          env: personEnv(),
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stdout = "";
      let stderr = "";
      child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolveExit) =>
        child.once("exit", (code) => resolveExit(code)),
      );
      try {
        const deadline = Date.now() + 240_000;
        while (!stdout.includes("Ctrl-C stops the sandbox")) {
          if (child.exitCode !== null || Date.now() > deadline)
            assert.fail(`no sandbox:\n${stderr}\n${stdout}`);
          await new Promise((r) => setTimeout(r, 200));
        }
        assert.match(stdout, /^flightdeck sandbox: a SIMULATION/);
        assert.ok(stdout.includes(`export PULUMI_BACKEND_URL='file://${join(dir, "state")}'`), stdout);
        const endpoint = /export AWS_ENDPOINT_URL='([^']+)'/.exec(stdout)?.[1] ?? "";
        assert.equal(await motoAnswers(endpoint), true);
        const fleet = /export AWS_ENDPOINT_URL_EC2='([^']+)'/.exec(stdout)?.[1] ?? "";
        assert.equal(await fleetAnswers(fleet), true);
        child.kill("SIGTERM");
        assert.equal(await exited, 0, stderr);
        assert.match(stderr, /stopped\. It was a simulation: nothing was created in AWS/);
        assert.equal(await motoAnswers(endpoint), false);
        assert.equal(await fleetAnswers(fleet), false);
        assert.equal(existsSync(join(dir, "sandbox.json")), false);
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    });
  });
});

/**
 * Runs the image's scripts the way the tests need them: against a temporary
 * root, with a `systemctl` stand-in that only records its arguments, so no
 * systemd (and no machine) is needed.
 */
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const IMAGES = join(REPO, "images");
export const BOOTSTRAP = join(IMAGES, "files/flightdeck-bootstrap");

export interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a bash script with the given environment (added to a minimal PATH-only one). */
export function runBash(script: string, args: string[], env: Record<string, string>): Promise<ScriptRun> {
  return new Promise((done) => {
    execFile(
      "bash",
      [script, ...args],
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** A temporary machine: a root folder and a systemctl stand-in that logs each call, one line each. */
export interface FakeMachine {
  dir: string;
  root: string;
  systemctl: string;
  log: string;
  cleanup(): Promise<void>;
}

export async function fakeMachine(): Promise<FakeMachine> {
  const dir = await mkdtemp(join(tmpdir(), "flightdeck-image-"));
  const root = join(dir, "root");
  const log = join(dir, "systemctl.log");
  const systemctl = join(dir, "systemctl");
  // Logs every call; fails the verb named by SYSTEMCTL_FAIL, to test what a failing systemctl leaves.
  await writeFile(
    systemctl,
    `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >> '${log}'\n[[ "$1" != "\${SYSTEMCTL_FAIL:-}" ]]\n`,
  );
  await chmod(systemctl, 0o755);
  return { dir, root, systemctl, log, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** What the stand-in saw, by verb: the units named by `enable`, `start` and `disable` calls. */
export interface SystemctlCalls {
  lines: string[];
  enabled: string[];
  started: string[];
  disabled: string[];
}

export async function systemctlCalls(machine: FakeMachine): Promise<SystemctlCalls> {
  const text = await readFile(machine.log, "utf8").catch(() => "");
  const lines = text.split("\n").filter((l) => l !== "");
  const unitsOf = (verb: string) =>
    lines
      .map((l) => l.split(" "))
      .filter(([first]) => first === verb)
      .flatMap((words) => words.slice(1).filter((w) => !w.startsWith("--")));
  return { lines, enabled: unitsOf("enable"), started: unitsOf("start"), disabled: unitsOf("disable") };
}

/** Run the bootstrap on a fake machine with user-data from a file (or from IMDS when `imdsUrl` is given). */
export async function runBootstrap(
  machine: FakeMachine,
  userData: string | undefined,
  extraEnv: Record<string, string> = {},
): Promise<ScriptRun> {
  const env: Record<string, string> = {
    FLIGHTDECK_ROOT: machine.root,
    FLIGHTDECK_SYSTEMCTL: machine.systemctl,
    ...extraEnv,
  };
  if (userData !== undefined) {
    const file = join(machine.dir, "user-data");
    await writeFile(file, userData);
    env.FLIGHTDECK_USERDATA_FILE = file;
  }
  return runBash(BOOTSTRAP, [], env);
}

/** The environment file as bash reads it (`source`), FLIGHTDECK_* variables only. */
export async function sourcedEnvironment(file: string): Promise<Record<string, string>> {
  const run = await new Promise<ScriptRun>((done) => {
    execFile(
      "bash",
      ["-c", 'set -a; source "$1"; set +a; env -0', "bash", file],
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
      (error, stdout, stderr) => done({ code: error ? 1 : 0, stdout, stderr }),
    );
  });
  if (run.code !== 0) throw new Error(`bash could not source ${file}: ${run.stderr}`);
  const out: Record<string, string> = {};
  for (const entry of run.stdout.split("\0")) {
    const eq = entry.indexOf("=");
    const key = entry.slice(0, eq);
    if (key.startsWith("FLIGHTDECK_")) out[key] = entry.slice(eq + 1);
  }
  return out;
}

export async function exists(path: string): Promise<boolean> {
  return readFile(path).then(
    () => true,
    () => false,
  );
}

/**
 * The environment file as systemd's EnvironmentFile= reads it, for the one shape
 * the bootstrap writes (`KEY="value"` per line, `#` comments): inside double
 * quotes a backslash before " \ ` or $ gives that character, before anything
 * else it stays, and nothing is expanded (systemd src/basic/env-file.c).
 */
export function systemdEnvironment(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([A-Z_][A-Z0-9_]*)="(.*)"$/.exec(line);
    if (!m?.[1] || m[2] === undefined) throw new Error(`not KEY="value": ${line}`);
    let value = "";
    const raw = m[2];
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i];
      if (c === '"') throw new Error(`unescaped quote in: ${line}`);
      if (c === "\\" && i + 1 < raw.length) {
        const next = raw[++i] ?? "";
        value += '"\\`$'.includes(next) ? next : `\\${next}`;
      } else {
        value += c;
      }
    }
    out[m[1]] = value;
  }
  return out;
}

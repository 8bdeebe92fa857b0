/**
 * Real-engine figures (issue 9), through the real Pulumi CLI built here:
 * - `real_engine_install_warm_s`: `npm run engine:install` when the engine is
 *   built: the check and the reuse.
 * - `real_engine_install_cold_s`: a build from the Go module proxy into an
 *   empty folder with an empty build cache (modules already downloaded), only
 *   with FLIGHTDECK_BENCH_COLD=1 (about 10 minutes on 2 cores); otherwise the
 *   figure is skipped and stderr says so.
 * - `real_status_20_stacks_s`: `status` (the operation, as the CLI runs it)
 *   over 20 stacks with one update each, file backend. Target <= 3 s.
 *   `real_status_20_stacks_pulumi_processes`: the `pulumi` processes it spawned.
 * - `real_deploy_overhead_s`: a deploy's wall time minus the `pulumi up`
 *   process it wraps (timed by a recording `pulumi` on PATH), in the sandbox
 *   (stand-in providers), image lookup answered at once; the first deploy of
 *   the stack. Target <= 1 s. `real_redeploy_overhead_s`: the next deploy of
 *   the same stack. `..._pulumi_processes`: every `pulumi` each one spawned.
 * Without the engine these figures are skipped, saying why. Each command the
 * recording `pulumi` saw is listed on stderr, with its time.
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import type { ImageResolver } from "../../automation/api.js";
import { configMapOf } from "../../automation/config-map.js";
import { engineRoot, engineVersion } from "../../automation/engine/install.js";
import { MemoryCloud } from "../../automation/cloud/memory.js";
import { createLocalEngine } from "../../automation/engine/local.js";
import { createOperations } from "../../automation/operations.js";
import { mapBounded } from "../../automation/pool.js";
import { tinyProject } from "../automation/real-engine.js";
import { ensureBuilt, ROOT } from "../cli/build.js";
import type { Figure } from "./figure.js";

const STANDINS = join(ROOT, "test", "sandbox", "providers", "bin");

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

interface PulumiRun {
  /** The first two arguments (`stack select`, `up --yes`, ...). */
  command: string;
  seconds: number;
}

/**
 * A `bin/pulumi` that records each run (its first two arguments and how long
 * it took) and hands over to the real one. `pulumi version` (the engine's
 * one check when it starts) is left out of `runs()`.
 */
function recordingPulumi(real: string): { binDir: string; runs: () => PulumiRun[]; reset: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "flightdeck-bench-pulumi-"));
  const binDir = join(dir, "bin");
  const log = join(dir, "runs.log");
  mkdirSync(binDir);
  writeFileSync(
    join(binDir, "pulumi"),
    `#!/bin/sh\nstart=$(date +%s%N)\n'${real}' "$@"\nrc=$?\necho "$start $(date +%s%N) $1 $2" >> '${log}'\nexit $rc\n`,
  );
  chmodSync(join(binDir, "pulumi"), 0o755);
  writeFileSync(log, "");
  return {
    binDir,
    runs: () =>
      readFileSync(log, "utf8")
        .split("\n")
        .filter((l) => l.length > 0)
        .map((l) => {
          const [start = "0", end = "0", ...args] = l.split(" ");
          return { command: args.join(" "), seconds: (Number(end) - Number(start)) / 1e9 };
        })
        .filter((r) => !r.command.startsWith("version")),
    reset: () => writeFileSync(log, ""),
  };
}

/** The runs on stderr, for people reading where the time went. */
function describeRuns(what: string, runs: PulumiRun[]): void {
  const lines = runs.map((r) => `    pulumi ${r.command} (${r.seconds.toFixed(2)} s)`);
  process.stderr.write(`  ${what}: ${runs.length} pulumi process(es)\n${lines.join("\n")}\n`);
}

function installWarm(): number {
  const start = process.hrtime.bigint();
  execFileSync("npm", ["run", "--silent", "engine:install"], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
  });
  return seconds(start);
}

function installCold(): number {
  const home = mkdtempSync(join(tmpdir(), "flightdeck-bench-home-"));
  const cache = mkdtempSync(join(tmpdir(), "flightdeck-bench-gocache-"));
  const start = process.hrtime.bigint();
  execFileSync("npm", ["run", "--silent", "engine:install"], {
    cwd: ROOT,
    env: { ...process.env, FLIGHTDECK_HOME: home, GOCACHE: cache },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const took = seconds(start);
  rmSync(home, { recursive: true, force: true });
  rmSync(cache, { recursive: true, force: true });
  return took;
}

const images: ImageResolver = { imageFor: async () => "ami-0123456789abcdef0" };

async function status20(realPulumi: string): Promise<{ seconds: number; processes: number }> {
  const project = tinyProject();
  const state = mkdtempSync(join(tmpdir(), "flightdeck-bench-state-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: "bench",
  };
  const setup = await createLocalEngine(project, env);
  const stacks = Array.from({ length: 20 }, (_, i) => `bench-${String(i).padStart(2, "0")}`);
  await mapBounded(stacks, 2, async (stack) => {
    await setup.ensureStack(stack);
    await setup.setConfig(
      stack,
      configMapOf({ image: { commit: "c".repeat(40), amiId: "ami-0123456789abcdef0" } }),
    );
    await setup.up(stack);
  });
  // A fresh engine, as a new `flightdeck status` process has, spawning through the recording `pulumi`.
  const recorder = recordingPulumi(realPulumi);
  const engine = await createLocalEngine(project, {
    ...env,
    PATH: `${recorder.binDir}${delimiter}${env.PATH ?? ""}`,
  });
  const ops = createOperations({
    engine,
    cloud: new MemoryCloud(engine),
    projectDir: project,
    images,
    env,
    logDir: join(project, "logs"),
  });
  const start = process.hrtime.bigint();
  const rows = await ops.status();
  const took = seconds(start);
  if (rows.length !== 20) throw new Error(`status listed ${rows.length} stacks, not 20`);
  const missing = rows.filter((r) => r.commit !== "c".repeat(40) || r.lastUpdate?.result !== "succeeded");
  if (missing.length > 0)
    throw new Error(`status lost what ran on ${missing.map((r) => r.stack).join(", ")}`);
  describeRuns("status over 20 stacks", recorder.runs());
  return { seconds: took, processes: recorder.runs().length };
}

interface DeployFigures {
  overhead: number;
  processes: number;
}

/** Two deploys of one stack (its first, then the next), each minus its `pulumi up` process. */
async function deployOverhead(realPulumi: string): Promise<{ first: DeployFigures; next: DeployFigures }> {
  // A work tree of HEAD with this checkout's packages and build, so nothing of the checkout's own state is touched.
  const tree = mkdtempSync(join(tmpdir(), "flightdeck-bench-tree-"));
  rmSync(tree, { recursive: true });
  execFileSync("git", ["worktree", "add", "--detach", "--quiet", tree, "HEAD"], { cwd: ROOT });
  try {
    symlinkSync(join(ROOT, "node_modules"), join(tree, "node_modules"), "junction");
    cpSync(join(ROOT, "dist"), join(tree, "dist"), { recursive: true });
    const state = mkdtempSync(join(tmpdir(), "flightdeck-bench-state-"));
    const recorder = recordingPulumi(realPulumi);
    const env = {
      ...process.env,
      PATH: `${recorder.binDir}${delimiter}${STANDINS}${delimiter}${process.env.PATH ?? ""}`,
      PULUMI_BACKEND_URL: `file://${state}`,
      PULUMI_CONFIG_PASSPHRASE: "bench-passphrase",
    };
    const deploy = async (what: string): Promise<DeployFigures> => {
      // A new engine for each, as each `flightdeck deploy` process has.
      const engine = await createLocalEngine(tree, env);
      const ops = createOperations({
        engine,
        cloud: new MemoryCloud(engine),
        projectDir: tree,
        images,
        env,
        logDir: join(tree, "logs"),
      });
      recorder.reset();
      const start = process.hrtime.bigint();
      await ops.deploy({ env: "testing", commit: "HEAD" });
      const wall = seconds(start);
      const runs = recorder.runs();
      describeRuns(what, runs);
      const up = runs.filter((r) => r.command.startsWith("up "));
      if (up.length !== 1) throw new Error(`${what} ran ${up.length} \`pulumi up\`, not 1`);
      return { overhead: wall - (up[0] as PulumiRun).seconds, processes: runs.length };
    };
    return { first: await deploy("first deploy"), next: await deploy("next deploy") };
  } finally {
    spawnSync("git", ["worktree", "remove", "--force", tree], { cwd: ROOT });
  }
}

export async function bench(): Promise<Figure[]> {
  const version = engineVersion(ROOT);
  const real = join(engineRoot(version, process.env), "bin", "pulumi");
  if (!existsSync(real)) {
    process.stderr.write(
      `real engine figures skipped: no engine at ${real} (run \`npm run engine:install\`)\n`,
    );
    return [];
  }
  ensureBuilt();
  const figures: Figure[] = [{ name: "real_engine_install_warm_s", value: installWarm(), unit: "s" }];
  if (process.env.FLIGHTDECK_BENCH_COLD === "1") {
    figures.push({ name: "real_engine_install_cold_s", value: installCold(), unit: "s" });
  } else {
    process.stderr.write(
      "real_engine_install_cold_s: skipped (set FLIGHTDECK_BENCH_COLD=1; about 10 minutes)\n",
    );
  }
  const status = await status20(real);
  figures.push(
    { name: "real_status_20_stacks_s", value: status.seconds, unit: "s", target: "<= 3" },
    { name: "real_status_20_stacks_pulumi_processes", value: status.processes, unit: "processes" },
  );
  if (existsSync(join(STANDINS, "pulumi-resource-aws"))) {
    const deploys = await deployOverhead(real);
    figures.push(
      { name: "real_deploy_overhead_s", value: deploys.first.overhead, unit: "s", target: "<= 1" },
      { name: "real_deploy_pulumi_processes", value: deploys.first.processes, unit: "processes" },
      { name: "real_redeploy_overhead_s", value: deploys.next.overhead, unit: "s", target: "<= 1" },
      { name: "real_redeploy_pulumi_processes", value: deploys.next.processes, unit: "processes" },
    );
  } else {
    process.stderr.write(
      "real_deploy_overhead_s: skipped (no stand-in providers in test/sandbox/providers/bin)\n",
    );
  }
  return figures;
}

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
 * - `real_deploy_overhead_s`: a deploy's wall time minus the `pulumi up` it
 *   wraps, in the sandbox (stand-in providers), image lookup answered at once.
 *   Target <= 1 s.
 * Without the engine these figures are skipped, saying why.
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
import { createLocalEngine, type LocalEngine } from "../../automation/engine/local.js";
import type { Engine } from "../../automation/engine.js";
import { createOperations } from "../../automation/operations.js";
import { mapBounded } from "../../automation/pool.js";
import { tinyProject } from "../automation/real-engine.js";
import { ensureBuilt, ROOT } from "../cli/build.js";
import type { Figure } from "./figure.js";

const STANDINS = join(ROOT, "test", "sandbox", "providers", "bin");

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

/** A `bin/pulumi` that counts its runs and hands over to the real one. */
function countingPulumi(real: string): { binDir: string; count: () => number } {
  const dir = mkdtempSync(join(tmpdir(), "flightdeck-bench-pulumi-"));
  const binDir = join(dir, "bin");
  const log = join(dir, "runs.log");
  mkdirSync(binDir);
  writeFileSync(join(binDir, "pulumi"), `#!/bin/sh\necho "$1 $2" >> '${log}'\nexec '${real}' "$@"\n`);
  chmodSync(join(binDir, "pulumi"), 0o755);
  writeFileSync(log, "");
  return {
    binDir,
    count: () =>
      readFileSync(log, "utf8")
        .split("\n")
        .filter((l) => l.length > 0 && !l.startsWith("version")).length,
  };
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
  // A fresh engine, as a new `flightdeck status` process has, spawning through the counting `pulumi`.
  const counter = countingPulumi(realPulumi);
  const engine = await createLocalEngine(project, {
    ...env,
    PATH: `${counter.binDir}${delimiter}${env.PATH ?? ""}`,
  });
  const ops = createOperations({ engine, projectDir: project, images, env, logDir: join(project, "logs") });
  const start = process.hrtime.bigint();
  const rows = await ops.status();
  const took = seconds(start);
  if (rows.length !== 20) throw new Error(`status listed ${rows.length} stacks, not 20`);
  return { seconds: took, processes: counter.count() };
}

/** Times every `up` of the engine it wraps. */
function timingUps(engine: LocalEngine): { engine: Engine; upSeconds: () => number } {
  let total = 0;
  const timed = Object.create(engine) as Engine;
  timed.up = async (stack, options) => {
    const start = process.hrtime.bigint();
    try {
      return await engine.up(stack, options);
    } finally {
      total += seconds(start);
    }
  };
  return { engine: timed, upSeconds: () => total };
}

async function deployOverhead(): Promise<number> {
  // A work tree of HEAD with this checkout's packages and build, so nothing of the checkout's own state is touched.
  const tree = mkdtempSync(join(tmpdir(), "flightdeck-bench-tree-"));
  rmSync(tree, { recursive: true });
  execFileSync("git", ["worktree", "add", "--detach", "--quiet", tree, "HEAD"], { cwd: ROOT });
  try {
    symlinkSync(join(ROOT, "node_modules"), join(tree, "node_modules"), "junction");
    cpSync(join(ROOT, "dist"), join(tree, "dist"), { recursive: true });
    const state = mkdtempSync(join(tmpdir(), "flightdeck-bench-state-"));
    const env = {
      ...process.env,
      PATH: `${STANDINS}${delimiter}${process.env.PATH ?? ""}`,
      PULUMI_BACKEND_URL: `file://${state}`,
      PULUMI_CONFIG_PASSPHRASE: "bench-passphrase",
    };
    const timing = timingUps(await createLocalEngine(tree, env));
    const ops = createOperations({
      engine: timing.engine,
      projectDir: tree,
      images,
      env,
      logDir: join(tree, "logs"),
    });
    const start = process.hrtime.bigint();
    await ops.deploy({ env: "testing", commit: "HEAD" });
    return seconds(start) - timing.upSeconds();
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
    figures.push({
      name: "real_deploy_overhead_s",
      value: await deployOverhead(),
      unit: "s",
      target: "<= 1",
    });
  } else {
    process.stderr.write(
      "real_deploy_overhead_s: skipped (no stand-in providers in test/sandbox/providers/bin)\n",
    );
  }
  return figures;
}

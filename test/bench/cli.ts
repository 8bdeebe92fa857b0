/**
 * CLI start-up figures (issue 4), on the compiled bin (`npm run build` first;
 * this module builds when `dist/` is older than the sources):
 * - `cli_help_s`: `node bin/flightdeck --help`, median wall time (target <= 0.3 s).
 * - `cli_status_empty_s`: `node bin/flightdeck status --json` on an empty local
 *   file backend (a fresh temp folder), median wall (target <= 1.0 s). Where no
 *   `pulumi` is on PATH (as on the machine this was written on) that is the
 *   time to the clear missing-CLI error, exit 2; a note on stderr says which.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, ensureBuilt, ROOT } from "../cli/build.js";
import { type Figure, median } from "./figure.js";

const RUNS = 9;

function timeRuns(
  args: string[],
  env: Record<string, string | undefined>,
): { seconds: number; codes: number[] } {
  const times: number[] = [];
  const codes: number[] = [];
  // One warm-up run: the first spawn pays for the OS file cache, not for flightdeck.
  spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: "utf8" });
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: "utf8" });
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
    codes.push(result.status ?? -1);
  }
  return { seconds: median(times), codes };
}

export async function bench(): Promise<Figure[]> {
  ensureBuilt();
  const base = { HOME: process.env.HOME, PATH: process.env.PATH, CI: "true" };
  const help = timeRuns(["--help"], base);
  const backend = mkdtempSync(join(tmpdir(), "flightdeck-bench-backend-"));
  const status = timeRuns(["status", "--json"], {
    ...base,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: "bench",
  });
  const missingCli = status.codes.every((c) => c === 2);
  process.stderr.write(
    missingCli
      ? "cli_status_empty_s: no `pulumi` on PATH here, so this is the time to the missing-CLI error (exit 2)\n"
      : `cli_status_empty_s: status --json on an empty file backend (exit codes ${[...new Set(status.codes)].join(",")})\n`,
  );
  return [
    { name: "cli_help_s", value: help.seconds, unit: "s", target: "<= 0.3" },
    { name: "cli_status_empty_s", value: status.seconds, unit: "s", target: "<= 1.0" },
  ];
}

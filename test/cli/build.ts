/** Make sure `dist/` is built from the current sources before spawning the real bin. */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const BIN = join(ROOT, "bin", "flightdeck");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (/\.(ts|tsx|json)$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** True when dist/cli/main.js is older than any source the build compiles. */
export function distIsStale(): boolean {
  const entry = join(ROOT, "dist", "cli", "main.js");
  if (!existsSync(entry)) return true;
  const built = statSync(entry).mtimeMs;
  return ["cli", "automation", "infra"].some((d) => newestSource(join(ROOT, d)) > built);
}

/**
 * Build once when stale (CI's `npm ci` already built through `prepare`). The real
 * bin runs compiled JavaScript, so this is what users run, not a tsx shortcut.
 */
export function ensureBuilt(): void {
  if (!distIsStale()) return;
  execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
}

/**
 * The engine runs the compiled program (`main` in Pulumi.yaml, `dist/...`),
 * not its TypeScript. A missing build would fail deep inside Pulumi with a
 * module-not-found trace, and a stale one would deploy yesterday's
 * infrastructure code without a word. So before running the program,
 * flightdeck checks that `main` exists and is newer than every source file of
 * the program (`infra/`, and the image tag names it reads from `images/`).
 * `npm run build` (run by `npm ci`) writes every output file, so the oldest
 * output is no older than the build.
 */
import { existsSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { ExitCode, UserError } from "../../infra/errors.js";

/** The program's sources, relative to the project. */
export const PROGRAM_SOURCES = ["infra", "images/image-tags.json"] as const;

async function newestSource(projectDir: string): Promise<{ path: string; mtimeMs: number } | undefined> {
  let newest: { path: string; mtimeMs: number } | undefined;
  const visit = async (path: string): Promise<void> => {
    const info = await stat(path);
    if (info.isDirectory()) {
      for (const entry of await readdir(path)) await visit(join(path, entry));
      return;
    }
    if (!/\.(ts|tsx|json)$/.test(path) || path.endsWith(".d.ts")) return;
    if (!newest || info.mtimeMs > newest.mtimeMs) newest = { path, mtimeMs: info.mtimeMs };
  };
  for (const source of PROGRAM_SOURCES) {
    const path = join(projectDir, source);
    if (existsSync(path)) await visit(path);
  }
  return newest;
}

/** Throws a UserError (exit 2) naming the command to run when the compiled program is missing or stale. */
export async function requireBuiltProgram(projectDir: string, main: string): Promise<void> {
  const mainPath = join(projectDir, main);
  if (!existsSync(mainPath)) {
    throw new UserError(`the program is not built: ${main} does not exist`, {
      tryMessage: "Run `npm run build` (or `npm ci`) in the project, then run this again.",
      exitCode: ExitCode.usage,
    });
  }
  const [built, source] = await Promise.all([stat(mainPath), newestSource(projectDir)]);
  if (source && source.mtimeMs > built.mtimeMs) {
    throw new UserError(
      `the program is out of date: ${relative(projectDir, source.path)} changed after ${main} was built`,
      {
        tryMessage: "Run `npm run build`, then run this again, so the code you see is the code that deploys.",
        exitCode: ExitCode.usage,
      },
    );
  }
}

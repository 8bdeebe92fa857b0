/**
 * Per-stack work directories for the Automation API engine.
 *
 * Why: Pulumi writes a stack's config into `Pulumi.<stack>.yaml` beside the
 * `Pulumi.yaml` it runs from (`pulumi config set`, `stack init` adding an
 * `encryptionsalt`). If flightdeck ran from the checkout, every deploy would
 * leave the committed `Pulumi.production.yaml` modified with `flightdeck:image`
 * and `flightdeck:release`, and a dirty tree blocks the next production deploy.
 * So each stack runs from its own folder under the gitignored `.flightdeck/`:
 *
 *   <project>/.flightdeck/stacks/<stack>/
 *     Pulumi.yaml           a copy of the project's, same name, runtime and `main`
 *     dist -> <project>/dist  one symlink: the first segment of `main`
 *     Pulumi.<stack>.yaml   rendered: the committed file + what flightdeck sets
 *
 * Pulumi requires `main` to be a relative path inside the project folder
 * ("project 'main' must be a subfolder", a check on the path text), so the
 * compiled program is reached through a symlink of `main`'s first segment
 * rather than a `../..` path. Because the folder lives inside the project,
 * Node and the Pulumi language host still find the project's `package.json`
 * and `node_modules` by searching upwards.
 *
 * Rendering keeps the committed file authoritative: every key it defines wins,
 * and keys it no longer defines disappear; only flightdeck's own keys
 * (`flightdeck:image`, `flightdeck:release`, `flightdeck:previewMeta`) carry
 * over from the previous rendering. A stack without a committed file (a
 * preview) keeps its whole config in the work directory; on a machine that has
 * never run it (CI reaping previews made elsewhere), the config is restored
 * from the last update recorded in the backend, which every backend keeps.
 */
import { existsSync } from "node:fs";
import { lstat, mkdir, readFile, readlink, rename, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join, normalize, sep } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { ExitCode, UserError } from "../../infra/errors.js";
import { MANAGED_KEYS } from "../config-map.js";

/** A `Pulumi.<stack>.yaml` document, as Pulumi writes it. */
export interface StackFile {
  secretsprovider?: string;
  encryptedkey?: string;
  encryptionsalt?: string;
  config?: Record<string, unknown>;
  [other: string]: unknown;
}

export const FLIGHTDECK_DIR = ".flightdeck";

export function workDirFor(projectDir: string, stack: string): string {
  return join(projectDir, FLIGHTDECK_DIR, "stacks", stack);
}

/** The folder project-level commands (`stack ls`) run from. */
export function projectWorkDir(projectDir: string): string {
  return join(projectDir, FLIGHTDECK_DIR, "workspace");
}

const ENCRYPTION_KEYS = ["secretsprovider", "encryptedkey", "encryptionsalt"] as const;

/**
 * The work directory's stack file: the committed file's config and encryption
 * settings, plus flightdeck's own keys from the previous rendering (or, for a
 * stack with no committed file, everything from it or from the recorded config).
 */
export function renderStackFile(input: {
  committed?: StackFile;
  current?: StackFile;
  /** Plain values of the config the last update ran with, when there is no current file. */
  recorded?: Record<string, unknown>;
  /** The encryption settings of the stack's state, when there is no current file. */
  encryption?: Partial<StackFile>;
}): StackFile {
  const { committed, current, recorded, encryption } = input;
  const out: StackFile = {};
  for (const key of ENCRYPTION_KEYS) {
    const value = committed?.[key] ?? current?.[key] ?? encryption?.[key];
    if (typeof value === "string") out[key] = value;
  }
  const previous = current?.config ?? recorded ?? {};
  const config: Record<string, unknown> = {};
  if (committed) {
    Object.assign(config, committed.config ?? {});
    for (const [key, value] of Object.entries(previous)) {
      // flightdeck's own keys, and secrets set on the stack (encrypted with its key), carry over.
      const carried = MANAGED_KEYS.includes(key) || isSecureValue(value);
      if (carried && !(key in config)) config[key] = value;
    }
  } else {
    Object.assign(config, previous);
  }
  out.config = config;
  return out;
}

/** A config value Pulumi encrypted: `{ secure: <ciphertext> }`. */
function isSecureValue(value: unknown): boolean {
  return (
    typeof value === "object" && value !== null && typeof (value as { secure?: unknown }).secure === "string"
  );
}

export function parseStackFile(text: string, source: string): StackFile {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new UserError(`${source} is not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new UserError(`${source} must be a YAML mapping`);
  return doc as StackFile;
}

export async function readStackFile(path: string): Promise<StackFile | undefined> {
  if (!existsSync(path)) return undefined;
  return parseStackFile(await readFile(path, "utf8"), path);
}

/**
 * The stack file as Pulumi reads it back. Pulumi's YAML reader resolves plain
 * scalars the YAML 1.1 way in places (a plain `2026-01-01T00:00:00.000Z` is a
 * timestamp, handed to the program as "2026-01-01 00:00:00 +0000 UTC":
 * sdk/go/common/resource/config/object.go, `unmarshalObject`), which the
 * YAML 1.2 writer's default would leave unquoted. Written as YAML 1.1, every
 * string that could be read as anything else (a time, `yes`, `on`) is quoted,
 * so `flightdeck:release.at` reaches the program as the ISO string it is.
 */
export function renderStackFileText(file: StackFile): string {
  const header =
    "# Rendered by flightdeck from the committed stack file; do not edit (see automation/engine/workdir.ts).\n";
  return header + stringifyYaml(file, { version: "1.1" });
}

export async function writeStackFile(path: string, file: StackFile): Promise<void> {
  await writeFileAtomic(path, renderStackFileText(file));
}

/**
 * Write only when the text changes, through a temp file and a rename: a
 * `pulumi` process of a concurrent read (status reads config, outputs and
 * history of a stack at once) never sees a half-written file.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const existing = existsSync(path) ? await readFile(path, "utf8") : undefined;
  if (existing === text) return;
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temp, text);
  await rename(temp, path);
}

/** The project's `Pulumi.yaml`, with what the work directory needs from it. */
export interface ProjectFile {
  name: string;
  main: string;
  /** Where the committed stack files live, relative to the project (default: the project itself). */
  stackConfigDir?: string;
  doc: Record<string, unknown>;
}

export async function readProjectFile(projectDir: string): Promise<ProjectFile> {
  const path = join(projectDir, "Pulumi.yaml");
  if (!existsSync(path)) {
    throw new UserError(`no Pulumi.yaml in ${projectDir}`, {
      tryMessage:
        "Run flightdeck from the project's checkout (the folder with Pulumi.yaml), or pass --project.",
    });
  }
  const doc = parseStackFile(await readFile(path, "utf8"), path) as Record<string, unknown>;
  const name = doc.name;
  const main = doc.main;
  if (typeof name !== "string" || name.length === 0) throw new UserError(`${path}: 'name' is required`);
  if (
    typeof main !== "string" ||
    main.length === 0 ||
    main.startsWith("/") ||
    normalize(main).startsWith("..")
  ) {
    throw new UserError(
      `${path}: 'main' must be a relative path to the compiled program (like dist/infra/main.js)`,
      {
        exitCode: ExitCode.usage,
      },
    );
  }
  const stackConfigDir = typeof doc.stackConfigDir === "string" ? doc.stackConfigDir : undefined;
  return { name, main, stackConfigDir, doc };
}

export function committedStackFilePath(projectDir: string, project: ProjectFile, stack: string): string {
  return join(projectDir, project.stackConfigDir ?? ".", `Pulumi.${stack}.yaml`);
}

/** The first path segment of `main`, which the work directory links to. */
export function mainRoot(main: string): string {
  const first = normalize(main)
    .split(sep)
    .find((part) => part !== "." && part.length > 0);
  if (!first) throw new UserError(`Pulumi.yaml: 'main' (${main}) names no file`);
  return first;
}

async function ensureSymlink(linkPath: string, target: string): Promise<void> {
  try {
    const info = await lstat(linkPath);
    if (info.isSymbolicLink() && (await readlink(linkPath)) === target) return;
    await rm(linkPath, { recursive: true, force: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await symlink(target, linkPath, "junction");
}

/**
 * Create or refresh a work directory: `Pulumi.yaml` (without `stackConfigDir`,
 * since the rendered stack file sits beside it) and the symlink to the program.
 */
export async function prepareProjectFiles(
  workDir: string,
  projectDir: string,
  project: ProjectFile,
): Promise<void> {
  await mkdir(workDir, { recursive: true });
  const doc = { ...project.doc };
  delete doc.stackConfigDir;
  const header =
    "# Copied by flightdeck from the project's Pulumi.yaml (see automation/engine/workdir.ts).\n";
  const text = header + stringifyYaml(doc);
  await writeFileAtomic(join(workDir, "Pulumi.yaml"), text);
  const root = mainRoot(project.main);
  await ensureSymlink(join(workDir, root), join(projectDir, root));
}

export async function removeWorkDir(workDir: string): Promise<void> {
  if (existsSync(dirname(workDir))) await rm(workDir, { recursive: true, force: true });
}

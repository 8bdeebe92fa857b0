/**
 * A DIY backend's state (a folder or an S3 bucket), read from its own files in
 * one pass with no `pulumi` process: which stacks exist, their resource counts
 * and outputs (the checkpoint), and their update history. Read the way Pulumi
 * 3.248 reads them (pkg/backend/diy):
 *
 * - Layout, `.pulumi/meta.yaml` (`readPulumiMeta`/`ensurePulumiMeta` in
 *   meta.go): version 1 keeps each project's stacks in a folder of its own,
 *   version 0 (or no file, with stack files already at the top) is the legacy
 *   layout without projects (`projectReferenceStore`/`legacyReferenceStore`
 *   in store.go). Any other version is left to the CLI.
 * - Checkpoint, `.pulumi/stacks/<project>/<stack>.json` (`.json.gz` with
 *   PULUMI_DIY_BACKEND_GZIP, `.json.zst` with ..._ZSTD): the most recently
 *   modified variant counts (`stackPath` in state.go); a stack exists exactly
 *   when one does (`stackExists`). Compression is told by magic bytes
 *   (`encoding.DetectCompression`). A versioned checkpoint `{version: 3|4,
 *   checkpoint: {latest: {manifest, resources}}}` (`getCheckpoint`).
 * - `stack ls`: last update = `latest.manifest.time`, resource count = the
 *   number of `latest.resources` (`diyStackSummary` in stack.go).
 * - Outputs: the root `pulumi:pulumi:Stack` resource's `outputs`
 *   (`GetRootStackResource` in pkg/resource/stack/checkpoint.go).
 * - History, `.pulumi/history/<project>/<stack>/<stack>-<unix nanos>.history.json`
 *   beside `.checkpoint.json` copies (`addToHistory` in state.go), newest last
 *   by name (`getHistory` reverses the sorted listing). Times are Unix seconds;
 *   the DIY backend writes no version number.
 *
 * Secrets are never decrypted: a value Pulumi encrypted makes that read
 * `undefined` ("ask the CLI"), except where the CLI itself would not show it.
 */
import { gunzip } from "node:zlib";
import * as zlib from "node:zlib";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import type * as Auto from "@pulumi/pulumi/automation/index.js";
import { mapBounded } from "../pool.js";
import type { DiyStore, StoreEntry } from "./diy-store.js";

/** The reader cannot answer this (an unknown layout or format): the CLI must. */
export class DiyUnreadableError extends Error {
  override readonly name = "DiyUnreadableError";
}

const META = ".pulumi/meta.yaml";
const STACKS = ".pulumi/stacks";
const HISTORY = ".pulumi/history";
/** `<stack>.json[.gz|.zst]`, with a valid stack name (`tokens.ParseStackName`). */
const STACK_FILE = /^([A-Za-z0-9_.-]+)\.json(\.gz|\.zst)?$/;
const HISTORY_FILE = /\.history\.json(\.gz|\.zst)?$/;
/** `resource.RootStackType`. */
const ROOT_STACK = "pulumi:pulumi:Stack";
/** Pulumi's special-value signature key, and the signature of a secret (pkg/resource/stack, sdk `sig`). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

const gunzipAsync = promisify(gunzip);

/** A state file's JSON, decompressed when its magic bytes say gzip or zstd. */
export async function decodeStateFile(bytes: Buffer, key: string): Promise<unknown> {
  let text: Buffer = bytes;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) text = await gunzipAsync(bytes);
  else if (bytes.readUInt32LE(0) === 0xfd2fb528) {
    const zstd = (zlib as unknown as { zstdDecompressSync?: (b: Buffer) => Buffer }).zstdDecompressSync;
    if (!zstd) throw new DiyUnreadableError(`${key} is zstd-compressed, which this Node.js cannot read`);
    text = zstd(bytes);
  }
  try {
    return JSON.parse(text.toString("utf8"));
  } catch (error) {
    throw new DiyUnreadableError(`${key} is not JSON: ${(error as Error).message}`);
  }
}

/** Stack names of a stacks folder, each with its current file (the newest variant, as `stackPath` picks it). */
export function stackFilesOf(entries: StoreEntry[]): Map<string, StoreEntry> {
  const out = new Map<string, StoreEntry>();
  for (const entry of entries) {
    const name = STACK_FILE.exec(entry.name)?.[1];
    if (!name) continue;
    const seen = out.get(name);
    if (!seen || entry.modified >= seen.modified) out.set(name, entry);
  }
  return out;
}

/** History file names, newest first. */
export function historyFilesOf(entries: StoreEntry[]): string[] {
  return entries
    .map((e) => e.name)
    .filter((n) => HISTORY_FILE.test(n))
    .reverse();
}

export interface Checkpoint {
  latest?: { manifest?: { time?: string }; secrets_providers?: unknown; resources?: CheckpointResource[] };
}
interface CheckpointResource {
  type?: string;
  parent?: string;
  outputs?: Record<string, unknown>;
}

/** The checkpoint of a versioned checkpoint file (versions 3 and 4: `UnmarshalVersionedCheckpointToLatestCheckpoint`). */
export function checkpointOf(doc: unknown, key: string): Checkpoint {
  const versioned = doc as { version?: unknown; checkpoint?: unknown } | null;
  if (versioned?.version !== 3 && versioned?.version !== 4) {
    throw new DiyUnreadableError(`${key}: checkpoint version ${String(versioned?.version)} is not read here`);
  }
  return (versioned.checkpoint ?? {}) as Checkpoint;
}

/** `cmd.FormatTime`: RFC 5424 with milliseconds (truncated, as Go's layout does), as `stack ls --json` prints it. */
export function lastUpdateOf(checkpoint: Checkpoint): string | undefined {
  const time = checkpoint.latest?.manifest?.time;
  if (!time || time.startsWith("0001-01-01")) return undefined;
  const ms = Date.parse(time.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** What anything holds: plain data, a secret, or another special value (asset, resource reference, ...). */
function specialsIn(value: unknown, found: { secret: boolean; other: boolean }): void {
  if (Array.isArray(value)) for (const v of value) specialsIn(v, found);
  else if (value !== null && typeof value === "object") {
    const sig = (value as Record<string, unknown>)[SIG_KEY];
    if (sig === SECRET_SIG) found.secret = true;
    else if (sig !== undefined) found.other = true;
    else for (const v of Object.values(value)) specialsIn(v, found);
  }
}

/**
 * The stack's outputs as `pulumi stack output --json --show-secrets` gives them
 * (the Automation API's `outputs()`), or undefined when one holds a secret or
 * another special value: only the CLI may decrypt, and it does it then.
 */
export function outputsOf(checkpoint: Checkpoint): Auto.OutputMap | undefined {
  const root = checkpoint.latest?.resources?.find((r) => r.type === ROOT_STACK && !r.parent);
  const outputs: Auto.OutputMap = {};
  for (const [key, value] of Object.entries(root?.outputs ?? {})) {
    const found = { secret: false, other: false };
    specialsIn(value, found);
    if (found.secret || found.other) return undefined;
    outputs[key] = { value, secret: false };
  }
  return outputs;
}

/** JSON as Go's `json.Marshal` writes it: keys sorted, compact, `<>&` escaped. */
export function goJson(value: unknown): string {
  const write = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(write).join(",")}]`;
    if (v !== null && typeof v === "object") {
      const keys = Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${keys.map((k) => `${JSON.stringify(k)}:${write((v as Record<string, unknown>)[k])}`).join(",")}}`;
    }
    return JSON.stringify(v) ?? "null";
  };
  return write(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** `{ "secure": <ciphertext> }`, how Pulumi writes an encrypted config value (`isSecureValue`, config/object.go). */
function isSecure(value: unknown): boolean {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return (
    keys.length === 1 && keys[0] === "secure" && typeof (value as { secure: unknown }).secure === "string"
  );
}

export function holdsSecure(value: unknown): boolean {
  if (isSecure(value)) return true;
  if (Array.isArray(value)) return value.some(holdsSecure);
  if (value !== null && typeof value === "object") return Object.values(value).some(holdsSecure);
  return false;
}

/**
 * A config value as the CLI shows it (`config.Value.Value` then its text, as
 * `pulumi config --json` and `stack history --json` print it): a string as
 * is, anything else as Go's JSON. An encrypted one is `{ secret: true }` with
 * no value, as without `--show-secrets`.
 */
export function configValueOf(value: unknown): Auto.ConfigValue {
  if (holdsSecure(value)) return { secret: true } as Auto.ConfigValue;
  return { value: typeof value === "string" ? value : goJson(value), secret: false };
}

/** One history file (a `backend.UpdateInfo`) as the Automation API's `Stack.history` returns it. */
export function updateSummaryOf(info: Record<string, unknown>): Auto.UpdateSummary {
  const result = String(info.result ?? "");
  const config: Auto.ConfigMap = {};
  for (const [key, value] of Object.entries((info.config ?? {}) as Record<string, unknown>)) {
    config[key] = configValueOf(value);
  }
  const seconds = (v: unknown) => new Date(Number(v ?? 0) * 1000);
  const summary = {
    version: Number(info.version ?? 0),
    kind: String(info.kind ?? ""),
    startTime: seconds(info.startTime),
    message: String(info.message ?? ""),
    environment: (info.environment ?? null) as Record<string, string>,
    config,
    result,
  } as unknown as Auto.UpdateSummary;
  // `buildUpdatesJSON` in pkg/cmd/pulumi/stack/stack_history.go: an end and changes once finished.
  if (result !== "in-progress") {
    summary.endTime = seconds(info.endTime);
    summary.resourceChanges = { ...((info.resourceChanges ?? {}) as Record<string, number>) };
  }
  return summary;
}

/** The stack list of `pulumi stack ls --json`, as the Automation API returns it. */
export interface DiyStackSummary {
  name: string;
  lastUpdate?: string;
  resourceCount?: number;
}

export class DiyState {
  /** The layout, once meta.yaml has said it (a state without one gets one on Pulumi's first use). */
  private layout?: "project" | "legacy";

  constructor(
    readonly store: DiyStore,
    private readonly project: string,
  ) {}

  /** Project folders (meta.yaml version 1, or a new state), else the legacy layout. */
  private async projectMode(): Promise<boolean> {
    if (this.layout) return this.layout === "project";
    const meta = await this.store.read(META);
    if (meta === undefined) return stackFilesOf(await this.store.list(STACKS)).size === 0;
    const version = (parseYaml(meta.toString("utf8")) as { version?: unknown } | null)?.version;
    if (version !== 0 && version !== 1) {
      throw new DiyUnreadableError(`${META} has version ${String(version)}, which is not read here`);
    }
    this.layout = version === 1 ? "project" : "legacy";
    return version === 1;
  }

  private async stacksDir(): Promise<string> {
    return (await this.projectMode()) ? `${STACKS}/${this.project}` : STACKS;
  }

  private async historyDir(stack: string): Promise<string> {
    return (await this.projectMode()) ? `${HISTORY}/${this.project}/${stack}` : `${HISTORY}/${stack}`;
  }

  /** The project's stacks, by name. */
  async stackFiles(): Promise<Map<string, StoreEntry>> {
    return stackFilesOf(await this.store.list(await this.stacksDir()));
  }

  /** The stack's checkpoint; undefined when the stack does not exist. */
  async checkpoint(stack: string): Promise<Checkpoint | undefined> {
    const dir = await this.stacksDir();
    const file = stackFilesOf(await this.store.list(dir)).get(stack);
    return file ? this.readCheckpoint(`${dir}/${file.name}`) : undefined;
  }

  private async readCheckpoint(key: string): Promise<Checkpoint> {
    const bytes = await this.store.read(key);
    if (bytes === undefined) throw new DiyUnreadableError(`${key} vanished while being read`);
    return checkpointOf(await decodeStateFile(bytes, key), key);
  }

  /** Every stack of the project, sorted by name, as `pulumi stack ls` lists them. */
  async listStacks(): Promise<DiyStackSummary[]> {
    const dir = await this.stacksDir();
    const files = [...(await this.stackFiles()).entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    return mapBounded(files, 8, async ([name, file]) => {
      const checkpoint = await this.readCheckpoint(`${dir}/${file.name}`);
      const lastUpdate = lastUpdateOf(checkpoint);
      const resources = checkpoint.latest?.resources;
      return {
        name,
        ...(lastUpdate ? { lastUpdate } : {}),
        ...(checkpoint.latest ? { resourceCount: resources?.length ?? 0 } : {}),
      };
    });
  }

  /**
   * One page of the stack's history (all of it without `pageSize`), newest
   * first, with the number of entries in all; undefined when `showSecrets`
   * asks for a secret only the CLI can decrypt.
   */
  async history(
    stack: string,
    options: { pageSize?: number; page?: number; showSecrets?: boolean } = {},
  ): Promise<{ total: number; summaries: Auto.UpdateSummary[] } | undefined> {
    const dir = await this.historyDir(stack);
    const files = historyFilesOf(await this.store.list(dir));
    const size = options.pageSize && options.pageSize > 0 ? Math.floor(options.pageSize) : files.length;
    const start = (Math.max(1, Math.floor(options.page ?? 1)) - 1) * size;
    const infos = await mapBounded(files.slice(start, start + size), 8, async (name) => {
      const key = `${dir}/${name}`;
      const bytes = await this.store.read(key);
      if (bytes === undefined) throw new DiyUnreadableError(`${key} vanished while being read`);
      return (await decodeStateFile(bytes, key)) as Record<string, unknown>;
    });
    if (options.showSecrets && infos.some((i) => holdsSecure(i.config ?? {}))) return undefined;
    return { total: files.length, summaries: infos.map(updateSummaryOf) };
  }
}

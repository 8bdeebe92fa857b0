/**
 * The real `Engine`: Pulumi's Automation API (`LocalWorkspace`) over the
 * project's own `Pulumi.yaml` program — not an inline program, since Node
 * inline programs allow one update per process (pulumi/pulumi#5449) and
 * reaping or status touch many stacks from one process.
 *
 * - Backend: `PULUMI_BACKEND_URL` when set (an S3 bucket for teams and CI),
 *   else a file backend in `~/.flightdeck/state`, created on first use.
 * - Secrets: `PULUMI_CONFIG_PASSPHRASE` / `PULUMI_CONFIG_PASSPHRASE_FILE`, or a
 *   KMS `secretsprovider` in the stack's committed file (previews use the
 *   previews base stack's); neither is a clear `UserError`.
 * - Each stack runs from its own work directory (see `workdir.ts`) so the
 *   committed `Pulumi.<env>.yaml` is never modified by a deploy.
 * - Cancellation: the Automation API sends the `pulumi` process SIGINT when
 *   `RunOptions.signal` aborts, which is Pulumi's own graceful cancel (it
 *   finishes in-flight resource operations, writes the state and releases the
 *   lock); we then reject with `UpdateCancelledError`. `cancel(stack)` maps to
 *   `pulumi cancel` (`Stack.cancel()`), for an update run by another process;
 *   it is never called automatically, because on a running update of our own
 *   it would drop the lock while the process still writes state.
 *
 * Nothing here ran against a real `pulumi` on the machine this was written on
 * (none installed); the contract test (`test/automation/engine.contract.test.ts`)
 * runs it wherever `pulumi` is on PATH.
 */
import { existsSync } from "node:fs";
import { access, constants, mkdir } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, delimiter, dirname, join } from "node:path";
import type * as Auto from "@pulumi/pulumi/automation/index.js";
import { ExitCode, UserError } from "../../infra/errors.js";
import { plainValues } from "../config-map.js";
import { isPreviewStackName } from "../../infra/naming.js";
import {
  type ConfigMap,
  type Engine,
  type EngineEvent,
  type EngineStackSummary,
  EngineUnavailableError,
  type OutputMap,
  type RunOptions,
  type RunResult,
  StackLockedError,
  StackNotEmptyError,
  StackNotFoundError,
  UpdateCancelledError,
  UpdateFailedError,
  type UpdateKind,
  type UpdateRecord,
  type UpdateResult,
} from "../engine.js";
import type { ResourceOp } from "../events.js";
import {
  committedStackFilePath,
  type ProjectFile,
  prepareProjectFiles,
  projectWorkDir,
  readProjectFile,
  readStackFile,
  removeWorkDir,
  renderStackFile,
  type StackFile,
  workDirFor,
  writeStackFile,
} from "./workdir.js";

type AutomationModule = typeof Auto;
/** The queue key of the project-level work directory (not a valid stack name, so it never collides). */
const PROJECT_QUEUE = "/project";
type Env = Record<string, string | undefined>;

// ---------------------------------------------------------------------------
// Pure pieces (tested without a Pulumi CLI)
// ---------------------------------------------------------------------------

/** The full path of an executable on PATH, or undefined. */
export async function findOnPath(name: string, env: Env): Promise<string | undefined> {
  const dirs = (env.PATH ?? "").split(delimiter).filter((d) => d.length > 0);
  const names = process.platform === "win32" ? [`${name}.exe`, `${name}.cmd`, name] : [name];
  for (const dir of dirs) {
    for (const candidate of names) {
      const path = join(dir, candidate);
      try {
        await access(path, constants.X_OK);
        return path;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** `PULUMI_BACKEND_URL`, else the per-user file backend (a folder, created on first use). */
export function backendUrlFor(env: Env, home: string = homedir()): { url: string; localDir?: string } {
  const configured = env.PULUMI_BACKEND_URL?.trim();
  if (configured) return { url: configured };
  const localDir = join(home, ".flightdeck", "state");
  return { url: `file://${localDir}`, localDir };
}

const KMS_PROVIDER = /^(awskms|gcpkms|azurekeyvault|hashivault):\/\//;

export type SecretsSource = { kind: "passphrase" } | { kind: "provider"; provider: string };

/** Where a stack's secrets are encrypted with, or a UserError saying what to set. */
export function secretsSourceFor(stack: string, env: Env, stackFile?: StackFile): SecretsSource {
  const provider = stackFile?.secretsprovider;
  if (typeof provider === "string" && KMS_PROVIDER.test(provider)) return { kind: "provider", provider };
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined || env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    return { kind: "passphrase" };
  }
  throw new UserError(`no way to encrypt the secrets of stack '${stack}'`, {
    tryMessage:
      "Set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE, a file holding it), or set `secretsprovider: awskms://<key>` in the stack's Pulumi.<stack>.yaml.",
    nextSteps: ["In CI, keep the passphrase in a secured repository variable."],
    exitCode: ExitCode.usage,
  });
}

/** Who holds a lock and since when, from Pulumi's lock message (file and S3 backends say it; Pulumi Cloud does not). */
export function parseLockHolder(message: string): { holder?: string; since?: string } {
  const m = /created by (\S+ \(pid \d+\)) at (\S+)/.exec(message);
  return m ? { holder: m[1], since: m[2] } : {};
}

const OP_MAP: Record<string, ResourceOp> = {
  same: "same",
  create: "create",
  update: "update",
  delete: "delete",
  replace: "replace",
  "create-replacement": "replace",
  "delete-replaced": "replace",
  read: "read",
  "read-replacement": "read",
  refresh: "refresh",
  discard: "delete",
  "discard-replaced": "delete",
  "remove-pending-replace": "delete",
  import: "create",
  "import-replacement": "replace",
};

export function resourceOpOf(op: string): ResourceOp {
  return OP_MAP[op] ?? "update";
}

export function changesOf(
  map: Partial<Record<string, number>> | undefined,
): Partial<Record<ResourceOp, number>> {
  const out: Partial<Record<ResourceOp, number>> = {};
  for (const [op, count] of Object.entries(map ?? {})) {
    if (!count) continue;
    const mapped = resourceOpOf(op);
    out[mapped] = (out[mapped] ?? 0) + count;
  }
  return out;
}

function nameOfUrn(urn: string): string {
  const parts = urn.split("::");
  return parts[parts.length - 1] ?? urn;
}

/** The Automation API's engine event as ours; undefined for events we do not surface. */
export function toEngineEvent(event: Auto.EngineEvent): EngineEvent | undefined {
  const resourceEvent = (
    meta: Auto.StepEventMetadata,
    status: "started" | "done" | "failed",
    error?: string,
  ): EngineEvent => ({
    kind: "resource",
    urn: meta.urn,
    resourceType: meta.type,
    name: nameOfUrn(meta.urn),
    op: resourceOpOf(meta.op),
    status,
    ...(error ? { error } : {}),
  });
  if (event.resourcePreEvent) return resourceEvent(event.resourcePreEvent.metadata, "started");
  if (event.resOutputsEvent) return resourceEvent(event.resOutputsEvent.metadata, "done");
  if (event.resOpFailedEvent) {
    return resourceEvent(
      event.resOpFailedEvent.metadata,
      "failed",
      `status ${event.resOpFailedEvent.status}`,
    );
  }
  if (event.diagnosticEvent) {
    const d = event.diagnosticEvent;
    if (d.ephemeral) return undefined;
    const severity = d.severity === "warning" || d.severity === "error" ? d.severity : "info";
    return { kind: "diagnostic", severity, message: d.message.trimEnd(), ...(d.urn ? { urn: d.urn } : {}) };
  }
  if (event.policyEvent) {
    const p = event.policyEvent;
    return {
      kind: "diagnostic",
      severity: p.enforcementLevel === "mandatory" ? "error" : "warning",
      message: `[${p.policyPackName}/${p.policyName}] ${p.message.trimEnd()}`,
      ...(p.resourceUrn ? { urn: p.resourceUrn } : {}),
    };
  }
  if (event.summaryEvent) return { kind: "summary", changes: changesOf(event.summaryEvent.resourceChanges) };
  return undefined;
}

const KINDS: Record<string, UpdateKind> = {
  update: "update",
  preview: "preview",
  refresh: "refresh",
  destroy: "destroy",
  rename: "rename",
};

export function toUpdateRecord(summary: Auto.UpdateSummary): UpdateRecord {
  const config: ConfigMap = {};
  for (const [key, value] of Object.entries(summary.config ?? {})) {
    config[key] = value.secret ? { value: "[secret]", secret: true } : { value: String(value.value) };
  }
  const time = (value: Date | string | undefined) =>
    value === undefined ? undefined : new Date(value).toISOString();
  return {
    version: summary.version,
    kind: KINDS[summary.kind] ?? "other",
    result: summary.result as UpdateResult,
    message: summary.message ?? "",
    startTime: time(summary.startTime) ?? new Date(0).toISOString(),
    ...(summary.endTime ? { endTime: time(summary.endTime) } : {}),
    config,
    environment: { ...(summary.environment ?? {}) },
    ...(summary.resourceChanges ? { resourceChanges: changesOf(summary.resourceChanges) } : {}),
  };
}

/** The last meaningful line of a failed command, for the error message (Pulumi masks secrets in it). */
export function failureReason(stderr: string, diagnostics: string[]): string {
  const lastDiagnostic = diagnostics[diagnostics.length - 1];
  if (lastDiagnostic) return lastDiagnostic.split("\n")[0]?.trim() ?? lastDiagnostic;
  // `CommandError.message` reads "code: N\n stdout: ...\n stderr: ...".
  const lines = stderr
    .split("\n")
    .filter((l) => !/^\s*code:/.test(l))
    .map((l) => l.replace(/^\s*(stdout|stderr|err\?):\s*/, "").trim())
    .filter((l) => l.length > 0);
  const error = lines.find((l) => /^error:/i.test(l));
  return (error ?? lines[lines.length - 1] ?? "pulumi exited with an error").slice(0, 500);
}

// ---------------------------------------------------------------------------
// The engine
// ---------------------------------------------------------------------------

/** A `pulumi` command that is not an update failed (reading config, history, the stack list...). */
export class EngineCommandError extends UserError {
  constructor(stack: string, reason: string, cause?: unknown) {
    super(`pulumi could not complete a command on '${stack}': ${reason}`, {
      tryMessage:
        "Check the backend (PULUMI_BACKEND_URL and its credentials) and the secrets passphrase, then try again.",
      exitCode: ExitCode.failed,
      cause,
    });
    this.name = "EngineCommandError";
  }
}

export interface LocalEngineOptions {
  projectDir: string;
  env: Env;
  /** Path of the `pulumi` binary (found on PATH by `createLocalEngine`). */
  pulumiPath: string;
}

/**
 * The real engine, or `EngineUnavailableError` (exit 2) at once when no
 * `pulumi` binary is on PATH.
 */
export async function createLocalEngine(projectDir: string, env: Env = process.env): Promise<LocalEngine> {
  const pulumiPath = await findOnPath("pulumi", env);
  if (!pulumiPath) throw new EngineUnavailableError("no `pulumi` binary on PATH");
  return new LocalEngine({ projectDir, env, pulumiPath });
}

export class LocalEngine implements Engine {
  readonly kind = "local" as const;
  private readonly projectDir: string;
  private readonly env: Env;
  private readonly pulumiPath: string;
  private auto?: Promise<AutomationModule>;
  private command?: Promise<Auto.PulumiCommand>;
  private project?: Promise<ProjectFile>;
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Updates this engine is running, by stack, so `cancel(stack)` can stop them gracefully. */
  private readonly running = new Map<string, AbortController>();

  constructor(options: LocalEngineOptions) {
    this.projectDir = options.projectDir;
    this.env = options.env;
    this.pulumiPath = options.pulumiPath;
  }

  async listStacks(): Promise<EngineStackSummary[]> {
    const ws = await this.serialized(PROJECT_QUEUE, () =>
      this.workspace(projectWorkDir(this.projectDir), undefined),
    );
    const stacks = await this.mapErrors("(all stacks)", "other", () => ws.listStacks());
    return stacks.map((s) => ({
      // A file or S3 backend may list `organization/<project>/<stack>`.
      name: s.name.split("/").pop() ?? s.name,
      ...(s.lastUpdate ? { lastUpdate: new Date(s.lastUpdate).toISOString() } : {}),
      updateInProgress: s.updateInProgress ?? false,
      ...(s.resourceCount !== undefined ? { resourceCount: s.resourceCount } : {}),
    }));
  }

  async ensureStack(stack: string): Promise<void> {
    const { ws } = await this.prepare(stack);
    const auto = await this.automation();
    await this.mapErrors(stack, "other", () => auto.Stack.createOrSelect(stack, ws));
  }

  async getConfig(stack: string): Promise<ConfigMap> {
    const s = await this.select(stack);
    const all = await this.mapErrors(stack, "other", () => s.getAllConfig());
    const out: ConfigMap = {};
    for (const [key, value] of Object.entries(all)) out[key] = { value: value.value, secret: value.secret };
    return out;
  }

  /**
   * Plain values are written into the work directory's stack file (as objects,
   * like the committed file); secret values go through `pulumi config set` so
   * Pulumi encrypts them.
   */
  async setConfig(stack: string, values: ConfigMap): Promise<void> {
    const s = await this.select(stack);
    const path = join(workDirFor(this.projectDir, stack), `Pulumi.${stack}.yaml`);
    await this.serialized(stack, async () => {
      const current = (await readStackFile(path)) ?? {};
      await writeStackFile(path, {
        ...current,
        config: { ...(current.config ?? {}), ...plainValues(values) },
      });
    });
    const secrets = Object.fromEntries(Object.entries(values).filter(([, v]) => v.secret));
    if (Object.keys(secrets).length > 0) {
      await this.mapErrors(stack, "other", () => s.setAllConfig(secrets));
    }
  }

  async up(stack: string, options: RunOptions = {}): Promise<RunResult> {
    const result = await this.runUpdate(stack, "update", options, (s, o) => s.up(o));
    return { changes: changesOf(result.summary.resourceChanges), outputs: copyOutputs(result.outputs) };
  }

  async preview(stack: string, options: RunOptions = {}): Promise<RunResult> {
    const result = await this.runUpdate(stack, "preview", options, (s, o) => s.preview(o));
    return { changes: changesOf(result.changeSummary) };
  }

  async refresh(stack: string, options: RunOptions = {}): Promise<RunResult> {
    const result = await this.runUpdate(stack, "refresh", options, (s, o) => s.refresh(o));
    return { changes: changesOf(result.summary.resourceChanges) };
  }

  async destroy(stack: string, options: RunOptions = {}): Promise<RunResult> {
    const result = await this.runUpdate(stack, "destroy", options, (s, o) => s.destroy(o));
    return { changes: changesOf(result.summary.resourceChanges) };
  }

  async outputs(stack: string): Promise<OutputMap> {
    const s = await this.select(stack);
    return copyOutputs(await this.mapErrors(stack, "other", () => s.outputs()));
  }

  async history(stack: string, limit?: number): Promise<UpdateRecord[]> {
    const s = await this.select(stack);
    const summaries = await this.mapErrors(stack, "other", () =>
      s.history(limit, limit === undefined ? undefined : 1, false),
    );
    return summaries.map(toUpdateRecord);
  }

  /** `pulumi stack rm` without `--force`: Pulumi refuses while resources remain. */
  async removeStack(stack: string): Promise<void> {
    const { ws } = await this.prepare(stack);
    await this.mapErrors(stack, "other", () => ws.removeStack(stack));
    await removeWorkDir(workDirFor(this.projectDir, stack));
  }

  /**
   * An update this engine runs is stopped the graceful way (SIGINT to its
   * `pulumi` process); one run elsewhere goes through `pulumi cancel`.
   */
  async cancel(stack: string): Promise<void> {
    const own = this.running.get(stack);
    if (own) {
      own.abort();
      return;
    }
    const s = await this.select(stack);
    await this.mapErrors(stack, "other", () => s.cancel());
  }

  // -------------------------------------------------------------------------

  private automation(): Promise<AutomationModule> {
    // Loaded on first use: the Automation API pulls in gRPC and friends, which
    // the offline plan, the memory engine and `--help` never need.
    this.auto ??= import("@pulumi/pulumi/automation/index.js");
    return this.auto;
  }

  private pulumiCommand(): Promise<Auto.PulumiCommand> {
    this.command ??= this.automation().then(async (auto) => {
      try {
        // `PulumiCommand.get` runs `<root>/bin/pulumi` (or `pulumi` from PATH) and checks its version.
        const binDir = dirname(this.pulumiPath);
        const root = basename(binDir) === "bin" ? dirname(binDir) : undefined;
        return await auto.PulumiCommand.get(root ? { root } : {});
      } catch (error) {
        throw new EngineUnavailableError(
          `\`${this.pulumiPath}\` could not be used: ${(error as Error).message.split("\n")[0]}`,
        );
      }
    });
    return this.command;
  }

  private projectFile(): Promise<ProjectFile> {
    this.project ??= readProjectFile(this.projectDir);
    return this.project;
  }

  private async workspace(
    workDir: string,
    secretsProvider: string | undefined,
  ): Promise<Auto.LocalWorkspace> {
    const [auto, pulumiCommand, project] = await Promise.all([
      this.automation(),
      this.pulumiCommand(),
      this.projectFile(),
    ]);
    await prepareProjectFiles(workDir, this.projectDir, project);
    const backend = backendUrlFor(this.env);
    if (backend.localDir) await mkdir(backend.localDir, { recursive: true });
    const envVars: Record<string, string> = {
      PULUMI_BACKEND_URL: backend.url,
      PULUMI_SKIP_UPDATE_CHECK: "true",
    };
    for (const key of ["PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_HOME"] as const) {
      const value = this.env[key];
      if (value !== undefined) envVars[key] = value;
    }
    return auto.LocalWorkspace.create({
      workDir,
      pulumiCommand,
      envVars,
      ...(secretsProvider ? { secretsProvider } : {}),
    });
  }

  /** Run `work` after every earlier call for the same key has finished (the work directory's files). */
  private serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return next;
  }

  /** Render the stack's work directory and open a workspace on it (one rendering at a time per stack). */
  private prepare(stack: string): Promise<{ ws: Auto.LocalWorkspace; restored: boolean }> {
    return this.serialized(stack, () => this.render(stack));
  }

  private async render(stack: string): Promise<{ ws: Auto.LocalWorkspace; restored: boolean }> {
    const project = await this.projectFile();
    const committed = await readStackFile(committedStackFilePath(this.projectDir, project, stack));
    const secretsFile =
      committed ??
      (isPreviewStackName(stack)
        ? await readStackFile(committedStackFilePath(this.projectDir, project, "previews"))
        : undefined);
    const secrets = secretsSourceFor(stack, this.env, secretsFile);
    const workDir = workDirFor(this.projectDir, stack);
    const path = join(workDir, `Pulumi.${stack}.yaml`);
    const current = await readStackFile(path);
    const ws = await this.workspace(workDir, secrets.kind === "provider" ? secrets.provider : undefined);
    let recorded: Record<string, unknown> | undefined;
    if (!current && !committed) recorded = await this.recordedConfig(stack, ws);
    await writeStackFile(path, renderStackFile({ committed, current, recorded }));
    return { ws, restored: recorded !== undefined };
  }

  /** The config of the stack's last update, for a stack this machine has no work directory for. */
  private async recordedConfig(
    stack: string,
    ws: Auto.LocalWorkspace,
  ): Promise<Record<string, unknown> | undefined> {
    const auto = await this.automation();
    try {
      const s = await auto.Stack.select(stack, ws);
      const [last] = await s.history(1, 1, false);
      return last ? plainValues(toUpdateRecord(last).config) : undefined;
    } catch {
      // A stack that does not exist yet has nothing recorded.
      return undefined;
    }
  }

  private async select(stack: string): Promise<Auto.Stack> {
    const { ws } = await this.prepare(stack);
    const auto = await this.automation();
    return this.mapErrors(stack, "other", () => auto.Stack.select(stack, ws));
  }

  /**
   * Run one update with its events mapped. The Automation API's `signal` sends
   * the `pulumi` process SIGINT, Pulumi's own graceful cancel; the caller's
   * signal and `cancel(stack)` both abort it.
   */
  private async runUpdate<T>(
    stack: string,
    kind: UpdateKind,
    options: RunOptions,
    start: (s: Auto.Stack, o: Auto.UpOptions & Auto.PreviewOptions & Auto.DestroyOptions) => Promise<T>,
  ): Promise<T> {
    if (options.signal?.aborted) throw new UpdateCancelledError(stack);
    const s = await this.select(stack);
    const controller = new AbortController();
    const forward = () => controller.abort();
    options.signal?.addEventListener("abort", forward, { once: true });
    // Aborted while the stack was being selected: an already-aborted signal fires no event, so stop here.
    if (options.signal?.aborted) {
      options.signal.removeEventListener("abort", forward);
      throw new UpdateCancelledError(stack);
    }
    const diagnostics: string[] = [];
    // A second update of the same stack from here fails on Pulumi's lock; keep the first one cancellable.
    if (kind !== "preview" && !this.running.has(stack)) this.running.set(stack, controller);
    try {
      return await this.mapErrors(
        stack,
        kind,
        () =>
          start(s, { ...this.runOptions(options, diagnostics, controller.signal), message: options.message }),
        controller.signal,
        diagnostics,
      );
    } finally {
      options.signal?.removeEventListener("abort", forward);
      if (this.running.get(stack) === controller) this.running.delete(stack);
    }
  }

  private runOptions(options: RunOptions, diagnostics: string[], signal: AbortSignal) {
    return {
      color: "never" as const,
      signal,
      onEvent: (event: Auto.EngineEvent) => {
        const mapped = toEngineEvent(event);
        if (!mapped) return;
        if (mapped.kind === "diagnostic" && mapped.severity === "error") diagnostics.push(mapped.message);
        options.onEvent?.(mapped);
      },
    };
  }

  private async mapErrors<T>(
    stack: string,
    kind: UpdateKind,
    run: () => Promise<T>,
    signal?: AbortSignal,
    diagnostics: string[] = [],
  ): Promise<T> {
    const auto = await this.automation();
    try {
      return await run();
    } catch (error) {
      if (signal?.aborted) throw new UpdateCancelledError(stack);
      if (error instanceof auto.ConcurrentUpdateError) {
        throw new StackLockedError(stack, parseLockHolder(error.message));
      }
      if (error instanceof auto.StackNotFoundError) {
        const known = existsSync(this.projectDir) ? await this.knownStacks() : [];
        throw new StackNotFoundError(stack, known);
      }
      if (error instanceof auto.CommandError) {
        // `pulumi stack rm`: "'<stack>' still has resources; removal rejected".
        if (/still has resources/.test(error.message)) throw new StackNotEmptyError(stack);
        const reason = failureReason(error.message, diagnostics);
        if (kind === "other") throw new EngineCommandError(stack, reason, error);
        throw new UpdateFailedError(stack, kind, reason, error);
      }
      throw error;
    }
  }

  private async knownStacks(): Promise<string[]> {
    try {
      return (await this.listStacks()).map((s) => s.name).sort();
    } catch {
      return [];
    }
  }
}

function copyOutputs(outputs: Auto.OutputMap): OutputMap {
  const out: OutputMap = {};
  for (const [key, value] of Object.entries(outputs)) out[key] = { value: value.value, secret: value.secret };
  return out;
}

/**
 * The real `Engine`: Pulumi's Automation API (`LocalWorkspace`) over the
 * project's own `Pulumi.yaml` program — not an inline program, since Node
 * inline programs allow one update per process (pulumi/pulumi#5449) and
 * reaping or status touch many stacks from one process.
 *
 * - The CLI: found or installed by `install.ts` (the version of the SDK).
 * - Backend and secrets: `backend.ts` (relative paths made absolute once; a
 *   fresh machine's work directory gets the stack's encryption settings back
 *   from its state, so secrets stay readable everywhere).
 * - Each stack runs from its own work directory (`workdir.ts`, `stack-render.ts`) so the
 *   committed `Pulumi.<env>.yaml` is never modified by a deploy.
 * - Cancellation: one SIGINT to our own `pulumi` process (in a process group
 *   of its own, `pulumi-process.ts`), Pulumi's graceful cancel: it finishes
 *   in-flight resource operations, writes the state and releases the lock; we
 *   then reject with `UpdateCancelledError`. `cancel(stack)` maps to `pulumi
 *   cancel` only for an update run by another process; it is never called
 *   automatically, because it drops the lock while that process still writes.
 * - Reads on a DIY backend (a folder, S3): from its own files, no `pulumi` process each (`diy-reads.ts`).
 *
 * The contract suite (test/automation/engine.contract.test.ts) and the
 * sandbox's end-to-end tests run this against the real Pulumi CLI.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type * as Auto from "@pulumi/pulumi/automation/index.js";
import { plainValues } from "../config-map.js";
import {
  type ConfigMap,
  type Engine,
  type EngineStackSummary,
  type OutputMap,
  type RunOptions,
  type RunResult,
  UpdateCancelledError,
  type UpdateKind,
  type UpdateRecord,
} from "../engine.js";
import { type Backend, backendUrlFor, cancelCommand, pulumiEnv } from "./backend.js";
import { type LocateOptions, locateEngine, pluginsOnce } from "./install.js";
import { runningUpdates } from "./locks.js";
import { requireBuiltProgram } from "./program-build.js";
import { pulumiCommandAt } from "./pulumi-process.js";
import { engineError } from "./failures.js";
import { type DriftResult, refreshPreviewOf, type StateResource, stateResourcesOf } from "./drift-events.js";
import { renderStackWorkDir } from "./stack-render.js";
import { DirectReads } from "./diy-reads.js";
import { KeyedQueue } from "./keyed-queue.js";
import { lazyRecords, type RecordStore, recordStoreFor } from "./records.js";
import { changesOf, toStackSummary, updateEventMapper } from "./pulumi-records.js";
import { copyOutputs, recordsOf } from "./stack-records.js";
import {
  type ProjectFile,
  prepareProjectFiles,
  projectWorkDir,
  readProjectFile,
  readStackFile,
  removeWorkDir,
  workDirFor,
  writeStackFile,
} from "./workdir.js";

type AutomationModule = typeof Auto;
/** The queue key of the project-level work directory (not a valid stack name, so it never collides). */
const PROJECT_QUEUE = "/project";
type Env = Record<string, string | undefined>;

export interface LocalEngineOptions {
  projectDir: string;
  env: Env;
  /** Path of the `pulumi` binary (found or installed by `createLocalEngine`). */
  pulumiPath: string;
  /** Installs what the program needs to run (its plugins); called once, before the first update. */
  preparePlugins?: () => Promise<void>;
}

export interface CreateLocalEngineOptions extends LocateOptions {
  /** Told what the set-up did or noticed (a plugin installed, another CLI version on PATH). */
  onNotice?: (message: string) => void;
}

/**
 * The real engine: the Pulumi CLI on PATH or flightdeck's own (installed on
 * first use). The program's plugins are installed when an operation is about
 * to run it (`prepareUpdates`), so that reads (status, history, where) never
 * wait for a download. Anything missing that cannot be installed is an
 * `EngineUnavailableError` (exit 2), before anything changes.
 */
export async function createLocalEngine(
  projectDir: string,
  env: Env = process.env,
  options: CreateLocalEngineOptions = {},
): Promise<LocalEngine> {
  const located = await locateEngine(projectDir, env, options);
  if (located.notice) options.onNotice?.(located.notice);
  const preparePlugins = pluginsOnce(projectDir, located.path, env, options);
  return new LocalEngine({ projectDir, env, pulumiPath: located.path, preparePlugins });
}

export class LocalEngine implements Engine {
  readonly kind = "local" as const;
  private readonly projectDir: string;
  private readonly env: Env;
  private readonly pulumiPath: string;
  private auto?: Promise<AutomationModule>;
  private command?: Promise<Auto.PulumiCommand>;
  private project?: Promise<ProjectFile>;
  private readonly backend: Backend;
  private readonly queue = new KeyedQueue();
  private readonly selected = new Map<string, Promise<Auto.Stack>>();
  /** Updates this engine is running, by stack, so `cancel(stack)` can stop them gracefully. */
  private readonly running = new Map<string, AbortController>();
  private readonly direct: DirectReads;
  readonly records: RecordStore = lazyRecords(async () =>
    recordStoreFor(this.backend, (await this.projectFile()).name, join(homedir(), ".flightdeck")),
  );

  private readonly preparePlugins: () => Promise<void>;

  constructor(options: LocalEngineOptions) {
    this.preparePlugins = options.preparePlugins ?? (async () => undefined);
    this.projectDir = options.projectDir;
    this.env = options.env;
    this.pulumiPath = options.pulumiPath;
    this.backend = backendUrlFor(options.env);
    this.direct = new DirectReads(this.backend, () => this.projectFile());
  }

  prepareUpdates(): Promise<void> {
    return this.preparePlugins();
  }

  async listStacks(): Promise<EngineStackSummary[]> {
    const direct = await this.direct.listStacks();
    if (direct) return direct;
    const ws = await this.queue.run(PROJECT_QUEUE, () =>
      this.workspace(projectWorkDir(this.projectDir), undefined),
    );
    const [stacks, locked] = await Promise.all([
      this.mapErrors("(all stacks)", "other", () => ws.listStacks()),
      this.projectFile().then((project) => runningUpdates(this.backend, project.name)),
    ]);
    return stacks.map((s) => toStackSummary(s, locked));
  }

  async ensureStack(stack: string): Promise<void> {
    const { ws } = await this.prepare(stack);
    const auto = await this.automation();
    await this.mapErrors(stack, "other", () => this.direct.createOrSelect(auto, stack, ws));
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
    await this.queue.run(stack, async () => {
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
    await this.requireProgram();
    const result = await this.runUpdate(stack, "update", options, (s, o) => s.up(o));
    return { changes: changesOf(result.summary.resourceChanges), outputs: copyOutputs(result.outputs) };
  }

  async preview(stack: string, options: RunOptions = {}): Promise<RunResult> {
    await this.requireProgram();
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

  /** `pulumi refresh --preview-only`; `drift-events.ts` reads what changed outside flightdeck. */
  refreshPreview(stack: string, options: RunOptions = {}): Promise<DriftResult> {
    return refreshPreviewOf((start) => this.runUpdate(stack, "refresh", options, start));
  }

  /** The state's resources with their IDs (`pulumi stack export`). */
  async resources(stack: string): Promise<StateResource[]> {
    const s = await this.select(stack);
    return stateResourcesOf(await this.mapErrors(stack, "other", () => s.exportStack()));
  }

  async outputs(stack: string): Promise<OutputMap> {
    const s = await this.select(stack);
    return copyOutputs(await this.mapErrors(stack, "other", () => s.outputs()));
  }

  /** From the backend's files where it can (`diy-reads.ts`), else every page through the CLI (`recordsOf`). */
  async history(stack: string, limit?: number): Promise<UpdateRecord[]> {
    const direct = await this.direct.history(stack, limit);
    if (direct) return direct;
    const s = await this.select(stack);
    return this.mapErrors(stack, "other", () => recordsOf(s, limit));
  }

  /** `pulumi stack rm` without `--force`: Pulumi refuses while resources remain. */
  async removeStack(stack: string): Promise<void> {
    const { ws } = await this.prepare(stack);
    await this.mapErrors(stack, "other", () => ws.removeStack(stack));
    this.selected.delete(stack);
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

  private automation(): Promise<AutomationModule> {
    // Loaded on first use: the Automation API pulls in gRPC and friends, which
    // the offline plan, the memory engine and `--help` never need.
    this.auto ??= import("@pulumi/pulumi/automation/index.js");
    return this.auto;
  }

  private pulumiCommand(): Promise<Auto.PulumiCommand> {
    this.command ??= this.automation().then((auto) => pulumiCommandAt(auto, this.pulumiPath));
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
    if (this.backend.localDir && !this.backend.localDir.startsWith("~")) {
      await mkdir(this.backend.localDir, { recursive: true });
    }
    return auto.LocalWorkspace.create({
      workDir,
      pulumiCommand,
      envVars: pulumiEnv(this.env, this.backend),
      ...(secretsProvider ? { secretsProvider } : {}),
    });
  }

  /** Render the stack's work directory and open a workspace on it (one rendering at a time per stack). */
  private prepare(stack: string): Promise<{ ws: Auto.LocalWorkspace }> {
    return this.queue.run(stack, () => this.render(stack));
  }

  private async render(stack: string): Promise<{ ws: Auto.LocalWorkspace }> {
    const [project, auto] = await Promise.all([this.projectFile(), this.automation()]);
    const open = (workDir: string, provider: string | undefined) => this.workspace(workDir, provider);
    return renderStackWorkDir(stack, {
      projectDir: this.projectDir,
      env: this.env,
      project,
      auto,
      direct: this.direct,
      open,
    });
  }

  /** Refuses to run a program that is missing or older than its sources (`program-build.ts`). */
  private async requireProgram(): Promise<void> {
    await requireBuiltProgram(this.projectDir, (await this.projectFile()).main);
  }

  /** Selected once per engine (`pulumi stack select`); later commands name the stack themselves. */
  private async select(stack: string): Promise<Auto.Stack> {
    const { ws } = await this.prepare(stack);
    const auto = await this.automation();
    let selected = this.selected.get(stack);
    if (!selected) {
      selected = this.mapErrors(stack, "other", () => this.direct.select(auto, stack, ws));
      this.selected.set(stack, selected);
      selected.catch(() => this.selected.delete(stack));
    }
    return selected;
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
    await this.prepareUpdates();
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
          start(s, {
            color: "never",
            signal: controller.signal,
            onEvent: updateEventMapper(options.onEvent, diagnostics),
            message: options.message,
          }),
        controller.signal,
        diagnostics,
      );
    } finally {
      options.signal?.removeEventListener("abort", forward);
      if (this.running.get(stack) === controller) this.running.delete(stack);
    }
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
      throw await engineError(auto, error, {
        stack,
        kind,
        diagnostics,
        clearCommand: () => cancelCommand(stack, this.backend.url, workDirFor(this.projectDir, stack)),
        knownStacks: () => (existsSync(this.projectDir) ? this.knownStacks() : Promise.resolve([])),
      });
    }
  }

  private knownStacks(): Promise<string[]> {
    return this.listStacks().then(
      (all) => all.map((s) => s.name).sort(),
      () => [],
    );
  }
}

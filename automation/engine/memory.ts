/**
 * An in-memory `Engine` for tests, the CLI's tests and benchmarks. It honours
 * the same contract as the Automation API engine (`local.ts`), proven by
 * `test/automation/engine.contract.test.ts`:
 *
 * - one update at a time per stack: a second `up`/`refresh`/`destroy` while one
 *   runs gets `StackLockedError` naming the holder and since when, like
 *   Pulumi's lock message; previews take no lock (as in Pulumi);
 * - update history, newest first, each record with the config the update ran
 *   with (secret values left out) and its result;
 * - outputs after `up`, none after `destroy`;
 * - `removeStack` refuses while resources remain (`StackNotEmptyError`);
 * - cancellation: aborting `RunOptions.signal` or calling `cancel(stack)` stops
 *   the running update, which rejects with `UpdateCancelledError` and is
 *   recorded as failed.
 *
 * Options (all optional) — `new MemoryEngine(options)`:
 * - `updateLatencyMs`: how long `up`, `refresh` and `preview` take (default 0);
 *   a number or `(stack, kind) => ms`.
 * - `destroyLatencyMs`: how long `destroy` takes (default: `updateLatencyMs`).
 * - `fail(stack, kind)`: the failure injector; return an error message to make
 *   that update fail (recorded as failed, rejects with `UpdateFailedError`),
 *   or `undefined` to let it succeed.
 * - `outputs(stack, config)`: the outputs an `up` produces from the config it ran
 *   with; default `defaultOutputs` (url from domain / preview domain, commit and
 *   imageId from `flightdeck:image`).
 * - `resources(stack, config)`: the resources an `up` creates (type and name);
 *   default: a load balancer, app servers and a DNS record.
 * - `holder`: who holds a stack's lock, as Pulumi words it (default
 *   `<user>@<host> (pid <pid>)`).
 * - `now()`: the clock for history times (default: real time).
 *
 * `seed(stack, { config, outputs, history, resourceCount })` sets a stack up
 * directly (history newest first, as `history()` returns it).
 *
 * Drift: `drift(stack, name, change, properties?)` makes a held resource
 * differ from the state (`update`) or vanish (`delete`) outside flightdeck;
 * `refreshPreview` reports it until a `refresh` or `up` takes the state over.
 * `resources(stack)` gives each held resource the ID `mem-<stack>-<name>`.
 */
import { hostname, userInfo } from "node:os";
import {
  type ConfigMap,
  type DriftedResource,
  type DriftResult,
  type Engine,
  type EngineEvent,
  type EngineStackSummary,
  type OutputMap,
  type RunOptions,
  type RunResult,
  StackLockedError,
  type StateResource,
  StackNotEmptyError,
  StackNotFoundError,
  UpdateCancelledError,
  UpdateFailedError,
  type UpdateKind,
  type UpdateRecord,
} from "../engine.js";
import type { ResourceOp } from "../events.js";
import {
  copyConfig,
  DEFAULT_RESOURCES,
  defaultOutputs,
  type MemoryResource,
  plainOutputs,
  recordedConfig,
  resourceEvent,
  urnOf,
} from "./memory-records.js";

export { defaultOutputs, type MemoryResource } from "./memory-records.js";
import { memoryRecords } from "./records.js";

export type LatencyOption = number | ((stack: string, kind: UpdateKind) => number);

export interface MemoryEngineOptions {
  updateLatencyMs?: LatencyOption;
  destroyLatencyMs?: LatencyOption;
  fail?: (stack: string, kind: UpdateKind) => string | undefined;
  outputs?: (stack: string, config: ConfigMap) => Record<string, unknown>;
  resources?: (stack: string, config: ConfigMap) => MemoryResource[];
  holder?: string;
  now?: () => Date;
}

export interface MemorySeed {
  config?: ConfigMap;
  /** Plain output values (marked not secret). */
  outputs?: Record<string, unknown>;
  /** Newest first. */
  history?: UpdateRecord[];
  /** Resources the stack holds (default: 0 without history, else the default resource count). */
  resourceCount?: number;
}

interface Running {
  kind: UpdateKind;
  since: string;
  holder: string;
  stop: () => void;
}

interface StackState {
  config: ConfigMap;
  outputs: OutputMap;
  history: UpdateRecord[];
  resources: MemoryResource[];
  running?: Running;
  /** Resources changed outside flightdeck, by name (`drift`). */
  drifted?: Map<string, DriftedResource>;
}

function latencyOf(option: LatencyOption | undefined, stack: string, kind: UpdateKind): number {
  if (option === undefined) return 0;
  return typeof option === "number" ? option : option(stack, kind);
}

/** Wait `ms`, or reject as soon as `stop` is called. */
function interruptibleDelay(ms: number): { done: Promise<void>; stop: () => void } {
  let stop: () => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    stop = () => {
      clearTimeout(timer);
      reject(new Error("stopped"));
    };
  });
  return { done, stop };
}

export class MemoryEngine implements Engine {
  readonly kind = "memory" as const;
  readonly records = memoryRecords();
  private readonly stacks = new Map<string, StackState>();
  private readonly options: MemoryEngineOptions;

  constructor(options: MemoryEngineOptions = {}) {
    this.options = options;
  }

  /** Set a stack up directly: config, outputs, history (newest first), resources. */
  seed(stack: string, seed: MemorySeed = {}): void {
    const history = (seed.history ?? []).map((record) => ({ ...record, config: copyConfig(record.config) }));
    const config = copyConfig(seed.config ?? {});
    const count = seed.resourceCount ?? (history.length > 0 ? this.resourcesFor(stack, config).length : 0);
    const resources = Array.from({ length: count }, (_, i) => ({
      type: "flightdeck:seed:Resource",
      name: `r${i}`,
    }));
    this.stacks.set(stack, { config, outputs: plainOutputs(seed.outputs ?? {}), history, resources });
  }

  /** Whether the stack exists (for tests). */
  has(stack: string): boolean {
    return this.stacks.has(stack);
  }

  async listStacks(): Promise<EngineStackSummary[]> {
    return [...this.stacks.entries()].map(([name, state]) => ({
      name,
      lastUpdate: state.history[0]?.endTime ?? state.history[0]?.startTime,
      updateInProgress: state.running !== undefined,
      resourceCount: state.resources.length,
    }));
  }

  async ensureStack(stack: string): Promise<void> {
    if (!this.stacks.has(stack)) {
      this.stacks.set(stack, { config: {}, outputs: {}, history: [], resources: [] });
    }
  }

  async getConfig(stack: string): Promise<ConfigMap> {
    return copyConfig(this.state(stack).config);
  }

  async setConfig(stack: string, values: ConfigMap): Promise<void> {
    const state = this.state(stack);
    state.config = { ...state.config, ...copyConfig(values) };
  }

  up(stack: string, options: RunOptions = {}): Promise<RunResult> {
    return this.run(stack, "update", options);
  }

  refresh(stack: string, options: RunOptions = {}): Promise<RunResult> {
    return this.run(stack, "refresh", options);
  }

  destroy(stack: string, options: RunOptions = {}): Promise<RunResult> {
    return this.run(stack, "destroy", options);
  }

  /** A preview takes no lock and leaves no history, as in Pulumi. */
  async preview(stack: string, options: RunOptions = {}): Promise<RunResult> {
    const state = this.state(stack);
    const planned = this.resourcesFor(stack, state.config);
    const op: ResourceOp = state.resources.length === 0 ? "create" : "update";
    await this.lockFreeWait(stack, "preview", options);
    const failure = this.options.fail?.(stack, "preview");
    if (failure) throw new UpdateFailedError(stack, "preview", failure);
    for (const resource of planned) options.onEvent?.(resourceEvent(stack, resource, op, "done"));
    const changes = { [op]: planned.length };
    options.onEvent?.({ kind: "summary", changes });
    return { changes };
  }

  /** Make a held resource drift: changed (`update`, naming `properties`) or gone (`delete`) outside flightdeck. */
  drift(stack: string, name: string, change: "update" | "delete", properties: string[] = []): void {
    const state = this.state(stack);
    const resource = state.resources.find((r) => r.name === name);
    if (!resource) throw new Error(`stack '${stack}' holds no resource named '${name}'`);
    state.drifted ??= new Map();
    state.drifted.set(name, {
      urn: urnOf(stack, resource),
      type: resource.type,
      name,
      change,
      ...(change === "update" && properties.length > 0 ? { properties: [...properties].sort() } : {}),
    });
  }

  /** A refresh that changes nothing: takes no lock, leaves no history (Pulumi's `refresh --preview-only`). */
  async refreshPreview(stack: string, options: RunOptions = {}): Promise<DriftResult> {
    const state = this.state(stack);
    await this.lockFreeWait(stack, "refresh", options);
    const failure = this.options.fail?.(stack, "refresh");
    if (failure) throw new UpdateFailedError(stack, "refresh", failure);
    const changes: Partial<Record<ResourceOp, number>> = {};
    for (const resource of state.resources) {
      const op: ResourceOp = state.drifted?.get(resource.name)?.change ?? "same";
      changes[op] = (changes[op] ?? 0) + 1;
      options.onEvent?.(resourceEvent(stack, resource, op, "done"));
    }
    options.onEvent?.({ kind: "summary", changes });
    const drifted = [...(state.drifted?.values() ?? [])].map((d) => structuredClone(d));
    return { changes, drifted: drifted.sort((a, b) => a.urn.localeCompare(b.urn)) };
  }

  async resources(stack: string): Promise<StateResource[]> {
    return this.state(stack).resources.map((r) => ({
      urn: urnOf(stack, r),
      type: r.type,
      id: `mem-${stack}-${r.name}`,
    }));
  }

  async outputs(stack: string): Promise<OutputMap> {
    const state = this.state(stack);
    const out: OutputMap = {};
    for (const [key, value] of Object.entries(state.outputs)) out[key] = { ...value };
    return out;
  }

  async history(stack: string, limit?: number): Promise<UpdateRecord[]> {
    const records = this.state(stack).history.map((r) => ({ ...r, config: copyConfig(r.config) }));
    return limit === undefined ? records : records.slice(0, limit);
  }

  async removeStack(stack: string): Promise<void> {
    const state = this.state(stack);
    if (state.running) throw this.locked(stack, state.running);
    if (state.resources.length > 0) throw new StackNotEmptyError(stack, state.resources.length);
    this.stacks.delete(stack);
  }

  async cancel(stack: string): Promise<void> {
    this.state(stack).running?.stop();
  }

  /** A preview's wait (no lock): its latency, or `UpdateCancelledError` as soon as it is aborted. */
  private async lockFreeWait(stack: string, kind: UpdateKind, options: RunOptions): Promise<void> {
    const delay = interruptibleDelay(latencyOf(this.options.updateLatencyMs, stack, kind));
    const onAbort = () => delay.stop();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      if (options.signal?.aborted) throw new UpdateCancelledError(stack);
      await delay.done.catch(() => {
        throw new UpdateCancelledError(stack);
      });
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
  }

  private state(stack: string): StackState {
    const state = this.stacks.get(stack);
    if (!state) throw new StackNotFoundError(stack, [...this.stacks.keys()].sort());
    return state;
  }

  private resourcesFor(stack: string, config: ConfigMap): MemoryResource[] {
    return this.options.resources?.(stack, config) ?? DEFAULT_RESOURCES;
  }

  private holder(): string {
    if (this.options.holder) return this.options.holder;
    let user = "unknown";
    try {
      user = userInfo().username;
    } catch {
      // No passwd entry (some containers): keep "unknown".
    }
    return `${user}@${hostname()} (pid ${process.pid})`;
  }

  private locked(stack: string, running: Running): StackLockedError {
    return new StackLockedError(stack, { holder: running.holder, since: running.since });
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private async run(stack: string, kind: UpdateKind, options: RunOptions): Promise<RunResult> {
    const state = this.state(stack);
    if (state.running) throw this.locked(stack, state.running);

    const latency =
      kind === "destroy"
        ? latencyOf(this.options.destroyLatencyMs ?? this.options.updateLatencyMs, stack, kind)
        : latencyOf(this.options.updateLatencyMs, stack, kind);
    const delay = interruptibleDelay(latency);
    const startTime = this.now().toISOString();
    const running: Running = { kind, since: startTime, holder: this.holder(), stop: delay.stop };
    state.running = running;
    const record: UpdateRecord = {
      version: (state.history[0]?.version ?? 0) + 1,
      kind,
      result: "in-progress",
      message: options.message ?? "",
      startTime,
      config: recordedConfig(state.config),
      environment: { "exec.kind": "memory" },
    };
    state.history.unshift(record);

    const targets = kind === "destroy" ? state.resources : this.resourcesFor(stack, state.config);
    const op: ResourceOp =
      kind === "destroy"
        ? "delete"
        : kind === "refresh"
          ? "refresh"
          : state.resources.length === 0
            ? "create"
            : "update";
    const emit = (event: EngineEvent) => options.onEvent?.(event);
    const onAbort = () => delay.stop();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      if (options.signal?.aborted) delay.stop();
      for (const resource of targets) emit(resourceEvent(stack, resource, op, "started"));
      try {
        await delay.done;
      } catch {
        record.result = "failed";
        record.message = record.message || "cancelled";
        throw new UpdateCancelledError(stack);
      }
      const failure = this.options.fail?.(stack, kind);
      if (failure) {
        const first = targets[0];
        if (first) emit({ ...resourceEvent(stack, first, op, "failed"), error: failure });
        emit({
          kind: "diagnostic",
          severity: "error",
          message: failure,
          urn: first ? urnOf(stack, first) : undefined,
        });
        record.result = "failed";
        throw new UpdateFailedError(stack, kind, failure);
      }
      for (const resource of targets) emit(resourceEvent(stack, resource, op, "done"));
      const changes: Partial<Record<ResourceOp, number>> = targets.length > 0 ? { [op]: targets.length } : {};
      // A refresh takes over what changed outside (a resource gone leaves the state); so does an update.
      for (const [name, d] of kind === "refresh" ? (state.drifted ?? []) : []) {
        if (d.change === "delete") state.resources = state.resources.filter((r) => r.name !== name);
      }
      if (kind !== "preview") state.drifted = undefined;
      if (kind === "destroy") {
        state.resources = [];
        state.outputs = {};
      } else if (kind === "update") {
        state.resources = targets;
        state.outputs = plainOutputs((this.options.outputs ?? defaultOutputs)(stack, state.config));
      }
      record.result = "succeeded";
      record.resourceChanges = changes;
      emit({ kind: "summary", changes });
      return kind === "update" ? { changes, outputs: await this.outputs(stack) } : { changes };
    } finally {
      record.endTime = this.now().toISOString();
      options.signal?.removeEventListener("abort", onAbort);
      if (state.running === running) state.running = undefined;
    }
  }
}

/**
 * The engine port: everything the operations need from Pulumi, and nothing
 * more. Two implementations honour it: the Automation API over the project's
 * `Pulumi.yaml` program (`engine/local.ts`) and an in-memory one for tests and
 * benchmarks (`engine/memory.ts`). A contract test runs both.
 */
import { ExitCode, UserError } from "../infra/errors.js";
import type { ResourceOp } from "./events.js";

/** A stack config value as Pulumi stores it: objects are JSON text. */
export interface ConfigValue {
  value: string;
  secret?: boolean;
}
export type ConfigMap = Record<string, ConfigValue>;

export interface OutputValue {
  value: unknown;
  secret: boolean;
}
export type OutputMap = Record<string, OutputValue>;

export interface EngineStackSummary {
  name: string;
  /** ISO time of the last update, when there was one. */
  lastUpdate?: string;
  updateInProgress: boolean;
  resourceCount?: number;
}

export type UpdateKind = "update" | "preview" | "refresh" | "destroy" | "rename" | "other";
export type UpdateResult = "succeeded" | "failed" | "in-progress" | "not-started";

/** One entry of a stack's update history, newest first. */
export interface UpdateRecord {
  version: number;
  kind: UpdateKind;
  result: UpdateResult;
  message: string;
  startTime: string;
  endTime?: string;
  /** The stack config the update ran with (secret values are not included). */
  config: ConfigMap;
  /** Metadata recorded with the update (git head, CI variables, ...). */
  environment: Record<string, string>;
  resourceChanges?: Partial<Record<ResourceOp, number>>;
}

/** What the engine reports while it works; operations turn these into `FlightdeckEvent`s. */
export type EngineEvent =
  | {
      kind: "resource";
      urn: string;
      resourceType: string;
      name: string;
      op: ResourceOp;
      status: "started" | "done" | "failed";
      error?: string;
    }
  | { kind: "diagnostic"; severity: "debug" | "info" | "warning" | "error"; message: string; urn?: string }
  | { kind: "summary"; changes: Partial<Record<ResourceOp, number>> };

export interface RunOptions {
  onEvent?: (event: EngineEvent) => void;
  /** Aborting cancels the update through the engine; the promise then rejects with `UpdateCancelledError`. */
  signal?: AbortSignal;
  /** Recorded as the update's message in history. */
  message?: string;
}

export interface RunResult {
  changes: Partial<Record<ResourceOp, number>>;
  /** Outputs after the run (not for preview). */
  outputs?: OutputMap;
}

/**
 * A resource a refresh preview found changed outside flightdeck: `update`, its
 * live properties differ from the state; `delete`, it no longer exists.
 */
export interface DriftedResource {
  urn: string;
  type: string;
  name: string;
  change: "update" | "delete";
  /** The properties that differ, when the engine names them. */
  properties?: string[];
}

export interface DriftResult extends RunResult {
  drifted: DriftedResource[];
}

/** One resource of a stack's state: its URN, type, and the cloud's ID and ARN when it has them. */
export interface StateResource {
  urn: string;
  type: string;
  id?: string;
  arn?: string;
}

export interface Engine {
  /** `local` (Automation API) or `memory`. */
  readonly kind: "local" | "memory";
  /**
   * Make ready what running the program needs (the real engine: its resource
   * plugins, installed on first use), or refuse now, before an operation
   * changes anything. Reads never need it.
   */
  prepareUpdates?(): Promise<void>;
  listStacks(): Promise<EngineStackSummary[]>;
  /** Create the stack if it does not exist; never fails if it does. */
  ensureStack(stack: string): Promise<void>;
  /** Throws `StackNotFoundError` when the stack does not exist. */
  getConfig(stack: string): Promise<ConfigMap>;
  /** Set (merge) config values on the stack. */
  setConfig(stack: string, values: ConfigMap): Promise<void>;
  up(stack: string, options?: RunOptions): Promise<RunResult>;
  preview(stack: string, options?: RunOptions): Promise<RunResult>;
  refresh(stack: string, options?: RunOptions): Promise<RunResult>;
  destroy(stack: string, options?: RunOptions): Promise<RunResult>;
  /** A refresh that changes nothing (`pulumi refresh --preview-only`): the resources changed outside flightdeck. */
  refreshPreview(stack: string, options?: RunOptions): Promise<DriftResult>;
  /** Every resource the stack's state holds (custom resources only). */
  resources(stack: string): Promise<StateResource[]>;
  outputs(stack: string): Promise<OutputMap>;
  /** Newest first; at most `limit` entries when given. */
  history(stack: string, limit?: number): Promise<UpdateRecord[]>;
  /** Remove a stack that has no resources left. */
  removeStack(stack: string): Promise<void>;
  /** Ask the engine to stop the stack's running update. */
  cancel(stack: string): Promise<void>;
  /** flightdeck's own records about each stack (rollout verdicts, drift checks), kept in the same backend. */
  readonly records: RecordStore;
}

/** flightdeck's own records about a stack, kept beside its state (`engine/records.ts`). */
export interface RecordStore {
  /** Every record of one kind on a stack, by id (empty when none). */
  list(stack: string, kind: string): Promise<Record<string, unknown>>;
  /** Write (replace) one record. */
  write(stack: string, kind: string, id: string, value: unknown): Promise<void>;
}

/** Another update holds the stack's lock (the real engine's `ConcurrentUpdateError`). */
export class StackLockedError extends UserError {
  readonly stackName: string;
  readonly holder?: string;
  readonly since?: string;

  constructor(stack: string, detail: { holder?: string; since?: string; clearCommand?: string } = {}) {
    const who = detail.holder ? ` by ${detail.holder}` : "";
    const when = detail.since ? ` since ${detail.since}` : "";
    const clear = detail.clearCommand ?? `pulumi cancel --stack ${stack}`;
    super(`stack '${stack}' is locked by another update${who}${when}`, {
      tryMessage: "Wait for that update to finish, then run this again.",
      nextSteps: [
        `If no update is running any more, check with its owner, then clear the lock with \`${clear}\`. flightdeck never breaks a lock by itself.`,
      ],
      exitCode: ExitCode.busy,
    });
    this.name = "StackLockedError";
    this.stackName = stack;
    this.holder = detail.holder;
    this.since = detail.since;
  }
}

export class StackNotFoundError extends UserError {
  readonly stackName: string;

  constructor(stack: string, known: string[] = []) {
    super(`stack '${stack}' does not exist`, {
      tryMessage:
        known.length > 0 ? `Known stacks: ${known.join(", ")}.` : "No stacks exist yet in this backend.",
      nextSteps: [
        "Deploy it first with `flightdeck deploy <env> --commit <ref>`, or check PULUMI_BACKEND_URL.",
      ],
      exitCode: ExitCode.usage,
    });
    this.name = "StackNotFoundError";
    this.stackName = stack;
  }
}

/** The update was cancelled (Ctrl-C / SIGTERM) and the engine stopped. */
export class UpdateCancelledError extends UserError {
  constructor(stack: string) {
    super(`the update of '${stack}' was cancelled`, {
      tryMessage: `Run \`flightdeck status\` to see the state '${stack}' was left in; run the deploy again to finish it.`,
      exitCode: ExitCode.interrupted,
    });
    this.name = "UpdateCancelledError";
  }
}

/** No Pulumi CLI to drive: every engine operation fails at once with this. */
export class EngineUnavailableError extends UserError {
  constructor(reason: string, advice: { tryMessage?: string } = {}) {
    super(`the Pulumi CLI is needed for this command: ${reason}`, {
      tryMessage:
        advice.tryMessage ??
        "Install it (https://www.pulumi.com/docs/install/) and make sure `pulumi` is on PATH, or run `npm run engine:install`.",
      nextSteps: ["`flightdeck plan <stack> --offline` works without it."],
      exitCode: ExitCode.usage,
    });
    this.name = "EngineUnavailableError";
  }
}

/** The engine ran the update and it failed (a resource error, a program error). Exit code 1. */
export class UpdateFailedError extends UserError {
  readonly stackName: string;
  readonly kind: UpdateKind;

  constructor(stack: string, kind: UpdateKind, reason: string, cause?: unknown) {
    super(`the ${kind} of '${stack}' failed: ${reason}`, {
      tryMessage: `Read the errors above (or the operation's log), fix the cause, then run it again.`,
      nextSteps: [`\`flightdeck history ${stack}\` shows what the stack ran before.`],
      exitCode: ExitCode.failed,
      cause,
    });
    this.name = "UpdateFailedError";
    this.stackName = stack;
    this.kind = kind;
  }
}

/** Removing a stack that still has resources (Pulumi refuses it too). */
export class StackNotEmptyError extends UserError {
  readonly stackName: string;

  constructor(stack: string, resourceCount?: number) {
    const count = resourceCount === undefined ? "" : ` (${resourceCount})`;
    super(`stack '${stack}' still has resources${count}; removal refused`, {
      tryMessage: `Destroy it first (\`flightdeck preview down\` or \`pulumi destroy --stack ${stack}\`).`,
      exitCode: ExitCode.failed,
    });
    this.name = "StackNotEmptyError";
    this.stackName = stack;
  }
}

/**
 * The typed event stream every operation emits. The automation layer never
 * prints: it emits these, appends them to a JSON-lines log per operation, and
 * the CLI renders the same stream as Ink, plain lines or JSON lines.
 *
 * Every stream ends in exactly one `result` event.
 */

export const OPERATIONS = [
  "deploy",
  "promote",
  "rollback",
  "previewUp",
  "previewDown",
  "previewList",
  "reap",
  "status",
  "history",
  "plan",
] as const;
export type OperationName = (typeof OPERATIONS)[number];

/** What the engine does to one resource. */
export type ResourceOp = "create" | "update" | "replace" | "delete" | "same" | "read" | "refresh";

interface Base {
  /** ISO-8601 time the event was emitted. */
  timestamp: string;
  operation: OperationName;
}

/** The operation began. */
export interface StartEvent extends Base {
  type: "start";
  stack?: string;
  /** What is released, when known as the operation starts; a release states it on its `release` step. */
  commit?: string;
  imageId?: string;
  actor?: string;
  /** Path of this operation's JSON-lines log. */
  logFile?: string;
}

/** A step of the operation's own (resolving a commit, finding an image, writing config...). */
export interface StepEvent extends Base {
  type: "step";
  message: string;
  /** On the step that records a release on the stack (before the update): what it runs next, and who released it. */
  release?: { commit: string; imageId: string; actor: string };
}

/** A guard was evaluated. A refused guard is followed by a failed result. */
export interface GuardEvent extends Base {
  type: "guard";
  guard: string;
  allowed: boolean;
  reason: string;
}

/** A resource changed state in the engine. */
export interface ResourceEvent extends Base {
  type: "resource";
  stack: string;
  urn: string;
  resourceType: string;
  name: string;
  op: ResourceOp;
  status: "started" | "done" | "failed";
  durationMs?: number;
  error?: string;
}

/** A message from the engine or the program (secrets already masked). */
export interface DiagnosticEvent extends Base {
  type: "diagnostic";
  severity: "debug" | "info" | "warning" | "error";
  message: string;
  stack?: string;
  urn?: string;
}

/** Progress over many stacks (reap, status): one item started, finished or failed. */
export interface ItemEvent extends Base {
  type: "item";
  stack: string;
  status: "started" | "done" | "failed" | "skipped";
  message?: string;
}

/** How the operation ended. `data` is the operation's typed return value. */
export interface ResultEvent extends Base {
  type: "result";
  ok: boolean;
  /** The exit code the CLI should end with. */
  exitCode: number;
  summary: string;
  durationMs: number;
  stack?: string;
  url?: string;
  changes?: Partial<Record<ResourceOp, number>>;
  error?: { name: string; message: string; tryMessage?: string; nextSteps?: string[] };
  data?: unknown;
}

export type FlightdeckEvent =
  StartEvent | StepEvent | GuardEvent | ResourceEvent | DiagnosticEvent | ItemEvent | ResultEvent;
export type EventType = FlightdeckEvent["type"];

/** An event before the emitter stamps it. */
export type EventInput = FlightdeckEvent extends infer E
  ? E extends FlightdeckEvent
    ? Omit<E, "timestamp" | "operation">
    : never
  : never;

export type EventListener = (event: FlightdeckEvent) => void;

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
  "previewSleep",
  "previewWake",
  "previewComment",
  "reap",
  "status",
  "history",
  "plan",
  "where",
  "drift",
  "sweep",
  "overview",
] as const;
export type OperationName = (typeof OPERATIONS)[number];

/** One commit a release brings (`release`) or takes away (`unrelease`: a rollback, or a diverged branch). */
export interface ReleasedCommit {
  sha: string;
  shortSha: string;
  subject: string;
  authorName: string;
  /** Lower-cased. */
  authorEmail: string;
  /** `Co-authored-by:` e-mails, lower-cased. */
  coAuthors: string[];
  /** Issue keys in its message and in the name of the branch a merge brought it in from. */
  issueKeys: string[];
  /** The branch a merge commit of the range names as where this commit came from. */
  branch?: string;
  direction: "release" | "unrelease";
}

/** What a deploy-like button releases: the commits between what the stack runs and the new commit. */
export interface Releases {
  stack: string;
  /** What the stack runs now; absent on a first deploy. */
  from?: string;
  to: string;
  /** Newest first, at most the list's limit. */
  commits: ReleasedCommit[];
  /** How many commits come, and go, in all. */
  released: number;
  unreleased: number;
  /** How many are not listed (past the limit). */
  more: number;
  /** Every issue key of the listed commits, sorted. */
  issueKeys: string[];
  /** Every author and co-author e-mail of the listed commits, sorted. */
  authors: string[];
}

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
  /** On the step that lists what a release brings and takes away (`steps/changes.ts`). */
  releases?: Releases;
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

/**
 * A deploy's checks after the engine: the release phase (migrations on a
 * one-shot machine, before traffic moves), then the rollout (each group's
 * instance refresh, the load balancer's target health, and the URL serving
 * the new commit). Only a verified rollout is a successful deploy.
 */
export interface RolloutEvent extends Base {
  type: "rollout";
  stack: string;
  phase: "release" | "refresh" | "health" | "url";
  status: "waiting" | "progress" | "done" | "failed" | "skipped";
  message: string;
  /** The auto scaling group (refresh) or target group (health) this is about. */
  group?: string;
  role?: string;
  /** Refresh progress, 0 to 100. */
  percentage?: number;
  instancesToUpdate?: number;
  /** The release machine's last log lines (a failed release). */
  logTail?: string[];
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
  /** Each notification target told of this outcome (`notify.ts`); a failed delivery never fails the operation. */
  notifications?: NotificationDelivery[];
}

/** How telling one notification target went (never its URL). */
export interface NotificationDelivery {
  target: string;
  ok: boolean;
  /** The HTTP status, when the target answered. */
  status?: number;
  error?: string;
}

export type FlightdeckEvent =
  | StartEvent
  | StepEvent
  | GuardEvent
  | ResourceEvent
  | DiagnosticEvent
  | ItemEvent
  | RolloutEvent
  | ResultEvent;
export type EventType = FlightdeckEvent["type"];

/** An event before the emitter stamps it. */
export type EventInput = FlightdeckEvent extends infer E
  ? E extends FlightdeckEvent
    ? Omit<E, "timestamp" | "operation">
    : never
  : never;

export type EventListener = (event: FlightdeckEvent) => void;

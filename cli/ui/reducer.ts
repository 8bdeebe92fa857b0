/**
 * The live operation view as a pure function of the event stream.
 *
 * `reduceEvent(state, event)` never mutates and never reads a clock; the Ink
 * components only draw its result, and tests drive it with plain events.
 */
import type {
  FlightdeckEvent,
  OperationName,
  ResourceEvent,
  ResourceOp,
  ResultEvent,
  RolloutEvent,
} from "../../automation/events.js";

/** The resource operations the view counts (the engine's `same`, `read` and `refresh` are not changes). */
export const COUNTED_OPS = ["create", "update", "replace", "delete"] as const;
export type CountedOp = (typeof COUNTED_OPS)[number];

export interface ResourceRow {
  urn: string;
  name: string;
  resourceType: string;
  op: ResourceOp;
  status: "started" | "done" | "failed";
  startedAt: string;
  durationMs?: number;
  error?: string;
}

/** One finished line of the log above the live area (rendered once, in `<Static>`). */
export type LogLine =
  | { kind: "step"; id: number; timestamp: string; message: string }
  | { kind: "guard"; id: number; timestamp: string; guard: string; allowed: boolean; reason: string }
  | { kind: "resource"; id: number; timestamp: string; row: ResourceRow }
  | { kind: "diagnostic"; id: number; timestamp: string; severity: "warning" | "error"; message: string }
  | {
      kind: "rollout";
      id: number;
      timestamp: string;
      phase: RolloutEvent["phase"];
      status: "done" | "failed" | "skipped";
      message: string;
      logTail?: string[];
    }
  | {
      kind: "item";
      id: number;
      timestamp: string;
      stack: string;
      status: "done" | "failed" | "skipped";
      message?: string;
    };

export interface OperationViewState {
  operation?: OperationName;
  stack?: string;
  commit?: string;
  imageId?: string;
  actor?: string;
  logFile?: string;
  /** ISO time of the first event. */
  startedAt?: string;
  /** Finished lines, oldest first. */
  log: LogLine[];
  /** Resources (and reap items) in flight, by URN (or stack), in start order. */
  inFlight: ResourceRow[];
  /** The release phase and rollout checks being waited for, by phase and group: what the deploy waits on now. */
  checks: CheckRow[];
  /** Changes seen so far (a resource counts once it is done). */
  counts: Record<CountedOp, number>;
  /** Set by the single `result` event. */
  result?: ResultEvent;
  /** Events received after the result: a contract breach worth showing. */
  lateEvents: number;
}

/** One check in progress: a group's refresh (with its percentage), target health, the URL, the release machine. */
export interface CheckRow {
  key: string;
  phase: RolloutEvent["phase"];
  label: string;
  message: string;
  percentage?: number;
  since: string;
}

export function initialOperationState(): OperationViewState {
  return {
    log: [],
    inFlight: [],
    checks: [],
    counts: { create: 0, update: 0, replace: 0, delete: 0 },
    lateEvents: 0,
  };
}

function reduceRollout(state: OperationViewState, event: RolloutEvent): OperationViewState {
  const key = `${event.phase}:${event.group ?? ""}`;
  if (event.status === "waiting" || event.status === "progress") {
    const before = state.checks.find((c) => c.key === key);
    const row: CheckRow = {
      key,
      phase: event.phase,
      label: event.role ?? event.phase,
      message: event.message,
      ...(event.percentage === undefined ? {} : { percentage: event.percentage }),
      since: before?.since ?? event.timestamp,
    };
    return {
      ...state,
      checks: before ? state.checks.map((c) => (c.key === key ? row : c)) : [...state.checks, row],
    };
  }
  return {
    ...state,
    checks: state.checks.filter((c) => c.key !== key),
    log: withLine(state, {
      kind: "rollout",
      timestamp: event.timestamp,
      phase: event.phase,
      status: event.status,
      message: event.message,
      ...(event.logTail && event.status === "failed" ? { logTail: event.logTail } : {}),
    }),
  };
}

function isCounted(op: ResourceOp): op is CountedOp {
  return (COUNTED_OPS as readonly string[]).includes(op);
}

/** A log line before it gets its id (distributed over the union, so each kind keeps its fields). */
type NewLine = LogLine extends infer L ? (L extends LogLine ? Omit<L, "id"> : never) : never;

function withLine(state: OperationViewState, line: NewLine): LogLine[] {
  return [...state.log, { ...line, id: state.log.length } as LogLine];
}

function reduceResource(state: OperationViewState, event: ResourceEvent): OperationViewState {
  if (event.status === "started") {
    const row: ResourceRow = {
      urn: event.urn,
      name: event.name,
      resourceType: event.resourceType,
      op: event.op,
      status: "started",
      startedAt: event.timestamp,
    };
    return { ...state, inFlight: [...state.inFlight.filter((r) => r.urn !== event.urn), row] };
  }
  const started = state.inFlight.find((r) => r.urn === event.urn);
  const durationMs =
    event.durationMs ?? (started ? Date.parse(event.timestamp) - Date.parse(started.startedAt) : undefined);
  const row: ResourceRow = {
    urn: event.urn,
    name: event.name,
    resourceType: event.resourceType,
    op: event.op,
    status: event.status,
    startedAt: started?.startedAt ?? event.timestamp,
    ...(durationMs === undefined || Number.isNaN(durationMs) ? {} : { durationMs }),
    ...(event.error === undefined ? {} : { error: event.error }),
  };
  const counts =
    event.status === "done" && isCounted(event.op)
      ? { ...state.counts, [event.op]: state.counts[event.op] + 1 }
      : state.counts;
  return {
    ...state,
    inFlight: state.inFlight.filter((r) => r.urn !== event.urn),
    counts,
    log: withLine(state, { kind: "resource", timestamp: event.timestamp, row }),
  };
}

/** Apply one event. Pure: the same state and event always give the same result. */
export function reduceEvent(state: OperationViewState, event: FlightdeckEvent): OperationViewState {
  if (state.result) return { ...state, lateEvents: state.lateEvents + 1 };
  const base: OperationViewState = {
    ...state,
    operation: state.operation ?? event.operation,
    startedAt: state.startedAt ?? event.timestamp,
  };
  switch (event.type) {
    case "start":
      return {
        ...base,
        stack: event.stack ?? base.stack,
        commit: event.commit ?? base.commit,
        imageId: event.imageId ?? base.imageId,
        actor: event.actor ?? base.actor,
        logFile: event.logFile ?? base.logFile,
      };
    case "step": {
      // The header says what is being released as soon as the operation has recorded it.
      const release = event.release;
      return {
        ...base,
        ...(release ? { commit: release.commit, imageId: release.imageId, actor: release.actor } : {}),
        log: withLine(base, { kind: "step", timestamp: event.timestamp, message: event.message }),
      };
    }
    case "guard":
      return {
        ...base,
        log: withLine(base, {
          kind: "guard",
          timestamp: event.timestamp,
          guard: event.guard,
          allowed: event.allowed,
          reason: event.reason,
        }),
      };
    case "resource":
      return reduceResource(base, event);
    case "diagnostic":
      // Debug and info chatter stays in the operation log file; warnings and errors are shown.
      if (event.severity !== "warning" && event.severity !== "error") return base;
      return {
        ...base,
        log: withLine(base, {
          kind: "diagnostic",
          timestamp: event.timestamp,
          severity: event.severity,
          message: event.message,
        }),
      };
    case "item": {
      if (event.status === "started") {
        const row: ResourceRow = {
          urn: event.stack,
          name: event.stack,
          resourceType: "stack",
          op: "delete",
          status: "started",
          startedAt: event.timestamp,
        };
        return { ...base, inFlight: [...base.inFlight.filter((r) => r.urn !== event.stack), row] };
      }
      return {
        ...base,
        inFlight: base.inFlight.filter((r) => r.urn !== event.stack),
        log: withLine(base, {
          kind: "item",
          timestamp: event.timestamp,
          stack: event.stack,
          status: event.status,
          ...(event.message === undefined ? {} : { message: event.message }),
        }),
      };
    }
    case "rollout":
      return reduceRollout(base, event);
    case "result": {
      // The engine's own summary is authoritative when it differs from what we counted.
      const counts = { ...base.counts };
      for (const op of COUNTED_OPS) {
        const n = event.changes?.[op];
        if (n !== undefined) counts[op] = n;
      }
      return { ...base, stack: event.stack ?? base.stack, counts, inFlight: [], checks: [], result: event };
    }
  }
}

export function reduceEvents(
  events: readonly FlightdeckEvent[],
  state = initialOperationState(),
): OperationViewState {
  return events.reduce(reduceEvent, state);
}

/** Milliseconds since the operation started, or its final duration once it ended. */
export function elapsedMs(state: OperationViewState, now: Date): number {
  if (state.result) return state.result.durationMs;
  if (!state.startedAt) return 0;
  return Math.max(0, now.getTime() - Date.parse(state.startedAt));
}

/**
 * What the Pulumi CLI reports, as the engine port's types: engine events,
 * update history and failure reasons. Pure functions, tested without a CLI;
 * the shapes they read were checked against Pulumi 3.248's real output
 * (test/automation/engine.contract.test.ts runs them through it).
 */
import type * as Auto from "@pulumi/pulumi/automation/index.js";
import type {
  ConfigMap,
  EngineEvent,
  EngineStackSummary,
  UpdateKind,
  UpdateRecord,
  UpdateResult,
} from "../engine.js";
import type { ResourceOp } from "../events.js";

/** Who holds a lock and since when, from Pulumi's lock message (file and S3 backends say it; Pulumi Cloud does not). */
export function parseLockHolder(message: string): { holder?: string; since?: string } {
  // pkg/backend/diy/lock.go: "\n  <lock url>: created by <user>@<host> (pid <n>) at <RFC 3339 time>"
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

/**
 * The Automation API's engine event as ours; undefined for events we do not
 * surface. The event log carries every debug diagnostic of the program and the
 * engine (the Automation API runs with PULUMI_DEBUG_COMMANDS), so those, like
 * ephemeral ones, are dropped.
 */
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
    // The event log carries debug diagnostics too ("severity": "debug"), though the type does not say so.
    if (d.ephemeral || (d.severity as string) === "debug") return undefined;
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

/**
 * One entry of `pulumi stack ls`. DIY backends never say whether an update is
 * running (`SupportsProgress` is false: pkg/cmd/pulumi/stack/stack_list.go),
 * so `locked` (the stacks holding a lock, `locks.ts`) says it for them.
 */
export function toStackSummary(s: Auto.StackSummary, locked: ReadonlySet<string>): EngineStackSummary {
  // A file or S3 backend may list `organization/<project>/<stack>`.
  const name = s.name.split("/").pop() ?? s.name;
  return {
    name,
    ...(s.lastUpdate ? { lastUpdate: new Date(s.lastUpdate).toISOString() } : {}),
    updateInProgress: (s.updateInProgress ?? false) || locked.has(name),
    ...(s.resourceCount !== undefined ? { resourceCount: s.resourceCount } : {}),
  };
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

/**
 * Number a stack's complete history (newest first) when the backend does not:
 * the DIY backends (file, S3) record every update with version 0 (their history
 * files carry no version; `pulumi stack history --json` prints 0), so the
 * oldest update is 1 and the newest is the count, as Pulumi Cloud numbers them.
 */
export function numberHistory(records: UpdateRecord[]): UpdateRecord[] {
  if (records.every((r) => r.version > 0)) return records;
  return records.map((r, i) => ({ ...r, version: records.length - i }));
}

/** The engine's closing diagnostic of a failed run (pkg/engine: "update failed"), which names no cause. */
const GENERIC_FAILURE = /^(update|preview|destroy|refresh|import) (failed|canceled|cancelled)\.?$/i;

/**
 * An error diagnostic as the failure's reason: one about a resource names it
 * (`testing-fleet-app-asg: <the provider's message>`); the program's own (on
 * the stack resource) and the engine's stand as they are.
 */
export function reasonOfDiagnostic(message: string, urn: string | undefined): string {
  if (!urn || urn.includes("::pulumi:pulumi:Stack::")) return message;
  return `${nameOfUrn(urn)}: ${message}`;
}

/** A stack trace line of Node (`    at f (file:1:2)`), which says nothing to a deployer. */
const STACK_FRAME = /^\s*at\s.+(\(.*\)|:\d+:\d+)\s*$/;

/**
 * What went wrong, for the error message (Pulumi masks secrets in it). A
 * program's crash is one diagnostic: "Running program '<main>' failed with an
 * unhandled exception:" followed by the error and its stack, so the message
 * lines are kept and the stack frames dropped; else the `error:` line.
 */
export function failureReason(stderr: string, diagnostics: string[]): string {
  // The engine closes a failed run with its own "update failed", which names no cause: the cause is before it.
  const specific = diagnostics.filter((d) => !GENERIC_FAILURE.test(d.trim()));
  const lastDiagnostic = specific[specific.length - 1] ?? diagnostics[diagnostics.length - 1];
  if (lastDiagnostic) {
    const lines = lastDiagnostic
      .split("\n")
      .filter((l) => !STACK_FRAME.test(l))
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
    return lines.join(" ").slice(0, 500) || lastDiagnostic.trim().slice(0, 500);
  }
  // `CommandError.message` reads "code: N\n stdout: ...\n stderr: ...".
  const lines = stderr
    .split("\n")
    .filter((l) => !/^\s*code:/.test(l))
    .map((l) => l.replace(/^\s*(stdout|stderr|err\?):\s*/, "").trim())
    .filter((l) => l.length > 0);
  const error = lines.find((l) => /^error:/i.test(l));
  return (error ?? lines[lines.length - 1] ?? "pulumi exited with an error").slice(0, 500);
}

/**
 * An update's events, mapped for `onEvent`. Error diagnostics are kept in
 * `diagnostics` for the failure's reason; a resource's own error (the
 * provider's message, reported just before its failed step) becomes that
 * failed step's `error`, where Pulumi's event carries only a status number.
 */
export function updateEventMapper(
  onEvent: ((event: EngineEvent) => void) | undefined,
  diagnostics: string[],
): (event: Auto.EngineEvent) => void {
  const errorOf = new Map<string, string>();
  return (event) => {
    let mapped = toEngineEvent(event);
    if (!mapped) return;
    if (mapped.kind === "diagnostic" && mapped.severity === "error") {
      diagnostics.push(reasonOfDiagnostic(mapped.message, mapped.urn));
      if (mapped.urn) errorOf.set(mapped.urn, mapped.message);
    }
    if (mapped.kind === "resource" && mapped.status === "failed" && errorOf.has(mapped.urn)) {
      mapped = { ...mapped, error: errorOf.get(mapped.urn) };
    }
    onEvent?.(mapped);
  };
}

/**
 * TEST DOUBLE: what the sandbox's stand-in fleet (fleet-double.ts) answers,
 * computed from the stand-in `aws` provider's records
 * (providers/fleet-records.ts), the faults in force and the clock. Nothing here
 * is AWS; it imitates what AWS would report.
 *
 * Faults, in the `fleet` key of the file FLIGHTDECK_SANDBOX_FAULTS names (the
 * same file the stand-in providers read; `<stack>` is a stack name):
 *
 *   { "fleet": {
 *       "refresh": { "<stack>": "fail" | "rollback" | "hang" },
 *       "health":  { "<stack>": "unhealthy" },
 *       "serve":   { "<stack>": "old" },
 *       "release": { "<stack>": "hang" | { "exitCode": 3, "log": ["line", ...] } },
 *       "refreshSeconds": 1, "releaseSeconds": 1 } }
 *
 * - refresh: how each refresh of the stack's groups ends (default: Successful
 *   after `refreshSeconds`): Failed; rolled back (RollbackInProgress, then
 *   RollbackSuccessful after as long again); or never ending. The fault in
 *   force when the stand-in first reports a refresh decides its end, so a test
 *   may clear the faults once its deploy is over;
 * - health: every target of the stack's target groups fails its health check;
 * - serve: `/healthz` keeps reporting the commit from before the newest refresh;
 * - release: the release machine's command fails with that exit code and log,
 *   or never reports an outcome (after "running").
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { FleetRecords, GroupRecord, RefreshRecord } from "./providers/fleet-records.js";

export type RefreshOutcome = "succeed" | "fail" | "rollback" | "hang";
export type ReleaseFault = "hang" | { exitCode: number; log: string[] };

export interface FleetFaults {
  refresh: Record<string, Exclude<RefreshOutcome, "succeed">>;
  health: Record<string, "unhealthy">;
  serve: Record<string, "old">;
  release: Record<string, ReleaseFault>;
  refreshSeconds: number;
  releaseSeconds: number;
}

export const DEFAULT_SECONDS = 1;

function objectAt(value: unknown, where: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${where} must be an object`);
  }
  return value as Record<string, unknown>;
}

function choices<T extends string>(value: unknown, where: string, allowed: readonly T[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, v] of Object.entries(objectAt(value, where))) {
    if (!allowed.includes(v as T)) throw new Error(`${where}.${key} must be one of ${allowed.join(", ")}`);
    out[key] = v as T;
  }
  return out;
}

function seconds(value: unknown, where: string): number {
  if (value === undefined) return DEFAULT_SECONDS;
  if (typeof value !== "number" || !(value > 0))
    throw new Error(`${where} must be a number of seconds above 0`);
  return value;
}

/** The fleet's faults in the faults file (none when there is no file or no `fleet` key). */
export function readFleetFaults(path: string | undefined): FleetFaults {
  let doc: { fleet?: unknown } = {};
  if (path) {
    let text: string | undefined;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      text = undefined; // no file: no faults
    }
    if (text !== undefined) {
      try {
        doc = JSON.parse(text) as { fleet?: unknown };
      } catch (error) {
        throw new Error(`the faults file ${path} is not JSON: ${(error as Error).message}`, { cause: error });
      }
    }
  }
  const where = `${path ?? "faults"}: fleet`;
  const fleet = objectAt(doc.fleet, where);
  const release: Record<string, ReleaseFault> = {};
  for (const [stack, v] of Object.entries(objectAt(fleet.release, `${where}.release`))) {
    const fault = v as { exitCode?: unknown; log?: unknown };
    const ok =
      v === "hang" ||
      (typeof fault === "object" &&
        fault !== null &&
        Number.isInteger(fault.exitCode) &&
        (fault.exitCode as number) > 0 &&
        Array.isArray(fault.log) &&
        fault.log.every((l) => typeof l === "string"));
    if (!ok) {
      throw new Error(
        `${where}.release.${stack} must be "hang" or { "exitCode": <above 0>, "log": [strings] }`,
      );
    }
    release[stack] = v as ReleaseFault;
  }
  return {
    refresh: choices(fleet.refresh, `${where}.refresh`, ["fail", "rollback", "hang"] as const),
    health: choices(fleet.health, `${where}.health`, ["unhealthy"] as const),
    serve: choices(fleet.serve, `${where}.serve`, ["old"] as const),
    release,
    refreshSeconds: seconds(fleet.refreshSeconds, `${where}.refreshSeconds`),
    releaseSeconds: seconds(fleet.releaseSeconds, `${where}.releaseSeconds`),
  };
}

/** One refresh as DescribeInstanceRefreshes reports it. */
export interface RefreshView {
  id: string;
  group: string;
  status: string;
  percentage: number;
  instancesToUpdate: number;
  startTime: Date;
  endTime?: Date;
  statusReason?: string;
}

const ENDED = new Set(["Successful", "Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed"]);

export function hasEnded(status: string): boolean {
  return ENDED.has(status);
}

/**
 * The state of a refresh `elapsedMs` after it started, for an outcome. Each
 * instance is replaced in turn over `durationMs`; a rollback takes as long
 * again and puts every instance back. Statuses and fields as the API reference
 * describes them (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceRefresh.html).
 */
export function refreshAt(
  group: GroupRecord,
  refresh: RefreshRecord,
  outcome: RefreshOutcome,
  elapsedMs: number,
  durationMs: number,
): RefreshView {
  const n = Math.max(1, group.desiredCapacity);
  const start = new Date(refresh.startedAt);
  const base = { id: refresh.id, group: group.name, startTime: start };
  const progress = (replaced: number) => ({
    percentage: Math.round((replaced / n) * 100),
    instancesToUpdate: n - replaced,
  });
  const running = (cap: number) => ({
    ...base,
    status: "InProgress",
    ...progress(Math.min(cap, Math.floor((Math.max(0, elapsedMs) / durationMs) * n))),
  });
  const endAt = (ms: number) => new Date(start.getTime() + ms);
  switch (outcome) {
    case "succeed":
      return elapsedMs < durationMs
        ? running(n - 1)
        : { ...base, status: "Successful", ...progress(n), endTime: endAt(durationMs) };
    case "hang":
      return running(n - 1);
    case "fail":
      return elapsedMs < durationMs
        ? running(Math.floor(n / 2))
        : {
            ...base,
            status: "Failed",
            ...progress(Math.floor(n / 2)),
            endTime: endAt(durationMs),
            statusReason:
              "(sandbox fault) new instances failed their load balancer health checks; the refresh stopped",
          };
    case "rollback": {
      const reason =
        "(sandbox fault) new instances failed their load balancer health checks; rolling back to the previous launch template version";
      if (elapsedMs < durationMs) return running(Math.floor(n / 2));
      if (elapsedMs < 2 * durationMs) {
        return { ...base, status: "RollbackInProgress", ...progress(0), statusReason: reason };
      }
      return {
        ...base,
        status: "RollbackSuccessful",
        ...progress(0),
        endTime: endAt(2 * durationMs),
        statusReason: reason,
      };
    }
  }
}

/** A target of a target group, as DescribeTargetHealth reports it. */
export interface TargetView {
  id: string;
  port: number;
  state: "healthy" | "unhealthy" | "initial";
  reason?: string;
  description?: string;
}

const APP_PORT = 8000;

function instanceId(seed: string): string {
  return `i-${createHash("sha256").update(seed).digest("hex").slice(0, 17)}`;
}

/**
 * The stand-in fleet: the records, the faults and the clock give each
 * question its answer. The outcome of each refresh is fixed when it is first
 * looked at (see the faults above).
 */
export class FleetState {
  private readonly outcomes = new Map<string, RefreshOutcome>();

  constructor(
    private readonly records: () => FleetRecords,
    private readonly faults: () => FleetFaults,
    private readonly now: () => number = Date.now,
  ) {}

  private view(group: GroupRecord, refresh: RefreshRecord, faults: FleetFaults): RefreshView {
    let outcome = this.outcomes.get(refresh.id);
    if (!outcome) {
      outcome = faults.refresh[group.stack] ?? "succeed";
      this.outcomes.set(refresh.id, outcome);
    }
    const elapsed = this.now() - Date.parse(refresh.startedAt);
    return refreshAt(group, refresh, outcome, elapsed, faults.refreshSeconds * 1000);
  }

  /** A group's refreshes, newest first (undefined: no such group). */
  refreshes(groupName: string): RefreshView[] | undefined {
    const group = this.records().groups.get(groupName);
    if (!group) return undefined;
    const faults = this.faults();
    return group.refreshes.map((r) => this.view(group, r, faults)).reverse();
  }

  targets(targetGroupArn: string): TargetView[] {
    const faults = this.faults();
    const out: TargetView[] = [];
    for (const group of this.records().groups.values()) {
      if (!group.targetGroupArns.includes(targetGroupArn)) continue;
      const newest = group.refreshes.at(-1);
      const busy = newest !== undefined && !hasEnded(this.view(group, newest, faults).status);
      const n = Math.max(1, group.desiredCapacity);
      for (let i = 0; i < n; i++) {
        const id = instanceId(`${group.name}:${group.version}:${i}`);
        out.push(
          faults.health[group.stack]
            ? {
                id,
                port: APP_PORT,
                state: "unhealthy",
                reason: "Target.ResponseCodeMismatch",
                description: "Health checks failed with these codes: [503]",
              }
            : { id, port: APP_PORT, state: "healthy" },
        );
      }
      if (busy) {
        out.push({
          id: instanceId(`${group.name}:${newest.id}:new`),
          port: APP_PORT,
          state: "initial",
          reason: "Elb.RegistrationInProgress",
          description: "Target registration is in progress",
        });
      }
    }
    return out;
  }

  /** The commit a host's stack serves: its app group's, as far as its refreshes got. */
  served(host: string): { stack?: string; commit?: string; problem?: string } {
    const records = this.records();
    const hostRecord = records.hosts.get(host.toLowerCase().replace(/:\d+$/, ""));
    if (!hostRecord) return { problem: `no load balancer or DNS record of any stack is named ${host}` };
    const stack = hostRecord.stack;
    const roleOf = (templateId: string, version: number) =>
      records.templates.get(templateId)?.versions[String(version)];
    const group = [...records.groups.values()].find(
      (g) => g.stack === stack && ["app", "all-in-one"].includes(roleOf(g.templateId, g.version)?.role ?? ""),
    );
    if (!group) return { stack, problem: `stack ${stack} has no app group` };
    const faults = this.faults();
    let commit = roleOf(group.createdTemplateId, group.createdVersion)?.commit;
    group.refreshes.forEach((refresh, index) => {
      const last = index === group.refreshes.length - 1;
      if (last && faults.serve[stack]) return;
      if (this.view(group, refresh, faults).status === "Successful") {
        commit = roleOf(refresh.templateId, refresh.toVersion)?.commit ?? commit;
      }
    });
    return commit ? { stack, commit } : { stack, problem: `no commit is recorded for ${group.name}` };
  }
}

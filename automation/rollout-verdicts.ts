/**
 * What flightdeck verified after each deploy-like update: the truth that
 * Pulumi's history cannot hold. Pulumi records an update as "succeeded" when
 * `up` returns; the instance refresh it starts, the migrations before it and
 * the commit the URL serves are checked afterwards, and their verdict is kept
 * as a record beside the stack (`engine/records.ts`, kind `rollouts`), keyed by
 * the release it judges (the `flightdeck:release` time and commit the update
 * ran with).
 *
 * Only a verified update counts as a success for rollback and promote: a
 * failed or unchecked rollout is never a success to go back to.
 */
import { recordedRelease } from "./config-map.js";
import type { Engine, UpdateRecord } from "./engine.js";

export const ROLLOUT_RECORDS = "rollouts";

export interface RolloutChecks {
  /** The commit the environment's health endpoint reported. */
  servedCommit?: string;
  url?: string;
  /** Instances replaced by instance refreshes, over every group. */
  instancesReplaced: number;
  groups: { group: string; status: string }[];
  releasePhase?: "ran" | "skipped" | "on-machine";
  releaseMs?: number;
  rolloutMs?: number;
  /** Why there was nothing to check beyond the update (the previews' shared base runs no servers). */
  nothingToRollOut?: string;
}

export interface RolloutVerdict {
  release: string;
  stack: string;
  commit: string;
  imageId?: string;
  verdict: "verified" | "failed";
  /**
   * Where a failed deploy stopped: `release`, its release phase (before any
   * update ran, except on a first deploy, whose release runs after the update
   * creates the environment), or `rollout` (the default).
   */
  stage?: "release" | "rollout";
  /** Who ran a deploy that stopped at its release phase (an update records its actor itself). */
  actor?: string;
  /** Why a rollout failed (a failed refresh, a timeout, another commit served, a cancelled wait). */
  reason?: string;
  at: string;
  checks?: RolloutChecks;
}

export type Verdicts = Record<string, RolloutVerdict>;

/** The id of a release: its time and commit, as the update's config recorded them. */
export function releaseId(at: string, commit: string): string {
  return `${at.replace(/[^0-9A-Za-z]/g, "-")}-${commit.slice(0, 12)}`;
}

/** The release an update ran, when flightdeck recorded one. */
export function releaseIdOf(record: UpdateRecord): string | undefined {
  const recorded = recordedRelease(record.config);
  const at = recorded.release?.at;
  return at && recorded.commit ? releaseId(at, recorded.commit) : undefined;
}

export async function verdictsOf(engine: Engine, stack: string): Promise<Verdicts> {
  return (await engine.records.list(stack, ROLLOUT_RECORDS)) as Verdicts;
}

export async function recordVerdict(engine: Engine, verdict: RolloutVerdict): Promise<void> {
  await engine.records.write(verdict.stack, ROLLOUT_RECORDS, verdict.release, verdict);
}

export type Served =
  { ok: true; verdict: RolloutVerdict } | { ok: false; why: string; verdict?: RolloutVerdict };

/** Whether an update is a deploy that served: Pulumi's success and flightdeck's verified rollout. */
export function servedOf(record: UpdateRecord, verdicts: Verdicts): Served {
  if (record.kind !== "update") return { ok: false, why: `it was a ${record.kind}, not a deploy` };
  if (record.result !== "succeeded") return { ok: false, why: `the update ${record.result}` };
  const id = releaseIdOf(record);
  const verdict = id ? verdicts[id] : undefined;
  if (!verdict) return { ok: false, why: "its rollout was never verified" };
  if (verdict.verdict !== "verified") {
    return { ok: false, why: `its rollout failed${verdict.reason ? `: ${verdict.reason}` : ""}`, verdict };
  }
  return { ok: true, verdict };
}

/** The outcome to show for an update: Pulumi's result, corrected by the rollout's verdict. */
export function outcomeOf(
  record: UpdateRecord,
  verdicts: Verdicts,
): {
  result: UpdateRecord["result"];
  rollout?: "verified" | "failed" | "unverified";
  reason?: string;
  release?: ReleaseState;
} {
  if (record.kind !== "update" || record.result !== "succeeded") return { result: record.result };
  const served = servedOf(record, verdicts);
  const release = served.verdict ? releaseStateOf(served.verdict) : undefined;
  const withRelease = release ? { release } : {};
  if (served.ok) return { result: "succeeded", rollout: "verified", ...withRelease };
  if (served.verdict) {
    return { result: "failed", rollout: "failed", reason: served.verdict.reason, ...withRelease };
  }
  return { result: "succeeded", rollout: "unverified" };
}

export type ReleaseState = NonNullable<RolloutChecks["releasePhase"]> | "failed";

/** What a verdict says of its deploy's release phase. */
export function releaseStateOf(verdict: RolloutVerdict): ReleaseState | undefined {
  return verdict.stage === "release" ? "failed" : verdict.checks?.releasePhase;
}

/**
 * Deploys that stopped at their release phase before any update ran (their
 * release matches none of `records`): Pulumi's history has no entry for them.
 */
export function releaseFailures(verdicts: Verdicts, records: readonly UpdateRecord[]): RolloutVerdict[] {
  const updated = new Set(records.map(releaseIdOf));
  return Object.values(verdicts).filter((v) => v.stage === "release" && !updated.has(v.release));
}

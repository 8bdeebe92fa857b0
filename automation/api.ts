/**
 * What the automation layer offers the CLI: one function per button, each
 * emitting the typed event stream of `events.ts` and resolving to its typed
 * data (the same value the final `result` event carries as `data`).
 *
 * Failures are thrown as `UserError`s (guards: `GuardError`, exit 3; a locked
 * stack: `StackLockedError`, exit 4; ...) after the `result` event was emitted.
 */
import type { StackConfig } from "../infra/config.js";
import type { Cloud } from "./cloud.js";
import type { DriftedResource, Engine, UpdateResult } from "./engine.js";
import type { EventListener, Releases, ResourceOp } from "./events.js";
import type { RolloutChecks } from "./rollout-verdicts.js";
import type { Leftovers } from "./sweep/port.js";

export type { ReleasedCommit, Releases } from "./events.js";

/** Who runs an operation, where that was read from, and whether anyone but the runner vouches for it (see `actor.ts`). */
export interface Actor {
  /** An e-mail (lower-cased), `bitbucket:{uuid}` or `github:<login>`. */
  id: string;
  source: "bitbucket" | "github" | "git" | "flag" | "FLIGHTDECK_ACTOR";
  /** true only for a CI's own identity of who started the run; a terminal's git e-mail is a claim. */
  verified: boolean;
  /** Whether this runs in CI (`CI`, Bitbucket Pipelines, GitHub Actions). */
  ci: boolean;
}

/** Finds the universal image built for a commit (an AMI tagged with the full SHA). */
export interface ImageResolver {
  /** Resolves to the AMI id, or throws a `UserError` naming the commit and how to build its image. */
  imageFor(commit: string, region: string): Promise<string>;
}

export interface OperationDeps {
  engine: Engine;
  /** AWS beside the engine: the release phase and the rollout checks (`cloud/aws.ts`; `cloud/memory.ts` in tests). */
  cloud: Cloud;
  /** Wait between polls of the cloud (default: a timer the cancel signal interrupts); tests advance a clock. */
  sleep?: (ms: number) => Promise<void>;
  /** The project directory: `Pulumi.yaml`, `Pulumi.<stack>.yaml` and the git repository. */
  projectDir: string;
  images: ImageResolver;
  /** Where each operation's JSON-lines log is written (default: `<projectDir>/.flightdeck/logs`). */
  logDir?: string;
  onEvent?: EventListener;
  /** Cancels the running update (Ctrl-C / SIGTERM). */
  signal?: AbortSignal;
  now?: () => Date;
  /** Process environment, for the actor and CI variables (default: `process.env`). */
  env?: Record<string, string | undefined>;
  /**
   * Estimated cost per day of a stack with this config, by flightdeck's price table
   * (the CLI wires it to the offline plan, cached by config); absent: no cost column.
   */
  costPerDay?: (stack: string, config: StackConfig) => Promise<number | undefined>;
  /** How long one notification delivery may take (default 5 s: `notify.ts`). */
  notifyTimeoutMs?: number;
  /** AWS resources found by their tags, for `sweep` (default: the AWS SDK, `sweep/aws.ts`). */
  leftovers?: Leftovers;
}

export interface DeployInput {
  env: string;
  /** A SHA, short SHA, branch or tag; default: HEAD. */
  commit?: string;
  actor?: string;
}

export interface PromoteInput {
  from: string;
  to: string;
  actor?: string;
}

export interface RollbackInput {
  env: string;
  commit: string;
  actor?: string;
}

export interface PreviewUpInput {
  commit?: string;
  /** A branch preview (`preview-b-<slug>`): the branch's newest commit, at a URL that stays. Not with `commit`. */
  branch?: string;
  /** A duration such as `24h`; default: the previews config's TTL. */
  ttl?: string;
  actor?: string;
}

export interface ReapInput {
  /** Only previews created longer ago than this (a duration), besides every expired one. */
  olderThan?: string;
  dryRun?: boolean;
  /** Destroys running at once (default 4). */
  concurrency?: number;
}

/** What a deploy-like operation did. */
export interface DeployResult {
  stack: string;
  commit: string;
  imageId: string;
  actor: string;
  url?: string;
  changes: Partial<Record<ResourceOp, number>>;
  durationMs: number;
  /** The commits this released (deploy, promote, rollback), when git could list them. */
  releases?: Releases;
  /** What the rollout checks saw (deploy, promote, rollback): the commit served, instances replaced, durations. */
  verification?: RolloutChecks;
}

/** What a deploy, promotion or rollback would release, asked before it runs (its confirmation). */
export interface ReleasesInput {
  operation: "deploy" | "promote" | "rollback";
  /** The stack released to. */
  stack: string;
  /** deploy: the ref (default HEAD); rollback: the ref gone back to. */
  commit?: string;
  /** promote: the environment whose commit is released. */
  from?: string;
}

export interface WhereInput {
  /** A commit, a branch (also one merged and deleted) or an issue key. */
  query: string;
}

/** One stack, and whether what it runs contains the change. */
export interface WhereStack {
  stack: string;
  environment: StackStatus["environment"];
  /** What it runs now (its last successful update). */
  commit?: string;
  /**
   * `yes`: what it runs contains every commit of the change; `partial`: some;
   * `no`: none; `unknown`: its commit is not in this repository (fetch it);
   * `not-deployed`: nothing runs there.
   */
  state: "yes" | "partial" | "no" | "unknown" | "not-deployed";
  /** How many commits of the change it contains. */
  contained: number;
  /** `yes`: the update since which it has contained the change, and who ran it; otherwise the update running now. */
  since?: string;
  by?: string;
  version?: number;
  url?: string;
  /** `partial`: the commits of the change it does not contain. */
  missing?: string[];
}

export interface WhereResult {
  query: string;
  /**
   * How the query was read: a commit (a SHA), a ref (a branch or tag: its head
   * commit), a merged branch that no longer exists (the commits its merge
   * brought in), or an issue key (every commit mentioning it).
   */
  kind: "commit" | "ref" | "merged-branch" | "issue";
  /** The commits that make up the change, newest first. */
  commits: { sha: string; shortSha: string; subject: string }[];
  stacks: WhereStack[];
}

export interface LastUpdate {
  result: UpdateResult;
  kind: string;
  startTime: string;
  endTime?: string;
  actor?: string;
  /** false when the actor was recorded unverified (a terminal's git e-mail). */
  actorVerified?: boolean;
}

/** One row of the deployment matrix. */
export interface StackStatus {
  stack: string;
  environment: "production" | "staging" | "testing" | "previews" | "preview" | "unknown";
  commit?: string;
  branch?: string;
  imageId?: string;
  url?: string;
  lastUpdate?: LastUpdate;
  updateInProgress: boolean;
  resourceCount?: number;
  /** Estimated cost by flightdeck's own price table, when known. */
  costPerDayUsd?: number;
  /** Previews only. */
  expiresAt?: string;
  /** Previews only: milliseconds left before expiry (negative once expired). */
  msLeft?: number;
  /** Previews only: awake or asleep now. */
  power?: PreviewPower;
  /** `overview` only: an environment of the config that has no stack yet (its cost is the planned one). */
  notDeployed?: boolean;
  /** `overview` only: how many commits it lacks of the environment before it (testing → staging → production). */
  behind?: { of: string; commits: number };
  /** `overview` only: the last drift check (`flightdeck drift`), from the stack's records. */
  drift?: DriftRecord;
}

export interface DriftInput {
  /** Environment stacks to check (default: every environment stack that exists, previews left out). */
  envs?: string[];
}

/** One stack's drift check, as its records keep it (kind `drift`, id `last`). */
export interface DriftRecord {
  stack: string;
  checkedAt: string;
  /** The resources changed outside flightdeck (empty: none). */
  drifted: DriftedResource[];
  /** The check could not run (the refresh preview failed): why. */
  error?: string;
  durationMs: number;
}

export interface DriftReport {
  checkedAt: string;
  stacks: DriftRecord[];
  /** The stacks with drift, and those whose check failed. */
  drifted: string[];
  failed: string[];
}

export interface SweepInput {
  /** Delete what is found (default: only report it). */
  delete?: boolean;
  /** Regions to look in (default: every environment config's `aws:region`, else AWS_REGION). */
  regions?: string[];
}

/** An AWS resource tagged for a stack that no longer exists, or that its stack's state does not hold. */
export interface Leftover {
  arn: string;
  region: string;
  /** Its `flightdeck:stack` tag. */
  stack: string;
  /** AWS's type, `service:resource` (`ec2:vpc`, `s3:bucket`). */
  type: string;
  reason: "stack-gone" | "not-in-state";
  /** false: flightdeck does not delete this type; delete it by hand. */
  deletable: boolean;
}

export interface SweepResult {
  dryRun: boolean;
  regions: string[];
  leftovers: Leftover[];
  deleted: string[];
  failed: { arn: string; error: string }[];
  /** Left for a person: types flightdeck does not delete. */
  byHand: string[];
  /** Stacks whose resources were not judged (an update running, a state that could not be read), and why. */
  skipped: { stack: string; reason: string }[];
}

export interface HistoryEntry {
  /** Pulumi's update number; absent on a deploy that stopped at its release phase (no update ran). */
  version?: number;
  /** Pulumi's kind of update, or `release`: a deploy that stopped at its release phase. */
  kind: string;
  /** Pulumi's result, except a deploy whose rollout failed, which is `failed`. */
  result: UpdateResult;
  /** A deploy's rollout: verified, failed (then `rolloutReason` says why), or never checked. */
  rollout?: "verified" | "failed" | "unverified";
  rolloutReason?: string;
  /** A deploy's release phase (the migrations): ran, skipped (it had succeeded before), ran on the preview's machine, or failed. */
  release?: "ran" | "skipped" | "on-machine" | "failed";
  commit?: string;
  imageId?: string;
  actor?: string;
  /** false when the actor was recorded unverified (a terminal's git e-mail). */
  actorVerified?: boolean;
  message: string;
  startTime: string;
  endTime?: string;
  durationMs?: number;
}

export interface PreviewInfo {
  stack: string;
  /** `commit`: one commit with a TTL; `branch`: follows its branch, goes when it is merged or deleted. */
  kind?: "commit" | "branch";
  /** A branch preview's DNS label: it is served at `https://<slug>.<domain>`. */
  slug?: string;
  commit: string;
  branch?: string;
  author?: string;
  url?: string;
  createdAt: string;
  expiresAt: string;
  expired: boolean;
  /** Awake or asleep now, by hand (`preview sleep|wake`) or by the working-hours schedule. */
  power?: PreviewPower;
  /** Why `reap` would destroy it now; absent while it stays. */
  goes?: string;
}

export interface PreviewPower {
  state: "awake" | "asleep";
  by: "hand" | "schedule" | "always";
  /** When this state ends by itself (the next scheduled sleep or wake). */
  until?: string;
}

export interface PreviewPowerInput {
  /** The preview: its stack, a commit, or a branch with a branch preview. */
  ref: string;
  actor?: string;
}

export interface PreviewCommentResult {
  stack: string;
  url: string;
  branch?: string;
  /** Each pull request commented on, and what happened to its one preview comment. */
  pullRequests: { id: number; action: "created" | "updated" | "unchanged"; commentId: number }[];
}

export interface ReapResult {
  dryRun: boolean;
  candidates: string[];
  /** Why each candidate goes ("expired 3h ago", "branch feature/x deleted", ...). */
  reasons?: Record<string, string>;
  destroyed: string[];
  failed: { stack: string; error: string }[];
  durationMs: number;
}

export interface PlanInput {
  stack: string;
  commit?: string;
}

export interface Operations {
  deploy(input: DeployInput): Promise<DeployResult>;
  promote(input: PromoteInput): Promise<DeployResult>;
  rollback(input: RollbackInput): Promise<DeployResult>;
  previewUp(input: PreviewUpInput): Promise<DeployResult>;
  previewDown(input: { ref: string }): Promise<{ stack: string; durationMs: number }>;
  previewList(): Promise<PreviewInfo[]>;
  /** Record a hand-set sleep on a preview and run `up` (capacity 0, the sleeping page). */
  previewSleep(input: PreviewPowerInput): Promise<DeployResult>;
  /** Wake a preview now, until the next scheduled sleep, and run `up`. */
  previewWake(input: PreviewPowerInput): Promise<DeployResult>;
  /** Post (or update) the preview's URL on the open pull requests of its branch on Bitbucket. */
  previewComment(input: { ref: string }): Promise<PreviewCommentResult>;
  reap(input: ReapInput): Promise<ReapResult>;
  status(): Promise<StackStatus[]>;
  history(input: { env: string; limit?: number }): Promise<HistoryEntry[]>;
  /** Every stack whose running commit contains a commit, a branch or an issue key's commits (git ancestry). */
  where(input: WhereInput): Promise<WhereResult>;
  /** What a deploy, promotion or rollback would release (for its confirmation): read only, no events, no log. */
  releasesOf(input: ReleasesInput): Promise<Releases>;
  /** A refresh preview of each environment: resources changed outside flightdeck, recorded for the dashboard. */
  drift(input: DriftInput): Promise<DriftReport>;
  /** AWS resources tagged for a stack that no longer exists or whose state does not hold them; `delete` removes them. */
  sweep(input: SweepInput): Promise<SweepResult>;
  /** The dashboard's rows: `status`, plus environments not deployed yet, commits behind, and the last drift check. */
  overview(): Promise<StackStatus[]>;
  /** A plan through the engine (a real `pulumi preview`) with cost and policy applied. */
  plan(input: PlanInput): Promise<unknown>;
}

/**
 * What the automation layer offers the CLI: one function per button, each
 * emitting the typed event stream of `events.ts` and resolving to its typed
 * data (the same value the final `result` event carries as `data`).
 *
 * Failures are thrown as `UserError`s (guards: `GuardError`, exit 3; a locked
 * stack: `StackLockedError`, exit 4; ...) after the `result` event was emitted.
 */
import type { StackConfig } from "../infra/config.js";
import type { Engine, UpdateResult } from "./engine.js";
import type { EventListener, ResourceOp } from "./events.js";

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
}

export interface HistoryEntry {
  version: number;
  kind: string;
  result: UpdateResult;
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
  commit: string;
  branch?: string;
  author?: string;
  url?: string;
  createdAt: string;
  expiresAt: string;
  expired: boolean;
}

export interface ReapResult {
  dryRun: boolean;
  candidates: string[];
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
  reap(input: ReapInput): Promise<ReapResult>;
  status(): Promise<StackStatus[]>;
  history(input: { env: string; limit?: number }): Promise<HistoryEntry[]>;
  /** A plan through the engine (a real `pulumi preview`) with cost and policy applied. */
  plan(input: PlanInput): Promise<unknown>;
}

/**
 * The offline plan: every resource a stack would have, what it would cost and
 * what the policies say about it, with no cloud account and no Pulumi CLI.
 *
 * The real program runs under Pulumi's mock runtime (`runOffline`); cost and
 * policy are pure functions over the recorded resources. The result is one
 * JSON-serialisable document; the CLI renders it (as text or `--json`) and
 * fails on a mandatory violation (`mandatoryViolations`).
 */
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig, type StackConfig, stackConfigFileName, stacksWithConfig } from "./config.js";
import { estimateCost, previewMarginalCost, type RegionalCostEstimate } from "./cost/estimate.js";
import { ExitCode, UserError } from "./errors.js";
import { isFullSha, previewStackName } from "./naming.js";
import { runOffline } from "./offline.js";
import type { PolicyResult } from "./policy/rule-types.js";
import { evaluatePolicies } from "./policy/rules.js";
import { type ResourceRecord, SECRET_MASK } from "./resources.js";
import { newPreviewMeta, previewStackConfig } from "./stack.js";

/** The stack name that asks for the plan of a commit's preview (`plan preview --commit SHA`). */
export const PREVIEW_PLAN = "preview";
/**
 * The commit an environment is planned at when none is given and its config
 * names none (`plan staging --offline`): the plan still shows every resource;
 * its document says `"commit": null`, and only the image lookup and the
 * commit tag see this placeholder.
 */
export const PLACEHOLDER_COMMIT = "0".repeat(40);
/** The stack whose config every preview is derived from. */
const PREVIEWS_BASE = "previews";

export interface PlanResource {
  type: string;
  name: string;
  /** The name of the parent component, or null at the top. */
  parent: string | null;
  /** The inputs the program gave, every secret replaced by `SECRET_MASK`. */
  inputs: Record<string, unknown>;
}

export interface PlanDocument {
  /** The stack planned (`preview-<sha7>` for a preview plan). */
  stack: string;
  commit: string | null;
  offline: true;
  resources: PlanResource[];
  /** No totals for a region the price table does not cover (its `note` says so). */
  cost: RegionalCostEstimate;
  policies: PolicyResult[];
}

export interface PlanOfflineOptions {
  projectDir: string;
  /** A stack with a `Pulumi.<stack>.yaml`, or `preview` for a commit's preview. */
  stack: string;
  /** The full commit SHA to plan (required for a preview). */
  commit?: string;
  /** The clock a preview's creation and expiry are computed from. */
  now?: Date;
}

/** Plan a stack offline: resources, cost and policy results in one document. */
export async function planOffline(options: PlanOfflineOptions): Promise<PlanDocument> {
  const { stack, config, commit } = await resolveStack(options);
  const needsPlaceholder = commit === undefined && !config.image.commit && !config.image.amiId;
  const raw = await runOffline(config, stack, { commit: needsPlaceholder ? PLACEHOLDER_COMMIT : commit });
  const records = raw.map(revealSecrets);
  const priced = { region: config.region };
  const cost =
    config.environment === "preview"
      ? previewMarginalCost(records, stack, priced)
      : estimateCost(records, priced);
  return {
    stack,
    commit: commit ?? config.image.commit ?? null,
    offline: true,
    resources: raw.map(planResource),
    cost,
    policies: evaluatePolicies(records, { environment: config.environment }),
  };
}

/** The violations that make a plan fail. */
export function mandatoryViolations(doc: Pick<PlanDocument, "policies">): PolicyResult[] {
  return doc.policies.filter((p) => p.level === "mandatory");
}

interface ResolvedStack {
  stack: string;
  config: StackConfig;
  commit?: string;
}

async function resolveStack(options: PlanOfflineOptions): Promise<ResolvedStack> {
  const { projectDir, stack, commit } = options;
  const known = await stacksWithConfig(projectDir);
  if (stack === PREVIEW_PLAN) {
    if (!known.includes(PREVIEWS_BASE)) throw unknownStack(projectDir, stack, known);
    if (commit === undefined) {
      throw new UserError("A preview plan needs the commit it previews.", {
        tryMessage:
          "Give the commit: flightdeck plan preview --commit <SHA, branch or tag> --offline (like --commit HEAD)",
        exitCode: ExitCode.usage,
      });
    }
    if (!isFullSha(commit)) {
      throw new UserError(`A preview plan needs a full 40-character commit SHA, got '${commit}'.`, {
        tryMessage: "Pass the full SHA, e.g. --commit $(git rev-parse HEAD)",
        exitCode: ExitCode.usage,
      });
    }
    const base = await loadStackConfig(projectDir, PREVIEWS_BASE);
    const meta = newPreviewMeta(commit, base, options.now === undefined ? {} : { now: options.now });
    return { stack: previewStackName(commit), config: previewStackConfig(base, meta), commit };
  }
  if (!known.includes(stack)) throw unknownStack(projectDir, stack, known);
  if (commit !== undefined && !isFullSha(commit)) {
    throw new UserError(`--commit must be a full 40-character commit SHA, got '${commit}'.`, {
      tryMessage: "Pass the full SHA, e.g. --commit $(git rev-parse HEAD)",
      exitCode: ExitCode.usage,
    });
  }
  return { stack, config: await loadStackConfig(projectDir, stack), commit };
}

/** The stacks that have a `Pulumi.<stack>.yaml` in the project, sorted. */
function unknownStack(projectDir: string, stack: string, known: readonly string[]): UserError {
  const plannable = known.includes(PREVIEWS_BASE) ? [...known, `${PREVIEW_PLAN} --commit <SHA>`] : known;
  return new UserError(
    `There is no stack '${stack}' to plan: ${projectDir} has no ${stackConfigFileName(stack)}.`,
    {
      tryMessage:
        plannable.length > 0
          ? `Plan one of the stacks with a config file: ${plannable.join(", ")}.`
          : "Create a Pulumi.<stack>.yaml (see the examples in the README).",
      nextSteps: ["A commit's preview is planned as: flightdeck plan preview --commit <SHA> --offline"],
      exitCode: ExitCode.usage,
    },
  );
}

function planResource(record: ResourceRecord): PlanResource {
  return {
    type: record.type,
    name: record.name,
    parent: record.parent === undefined ? null : nameOfUrn(record.parent),
    inputs: maskSecrets(record.inputs) as Record<string, unknown>,
  };
}

/** `urn:pulumi:<stack>::<project>::<type>::<name>` -> `<name>`. */
function nameOfUrn(urn: string): string {
  const at = urn.lastIndexOf("::");
  return at === -1 ? urn : urn.slice(at + 2);
}

// ---------------------------------------------------------------------------
// Secrets

/** Input keys whose values are secrets whether or not the program marked them. */
const SECRET_KEY =
  /(password|passwd|passphrase|secret|token|apikey|api_key|privatekey|private_key|credentials?)$/i;
/** Keys that match the pattern but hold settings, not secrets. */
const NOT_SECRET_KEYS = new Set(["httpTokens"]);

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !NOT_SECRET_KEYS.has(key);
}

function isWrappedSecret(value: unknown): value is { value: unknown } {
  return (
    value !== null &&
    typeof value === "object" &&
    (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig
  );
}

/**
 * A copy of a value fit for people and JSON: Pulumi secrets and values under
 * secret-looking keys become `SECRET_MASK` (a boolean switch such as
 * `manageMasterUserPassword` is a setting and stays); unknown values are left
 * out; anything that is not plain data becomes a string.
 */
export function maskSecrets(value: unknown, key?: string): unknown {
  if (isWrappedSecret(value)) return SECRET_MASK;
  if (
    key !== undefined &&
    isSecretKey(key) &&
    value !== undefined &&
    value !== null &&
    typeof value !== "boolean"
  ) {
    return SECRET_MASK;
  }
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v) ?? null);
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const masked = maskSecrets(v, k);
      if (masked !== undefined) out[k] = masked;
    }
    return out;
  }
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return undefined;
  return String(value);
}

/**
 * The record with Pulumi's secret wrappers replaced by their values, for cost
 * and policy to read (a secret flag must not hide, say, `storageEncrypted`).
 * Only the masked copy ever leaves this module.
 */
function revealSecrets(record: ResourceRecord): ResourceRecord {
  return { ...record, inputs: unwrap(record.inputs) as Record<string, unknown> };
}

function unwrap(value: unknown): unknown {
  if (isWrappedSecret(value)) return unwrap(value.value);
  if (Array.isArray(value)) return value.map(unwrap);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
  }
  return value;
}

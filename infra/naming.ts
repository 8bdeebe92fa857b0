/**
 * Names derived from a commit: the preview stack and the host it is served at.
 * Pure functions shared by the program (`infra/`) and the operations (`automation/`).
 */
import { createHash } from "node:crypto";
import { isBranchPreviewStackName } from "./preview-names.js";

const FULL_SHA = /^[0-9a-f]{40}$/;

export function isFullSha(value: string): boolean {
  return FULL_SHA.test(value);
}

/** A full SHA or an abbreviation of at least seven hex digits, in either case. */
export function isShaPrefix(value: string): boolean {
  return /^[0-9a-f]{7,40}$/i.test(value);
}

/** The seven-character short SHA used in names and URLs. */
export function shortSha(sha: string): string {
  const lower = sha.toLowerCase();
  if (!isShaPrefix(lower)) throw new Error(`not a commit SHA: '${sha}'`);
  return lower.slice(0, 7);
}

/** The stack of a commit's preview: `preview-<sha7>` (already within what Pulumi allows in a stack name). */
export function previewStackName(sha: string): string {
  return `preview-${shortSha(sha)}`;
}

/** A preview's stack: a commit's `preview-<sha7>` or a branch's `preview-b-<slug>` (`preview-names.ts`). */
export function isPreviewStackName(stack: string): boolean {
  return /^preview-[0-9a-f]{7}$/.test(stack) || isBranchPreviewStackName(stack);
}

/** The host a preview is served at: `<sha7>.<preview domain>`. */
export function previewHost(sha: string, domain: string): string {
  return `${shortSha(sha)}.${domain}`;
}

/** ALB listener rule priorities run from 1 to 50000; the previews share one listener. */
const RULE_PRIORITY_MAX = 50_000;

/**
 * The listener rule priority of a commit's preview, derived from its SHA so that every
 * run of the program (and every machine) picks the same one without shared state.
 * Two commits collide with probability 1/50000 per pair; AWS then refuses the second
 * rule ("Priority is already in use") and that preview fails to create, visibly.
 */
export function previewRulePriority(sha: string): number {
  return (Number.parseInt(shortSha(sha), 16) % RULE_PRIORITY_MAX) + 1;
}

/** The AWS partition of a region, for managed policy ARNs (`arn:<partition>:iam::aws:policy/...`). */
export function awsPartition(region: string): string {
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  if (region.startsWith("cn-")) return "aws-cn";
  return "aws";
}

/**
 * The IAM path of every role and instance profile flightdeck creates, so the CI
 * role's IAM permissions can be limited to `role/flightdeck/*` (see the README).
 */
export const IAM_PATH = "/flightdeck/";

/**
 * AWS caps the names of ELBv2 load balancers and target groups at 32 characters:
 * letters, digits and hyphens, not starting or ending with a hyphen, and a load
 * balancer's not starting with `internal-` (ELBv2 API reference, CreateLoadBalancer
 * and CreateTargetGroup, `Name`).
 */
export const ELBV2_NAME_MAX = 32;

/**
 * What Pulumi's autonaming appends to a logical name to make the physical one: `-`
 * and 7 random hex digits, new for every replacement (pulumi-terraform-bridge
 * `tfbridge.AutoName`, Randlen 7; a name longer than the maximum is an error there,
 * never cut short: pulumi/sdk `resource.NewUniqueName`).
 */
export const AUTONAME_SUFFIX_LENGTH = 8;

/** The longest logical name of an autonamed ELBv2 resource: 32 - 8 = 24. */
export const ELBV2_LOGICAL_NAME_MAX = ELBV2_NAME_MAX - AUTONAME_SUFFIX_LENGTH;

/**
 * The logical name of an autonamed ELBv2 resource (load balancer, target group) such
 * that its physical name (the logical name plus the autoname suffix) is valid in AWS.
 * A name that already fits is kept as it is, so the resources of existing stacks keep
 * their URNs. A longer (or otherwise invalid) one becomes a readable head cut to fit,
 * then `-` and six hex digits of the SHA-256 of the whole name: two long names that
 * share their first characters still differ.
 */
export function elbv2LogicalName(name: string): string {
  const fits =
    name.length <= ELBV2_LOGICAL_NAME_MAX &&
    /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/.test(name) &&
    !/^internal-/i.test(name);
  if (fits) return name;
  const hash = createHash("sha256").update(name, "utf8").digest("hex").slice(0, 6);
  const readable = name
    .replace(/[^A-Za-z0-9-]+/g, "-")
    .replace(/^internal-/i, "int-")
    .replace(/^-+/, "");
  const head = readable.slice(0, ELBV2_LOGICAL_NAME_MAX - hash.length - 1).replace(/-+$/, "");
  return head ? `${head}-${hash}` : hash;
}

/**
 * Names derived from a commit: the preview stack and the host it is served at.
 * Pure functions shared by the program (`infra/`) and the operations (`automation/`).
 */

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

export function isPreviewStackName(stack: string): boolean {
  return /^preview-[0-9a-f]{7}$/.test(stack);
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

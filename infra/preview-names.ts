/**
 * Names of branch previews and the shared load balancer's preview slots. Pure
 * functions shared by the program (`infra/`) and the operations (`automation/`).
 *
 * A branch preview is the stack `preview-b-<slug>`, served at `https://<slug>.<domain>`.
 * The slug of a branch is a DNS label (RFC 1035 section 2.3.1: letters, digits and
 * hyphens, starting and ending with a letter or digit; at most 63 octets) that is:
 * - the branch name itself when that already is such a label (without `--`), short enough, and not
 *   shaped like a hashed slug or a short SHA (so it cannot take a commit preview's host);
 * - otherwise a readable part of the name followed by `-` and six hex digits of the
 *   SHA-256 of the exact branch name. `feature/Login` and `feature/login` then differ,
 *   and two long names cut to the same prefix differ by their hash.
 * An unhashed slug never ends in `-<6 hex>` and a hashed one always does, so two
 * branches share a slug only when SHA-256 prefixes collide (about 1 in 16.7 million per
 * pair); `preview up` still refuses a stack that serves another branch.
 */
import { createHash } from "node:crypto";

export const BRANCH_PREVIEW_PREFIX = "preview-b-";

/**
 * The longest branch preview stack name. Every AWS name the program derives from a
 * stack name must fit its limit (the tightest are ELBv2's 32 characters for a target
 * group or load balancer name, with room for a suffix): flightdeck keeps every
 * preview stack name within 28 characters, as a commit preview's `preview-<sha7>` (15) is.
 */
export const MAX_PREVIEW_STACK_NAME = 28;

/** The longest slug: what the longest stack name leaves after `preview-b-` (18). */
export const MAX_BRANCH_SLUG = MAX_PREVIEW_STACK_NAME - BRANCH_PREVIEW_PREFIX.length;

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const HASHED = /-[0-9a-f]{6}$/;
const SHA7 = /^[0-9a-f]{7}$/;
/** Prefixes that say what kind of branch it is; left out of the slug (the hash keeps it distinct). */
const KIND_PREFIX = /^(feature|features|feat|bugfix|fix|hotfix)\/(?=.)/i;

/** Whether `value` is a lower-case DNS label of at most 63 characters. */
export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}

function hash6(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex").slice(0, 6);
}

/** The slug of a branch name (see the module comment). Throws for an empty name. */
export function branchSlug(branch: string): string {
  if (branch.length === 0) throw new Error("a branch name is needed for a slug");
  // No `--`: separators stand alone in every stack name (infra/config/stack-name.ts).
  const exact = branch.length <= MAX_BRANCH_SLUG && DNS_LABEL.test(branch) && !branch.includes("--");
  if (exact && !HASHED.test(branch) && !SHA7.test(branch)) return branch;
  const readable = branch
    .replace(KIND_PREFIX, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, "");
  const head = readable.slice(0, MAX_BRANCH_SLUG - 7).replace(/-+$/, "");
  return `${head || "b"}-${hash6(branch)}`;
}

/** The stack of a branch's preview: `preview-b-<slug>`. */
export function branchPreviewStackName(branch: string): string {
  return `${BRANCH_PREVIEW_PREFIX}${branchSlug(branch)}`;
}

export function isBranchPreviewStackName(stack: string): boolean {
  if (!stack.startsWith(BRANCH_PREVIEW_PREFIX)) return false;
  const slug = stack.slice(BRANCH_PREVIEW_PREFIX.length);
  return slug.length <= MAX_BRANCH_SLUG && DNS_LABEL.test(slug);
}

/** The slug of a branch preview's stack name, or undefined for any other stack. */
export function slugOfStack(stack: string): string | undefined {
  return isBranchPreviewStackName(stack) ? stack.slice(BRANCH_PREVIEW_PREFIX.length) : undefined;
}

/**
 * How many previews the shared load balancer serves at once. Each preview has its own
 * target group, and an Application Load Balancer can be the target of at most 100
 * target groups (Elastic Load Balancing quotas, "Target groups per Application Load
 * Balancer": 100; https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html).
 */
export const MAX_LIVE_PREVIEWS = 100;

/** ALB listener rule priorities run from 1 to 50000 (ELBv2 CreateRule `Priority`). */
export const RULE_PRIORITY_MAX = 50_000;

/** Where a stack's priority search starts: a hash of the stack name, stable across machines. */
export function preferredRulePriority(stack: string): number {
  const n = Number.parseInt(createHash("sha256").update(stack, "utf8").digest("hex").slice(0, 8), 16);
  return (n % RULE_PRIORITY_MAX) + 1;
}

/**
 * The first priority not in `taken`, from `preferred` upwards (wrapping after 50000):
 * the same inputs always give the same answer, and never one that is taken.
 */
export function allocateRulePriority(preferred: number, taken: ReadonlySet<number>): number {
  if (!Number.isInteger(preferred) || preferred < 1 || preferred > RULE_PRIORITY_MAX) {
    throw new Error(`a listener rule priority runs from 1 to ${RULE_PRIORITY_MAX}, got ${preferred}`);
  }
  let p = preferred;
  for (let i = 0; i < RULE_PRIORITY_MAX; i++) {
    if (!taken.has(p)) return p;
    p = (p % RULE_PRIORITY_MAX) + 1;
  }
  throw new Error(`every listener rule priority from 1 to ${RULE_PRIORITY_MAX} is taken`);
}

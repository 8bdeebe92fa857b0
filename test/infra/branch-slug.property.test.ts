/**
 * Branch preview names (infra/preview-names.ts), checked as properties over generated branch
 * names (fast-check) and on the edge cases by name.
 * - A DNS label: RFC 1035 section 2.3.1 (letters, digits, hyphens; starts and ends with a letter or
 *   digit) within 63 octets (section 2.3.4).
 * - A git branch name may hold almost any character but control characters, spaces, `~^:?*[\`
 *   (git-check-ref-format); the generators below include upper case, `/`, `_`, `.`, unicode and
 *   long names.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { isPreviewStackName } from "../../infra/naming.js";
import {
  allocateRulePriority,
  BRANCH_PREVIEW_PREFIX,
  branchPreviewStackName,
  branchSlug,
  isBranchPreviewStackName,
  isDnsLabel,
  MAX_BRANCH_SLUG,
  MAX_PREVIEW_STACK_NAME,
  preferredRulePriority,
  RULE_PRIORITY_MAX,
  slugOfStack,
} from "../../infra/preview-names.js";

const branchChars = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_/.é");
const branchName = fc.oneof(
  fc.string({ unit: branchChars, minLength: 1, maxLength: 80 }),
  fc.string({ minLength: 1, maxLength: 40 }),
  fc
    .tuple(
      fc.constantFrom("feature/", "bugfix/", "hotfix/", "release/", ""),
      fc.string({ unit: branchChars, minLength: 1, maxLength: 60 }),
    )
    .map(([a, b]) => a + b),
);

describe("branch preview names", () => {
  it("every slug is a DNS label short enough for the stack name limit", () => {
    fc.assert(
      fc.property(branchName, (branch) => {
        const slug = branchSlug(branch);
        assert.ok(isDnsLabel(slug), `'${slug}' (from '${branch}') is not a DNS label`);
        assert.ok(slug.length <= MAX_BRANCH_SLUG, `'${slug}' is longer than ${MAX_BRANCH_SLUG}`);
        assert.ok(!slug.includes("--"), `'${slug}' has two hyphens in a row`);
        const stack = branchPreviewStackName(branch);
        assert.ok(stack.length <= MAX_PREVIEW_STACK_NAME, `${stack} is too long`);
        assert.ok(isBranchPreviewStackName(stack) && isPreviewStackName(stack), stack);
        assert.equal(slugOfStack(stack), slug);
      }),
      { numRuns: 2000 },
    );
  });

  it("is deterministic, and distinct branches get distinct slugs", () => {
    fc.assert(
      fc.property(branchName, branchName, (a, b) => {
        assert.equal(branchSlug(a), branchSlug(a));
        if (a !== b) assert.notEqual(branchSlug(a), branchSlug(b), `'${a}' and '${b}' share a slug`);
      }),
      { numRuns: 3000 },
    );
  });

  it("keeps a branch that already is a short lower-case label, and hashes the rest", () => {
    assert.equal(branchSlug("login"), "login");
    assert.equal(branchSlug("fix-123"), "fix-123");
    assert.match(branchSlug("a--b"), /^a-b-[0-9a-f]{6}$/);
    assert.match(branchSlug("feature/login"), /^login-[0-9a-f]{6}$/);
    assert.match(branchSlug("feature/Login"), /^login-[0-9a-f]{6}$/);
    assert.notEqual(branchSlug("feature/Login"), branchSlug("feature/login"));
    // Two long names cut to the same readable prefix differ by their hash.
    const long = "feature/payments-refactor-of-the-checkout";
    assert.equal(branchSlug(`${long}-a`).slice(0, 11), branchSlug(`${long}-b`).slice(0, 11));
    assert.notEqual(branchSlug(`${long}-a`), branchSlug(`${long}-b`));
    // Nothing readable left: still a label.
    assert.match(branchSlug("___"), /^b-[0-9a-f]{6}$/);
    assert.match(branchSlug("ümlaut"), /^mlaut-[0-9a-f]{6}$/);
  });

  it("never gives a slug that could be a commit preview's host or another branch's hashed slug", () => {
    // `abcdef1` as a branch name must not take https://abcdef1.<domain>, the commit abcdef1's host.
    assert.notEqual(branchSlug("abcdef1"), "abcdef1");
    assert.match(branchSlug("abcdef1"), /^abcdef1-[0-9a-f]{6}$/);
    // A branch literally named like a hashed slug is hashed too, so it cannot equal one.
    const hashed = branchSlug("feature/login");
    assert.notEqual(branchSlug(hashed), hashed);
  });

  it("recognises branch preview stacks, and commit preview stacks stay as they were", () => {
    assert.equal(isPreviewStackName("preview-0123abc"), true);
    assert.equal(isPreviewStackName("preview-b-login"), true);
    assert.equal(isPreviewStackName(`${BRANCH_PREVIEW_PREFIX}${"a".repeat(MAX_BRANCH_SLUG + 1)}`), false);
    assert.equal(isPreviewStackName("preview-b-Login"), false);
    assert.equal(isPreviewStackName("preview-b--x"), false);
    assert.equal(isPreviewStackName("previews"), false);
    assert.equal(isPreviewStackName("staging"), false);
  });
});

describe("listener rule priorities", () => {
  const priority = fc.integer({ min: 1, max: RULE_PRIORITY_MAX });

  it("allocates a free priority in range, deterministically", () => {
    fc.assert(
      fc.property(priority, fc.uniqueArray(priority, { maxLength: 200 }), (preferred, takenList) => {
        const taken = new Set(takenList);
        const p = allocateRulePriority(preferred, taken);
        assert.ok(p >= 1 && p <= RULE_PRIORITY_MAX);
        assert.equal(taken.has(p), false);
        assert.equal(allocateRulePriority(preferred, taken), p);
        if (!taken.has(preferred)) assert.equal(p, preferred);
      }),
    );
  });

  it("wraps past 50000 and gives 100 previews 100 different priorities", () => {
    assert.equal(allocateRulePriority(RULE_PRIORITY_MAX, new Set([RULE_PRIORITY_MAX])), 1);
    const taken = new Set<number>();
    for (let i = 0; i < 100; i++) {
      // Every stack prefers the same priority: the worst case of the SHA-derived scheme.
      taken.add(allocateRulePriority(7, taken));
    }
    assert.equal(taken.size, 100);
    const stacks = ["preview-b-login", "preview-b-signup"];
    assert.notEqual(preferredRulePriority(stacks[0] as string), preferredRulePriority(stacks[1] as string));
    assert.throws(() => allocateRulePriority(0, new Set()), /1 to 50000/);
  });
});

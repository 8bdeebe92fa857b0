/**
 * `flightdeck:changes`: how flightdeck reads the commits a deploy releases.
 * `issueKeyPattern` finds issue keys (Jira's `ABC-123` by default) in commit
 * messages and in the names of merged branches. It is a regular expression
 * run over every listed commit, so it is checked here: it must compile, be
 * short, match no empty text, and have no quantified group that itself holds
 * a quantifier (`(a+)+`, the classic shape of catastrophic backtracking).
 */
import { z } from "zod";

/** Jira's issue key: a project key (a capital letter, then capitals or digits) and a number. */
export const DEFAULT_ISSUE_KEY_PATTERN = "[A-Z][A-Z0-9]+-\\d+";
export const MAX_ISSUE_KEY_PATTERN_LENGTH = 200;

/** A group holding a quantifier, itself quantified: `(a+)+`, `(\d*-?)*`, `(x{2,})+`. */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*(?:[+*]|\{\d+,\d*\})(?:[^()\\]|\\.)*\)(?:[+*]|\{\d+,\d*\})/;

/** Why a pattern cannot be the issue key pattern, or undefined when it can. */
export function issueKeyPatternProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return "must not be empty (leave it out for the default)";
  if (pattern.length > MAX_ISSUE_KEY_PATTERN_LENGTH) {
    return `must be at most ${MAX_ISSUE_KEY_PATTERN_LENGTH} characters (got ${pattern.length}); an issue key needs a short pattern like ${DEFAULT_ISSUE_KEY_PATTERN}`;
  }
  let re: RegExp;
  try {
    re = new RegExp(pattern, "g");
  } catch (error) {
    return `is not a valid regular expression: ${(error as Error).message}`;
  }
  if (re.test("")) return "must not match empty text (every position would be a key): use + rather than *";
  if (NESTED_QUANTIFIER.test(pattern)) {
    return "has a quantified group holding another quantifier (like (a+)+), which can take exponential time on a long message: write it without the nesting";
  }
  return undefined;
}

export const changesSchema = z
  .object({
    /** A JavaScript regular expression (no flags) matching one issue key. */
    issueKeyPattern: z
      .string()
      .superRefine((pattern, ctx) => {
        const problem = issueKeyPatternProblem(pattern);
        if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
      })
      .default(DEFAULT_ISSUE_KEY_PATTERN),
  })
  .strict();

export type ChangesConfig = z.output<typeof changesSchema>;

/** The issue key pattern of a config's `changes` section (the default when it has none). */
export function issueKeyRegExp(changes: { issueKeyPattern?: string } | undefined): RegExp {
  return new RegExp(changes?.issueKeyPattern ?? DEFAULT_ISSUE_KEY_PATTERN, "g");
}

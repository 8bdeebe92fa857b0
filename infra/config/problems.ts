/**
 * A failed parse as people read it: one line per problem, `<source>: <Pulumi
 * key path>: <message>`, at most `MAX_PROBLEMS` of them and then how many more
 * (a file of 300,000 bad keys gives 51 lines, not a 20 MB message). A
 * `secure:` value where flightdeck expects a setting gets a line that says
 * where secrets go instead of "expected string, received object".
 */
import type { z } from "zod";
import { configKeyFor } from "./pulumi-keys.js";

/** Problems (and warnings) listed one by one; the rest are counted. */
export const MAX_PROBLEMS = 50;
/** Unknown keys named in one line; the rest are counted. */
const MAX_KEYS_NAMED = 10;

/** Where secrets belong instead of a stack config. */
export const WHERE_SECRETS_GO =
  "AWS Secrets Manager or SSM Parameter Store (aws ssm put-parameter --type SecureString --name /<app>/<name> --value …), read by the machines with their IAM role";

/** The message for a `secure:` value on a key flightdeck reads. */
export const SECURE_VALUE_MESSAGE = `is encrypted (secure:), but flightdeck does not decrypt its settings and none of them is a secret; secrets belong in ${WHERE_SECRETS_GO}`;

/** A value as a problem names it: quoted, long values shortened, control characters escaped. */
export function quoteValue(value: string): string {
  const escape = (text: string) => text.replace(/\p{Cc}/gu, (c) => JSON.stringify(c).slice(1, -1));
  if (value.length <= 64) return `'${escape(value)}'`;
  return `'${escape(value.slice(0, 40))}…${escape(value.slice(-12))}' (${count(value.length)} characters)`;
}

/** A number as people read it: 39,950. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** Lines of a report: the first `MAX_PROBLEMS` kept (made only when kept), the rest counted. */
export class CappedLines {
  private readonly shown: string[] = [];
  private total = 0;

  add(line: () => string): void {
    this.total += 1;
    if (this.shown.length < MAX_PROBLEMS) this.shown.push(line());
  }

  /** The kept lines, then `<source>: and N more <noun>` when some were left out. */
  lines(source: string, noun: string): string[] {
    const more = this.total - this.shown.length;
    return more > 0 ? [...this.shown, `${source}: and ${count(more)} more ${noun}`] : [...this.shown];
  }
}

/** A Pulumi secret as a YAML config holds it: `{ secure: "v1:..." }`. */
export function isEncryptedValue(value: unknown): boolean {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  // The own-key test first: counting the keys of a big mapping for every problem in it would be quadratic.
  if (!Object.prototype.hasOwnProperty.call(value, "secure")) return false;
  return typeof (value as { secure: unknown }).secure === "string" && Object.keys(value).length === 1;
}

function ownValue(container: unknown, key: PropertyKey): unknown {
  if (container === null || typeof container !== "object") return undefined;
  return Object.prototype.hasOwnProperty.call(container, key)
    ? (container as Record<PropertyKey, unknown>)[key]
    : undefined;
}

/** `isEncryptedValue`, remembering each object's answer (many problems share their parents). */
function encryptedValueCheck(): (value: unknown) => boolean {
  const seen = new WeakMap<object, boolean>();
  return (value) => {
    if (value === null || typeof value !== "object") return false;
    let answer = seen.get(value);
    if (answer === undefined) {
      answer = isEncryptedValue(value);
      seen.set(value, answer);
    }
    return answer;
  };
}

/** The shortest start of `path` whose value in `input` is a `secure:` value, if any. */
function encryptedPrefix(
  input: unknown,
  path: readonly PropertyKey[],
  isEncrypted: (value: unknown) => boolean,
): PropertyKey[] | undefined {
  let value = input;
  for (let i = 0; i < path.length; i++) {
    value = ownValue(value, path[i] as PropertyKey);
    if (isEncrypted(value)) return path.slice(0, i + 1);
  }
  return undefined;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) value = ownValue(value, key);
  return value;
}

function unknownOptions(keys: readonly string[]): string {
  const named = keys.slice(0, MAX_KEYS_NAMED).map(quoteValue).join(", ");
  const more = keys.length - MAX_KEYS_NAMED;
  return `unknown option${keys.length > 1 ? "s" : ""} ${named}${more > 0 ? ` and ${count(more)} more` : ""}`;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type" && issue.message.includes("received undefined")) return "is required";
  return issue.message;
}

/**
 * The problems of a failed parse of `input`, as lines naming `source` and the
 * Pulumi key of each (unknown top-level keys each at their own key).
 */
export function configProblems(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  source: string,
): string[] {
  const out = new CappedLines();
  const hinted = new Set<string>();
  const isEncrypted = encryptedValueCheck();
  const at = (path: readonly PropertyKey[], message: string) =>
    out.add(() => `${source}: ${configKeyFor(path)}: ${message}`);
  // One line per `secure:` value, whatever the schema found wrong inside it.
  const encrypted = (path: readonly PropertyKey[]) => {
    const key = configKeyFor(path);
    if (hinted.has(key)) return;
    hinted.add(key);
    out.add(() => `${source}: ${key}: ${SECURE_VALUE_MESSAGE}`);
  };
  for (const issue of issues) {
    const secureAt = encryptedPrefix(input, issue.path, isEncrypted);
    if (secureAt) {
      encrypted(secureAt);
    } else if (issue.code === "unrecognized_keys") {
      const container = valueAt(input, issue.path);
      const unknown: string[] = [];
      for (const key of issue.keys) {
        if (isEncrypted(ownValue(container, key))) encrypted([...issue.path, key]);
        else if (issue.path.length === 0) at([key], "is not a flightdeck option");
        else unknown.push(key);
      }
      if (unknown.length > 0) at(issue.path, unknownOptions(unknown));
    } else {
      at(issue.path, describeIssue(issue));
    }
  }
  return out.lines(source, "problems");
}

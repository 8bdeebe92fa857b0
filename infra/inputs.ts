/**
 * Reading the inputs of a recorded resource, which are untyped JSON-like values:
 * shared by the cost estimate and the policy rules.
 */

/** The value at `path` inside nested objects, or undefined. */
export function get(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

export function array(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function strings(value: unknown): string[] {
  return array(value).filter((v): v is string => typeof v === "string");
}

/** `true`, or the string `"true"` some AWS provider inputs take instead of a boolean. */
export function isTrue(value: unknown): boolean {
  return value === true || value === "true";
}

/**
 * Secrets kept in plain text in a stack config: a value under a secret-looking
 * name (`password`, `apiToken`, `aws:secretKey`, ...) or shaped like an AWS
 * access key id or a private key. They are warnings, not errors (flightdeck
 * cannot know), and such a value never becomes an AWS tag (see `stackTags`).
 */
import { CappedLines, isEncryptedValue, WHERE_SECRETS_GO } from "./problems.js";
import { CONFIG_NAMESPACE } from "./pulumi-keys.js";

/** The end of a key name that says its value is a secret. */
const SECRET_NAME =
  /(password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|private[_-]?key|credentials?)$/i;
/** An AWS access key id: long-term (AKIA) or temporary (ASIA). */
const AWS_ACCESS_KEY_ID = /(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

export type PlainSecretKind = "secret name" | "AWS access key id" | "private key";

/** Why a plain setting looks like a secret (`name` is the last part of its key), or `undefined`. */
export function plainSecretKind(name: string, value: unknown): PlainSecretKind | undefined {
  if (typeof value !== "string" || value.length === 0) return undefined;
  if (AWS_ACCESS_KEY_ID.test(value) || AWS_ACCESS_KEY_ID.test(name)) return "AWS access key id";
  if (PRIVATE_KEY.test(value)) return "private key";
  if (SECRET_NAME.test(name)) return "secret name";
  return undefined;
}

function warningFor(kind: PlainSecretKind, key: string): string {
  const what =
    kind === "AWS access key id"
      ? "holds what looks like an AWS access key id (AKIA…) in plain text; deploy with an IAM role or AWS_PROFILE, not keys in config"
      : kind === "private key"
        ? "holds what looks like a private key in plain text"
        : "looks like a secret (by its name) kept in plain text";
  if (key.startsWith(`${CONFIG_NAMESPACE}:`)) {
    const tag = key.startsWith(`${CONFIG_NAMESPACE}:tags.`) ? "; it is left out of the AWS tags" : "";
    return `${what}; flightdeck's settings are never secrets: remove it and keep the secret in ${WHERE_SECRETS_GO}${tag}`;
  }
  const path = key.includes(".") ? " --path" : "";
  return `${what}; keep it in ${WHERE_SECRETS_GO}, or at least encrypted: pulumi config set --secret${path} '${key}' …`;
}

/**
 * A warning for every plain-text value of a `config:` map (every namespace, nested
 * values too) that looks like a secret. Each names the key, never the value.
 */
export function plainSecretWarnings(pulumiConfig: Record<string, unknown>, source: string): string[] {
  const out = new CappedLines();
  // Walked with a stack, not recursion, so a deeply nested value cannot overflow it; each
  // object once, so a YAML alias that refers to itself (`&a {again: *a}`) ends.
  const stack: { value: unknown; name: string; key: string }[] = [];
  const visited = new WeakSet<object>();
  for (const [key, value] of Object.entries(pulumiConfig).reverse()) {
    stack.push({ value, name: key.slice(key.indexOf(":") + 1), key });
  }
  while (stack.length > 0) {
    const { value, name, key } = stack.pop() as (typeof stack)[number];
    if (value === null || typeof value !== "object") {
      const kind = plainSecretKind(name, value);
      if (kind !== undefined) out.add(() => `${source}: ${key}: ${warningFor(kind, key)}`);
    } else if (!visited.has(value) && !isEncryptedValue(value)) {
      visited.add(value);
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i] as [string, unknown];
        stack.push({ value: v, name: Array.isArray(value) ? name : k, key: `${key}.${k}` });
      }
    }
  }
  return out.lines(source, "warnings");
}

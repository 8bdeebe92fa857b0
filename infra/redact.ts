/**
 * Keeping secrets out of everything flightdeck writes: error messages, event
 * lines (plain and JSON), the JSON-lines operation logs. A secret here is the
 * value of an environment variable whose name says it is one (passphrases,
 * tokens, keys, passwords), or the passphrase in `PULUMI_CONFIG_PASSPHRASE_FILE`;
 * Pulumi masks its own secret config values itself.
 */

import { readFileSync } from "node:fs";

/** Environment variables whose values are secrets wherever they appear. */
export const SECRET_ENV_NAME = /(SECRET|TOKEN|PASSWORD|PASSPHRASE|PRIVATE|CREDENTIAL|_KEY$|^AWS_SESSION)/i;

export const REDACTED = "[secret]";

/** The secret values of an environment, longest first (so a secret inside another goes with it). */
export function secretValues(env: Record<string, string | undefined>): string[] {
  const values = new Set<string>();
  // A `*_FILE` variable holds the path of a secret, not the secret: its content counts instead.
  const candidates = Object.entries(env).filter(
    ([name]) => SECRET_ENV_NAME.test(name) && !name.endsWith("_FILE"),
  );
  const passphraseFile = passphraseFromFile(env.PULUMI_CONFIG_PASSPHRASE_FILE);
  if (passphraseFile !== undefined) candidates.push(["PULUMI_CONFIG_PASSPHRASE_FILE", passphraseFile]);
  for (const [, value] of candidates) {
    if (value === undefined) continue;
    // Too short to replace without mangling ordinary text.
    if (value.length < 6) continue;
    values.add(value);
    // The same value as it appears inside JSON text (quotes, backslashes, control characters escaped).
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) values.add(escaped);
  }
  return [...values].sort((a, b) => b.length - a.length);
}

/** The passphrase Pulumi reads from the file (its content without the final newline), if readable. */
function passphraseFromFile(path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, "utf8").replace(/\r?\n$/, "");
  } catch {
    return undefined;
  }
}

/** A function replacing every secret value of `env` in a text with `[secret]`. */
export function createRedactor(env: Record<string, string | undefined>): (text: string) => string {
  const values = secretValues(env);
  if (values.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const value of values) if (out.includes(value)) out = out.split(value).join(REDACTED);
    return out;
  };
}

/** Replace every value of a secret-looking environment variable with `[secret]`. */
export function redactSecrets(text: string, env: Record<string, string | undefined>): string {
  return createRedactor(env)(text);
}

/**
 * Keeping secrets out of everything flightdeck writes: error messages, event
 * lines (plain and JSON), the JSON-lines operation logs. A secret here is the
 * value of an environment variable whose name says it is one (passphrases,
 * tokens, keys, passwords), or the passphrase in `PULUMI_CONFIG_PASSPHRASE_FILE`;
 * Pulumi masks its own secret config values itself.
 *
 * Only values long enough to be secrets are replaced: a passphrase such as
 * `staging` would otherwise turn every mention of the stack into `[secret]`.
 * `weakPassphraseWarning` says when a passphrase is too weak to be hidden.
 */

import { readFileSync } from "node:fs";
import { ENVIRONMENT_KINDS } from "./config/kinds.js";

/** Environment variables whose values are secrets wherever they appear. */
export const SECRET_ENV_NAME = /(SECRET|TOKEN|PASSWORD|PASSPHRASE|PRIVATE|CREDENTIAL|_KEY$|^AWS_SESSION)/i;

export const REDACTED = "[secret]";

/** The shortest value treated as a secret; anything shorter is ordinary text. */
export const MIN_SECRET_LENGTH = 8;

/**
 * Words flightdeck's own output is made of (stack and environment kinds, its
 * name): never replaced, whatever their length, or no line would read right.
 */
const OUTPUT_WORDS: ReadonlySet<string> = new Set([...ENVIRONMENT_KINDS, "flightdeck"]);

function hideable(value: string): boolean {
  return value.length >= MIN_SECRET_LENGTH && !OUTPUT_WORDS.has(value.toLowerCase());
}

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
    if (value === undefined || !hideable(value)) continue;
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

/**
 * A warning for the CLI to print when the stack secrets passphrase (Pulumi reads
 * `PULUMI_CONFIG_PASSPHRASE`, else the file in `PULUMI_CONFIG_PASSPHRASE_FILE`)
 * is empty or too weak for flightdeck to hide in its output; `undefined` when it
 * is fine or there is none (another secrets provider). Never repeats the passphrase.
 */
export function weakPassphraseWarning(env: Record<string, string | undefined>): string | undefined {
  const [name, passphrase] =
    env.PULUMI_CONFIG_PASSPHRASE !== undefined
      ? ["PULUMI_CONFIG_PASSPHRASE", env.PULUMI_CONFIG_PASSPHRASE]
      : ["PULUMI_CONFIG_PASSPHRASE_FILE", passphraseFromFile(env.PULUMI_CONFIG_PASSPHRASE_FILE)];
  if (passphrase === undefined) return undefined;
  const advice =
    "Use a long random passphrase (e.g. `openssl rand -base64 24`); for an existing stack, change it with `pulumi stack change-secrets-provider passphrase`.";
  if (passphrase.length === 0) {
    return `${name} is empty: the stack's secrets are encrypted with no passphrase at all. ${advice}`;
  }
  if (passphrase.length < MIN_SECRET_LENGTH) {
    return `${name} is weak: it is shorter than ${MIN_SECRET_LENGTH} characters, too short for flightdeck to hide in its output. ${advice}`;
  }
  if (OUTPUT_WORDS.has(passphrase.toLowerCase())) {
    return `${name} is weak: it is a word flightdeck prints (a stack or environment name), so flightdeck cannot hide it in its output. ${advice}`;
  }
  return undefined;
}

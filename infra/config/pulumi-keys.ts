/**
 * Pulumi's side of a stack config: the flat key map (`aws:region`,
 * `flightdeck:network`, ...) and how values travel through the engine (strings
 * as they are, everything else as JSON text). Pure functions.
 */

/** The Pulumi config namespace of this project's own keys. */
export const CONFIG_NAMESPACE = "flightdeck";

/** The one key of another namespace the schema reads, as its `region` field. */
const REGION_KEY = "aws:region";

/** Set a key as an own property, so a key named `__proto__` is a key like any other. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** The Pulumi key of a schema path: `["network", "cidr"]` -> `flightdeck:network.cidr`. */
export function configKeyFor(path: readonly PropertyKey[]): string {
  const [head, ...rest] = path.map(String);
  if (head === undefined) return `${CONFIG_NAMESPACE}:`;
  const key = head === "region" ? REGION_KEY : `${CONFIG_NAMESPACE}:${head}`;
  return rest.length === 0 ? key : `${key}.${rest.join(".")}`;
}

/**
 * Turn the flat Pulumi config map (`aws:region`, `flightdeck:database`, ...) into the
 * schema's input. Keys of other namespaces (`aws:profile`, ...) are left out; unknown
 * `flightdeck:` keys are kept so the schema reports them.
 */
export function fromPulumiConfig(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (key === REGION_KEY) out.region = value;
    else if (key.startsWith(`${CONFIG_NAMESPACE}:`))
      define(out, key.slice(CONFIG_NAMESPACE.length + 1), value);
  }
  return out;
}

/** The inverse of `fromPulumiConfig`, for writing a stack's config. */
export function toPulumiConfig(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    define(out, key === "region" ? REGION_KEY : `${CONFIG_NAMESPACE}:${key}`, value);
  }
  return out;
}

/** A config value as Pulumi stores it: strings as they are, everything else as JSON text. */
export function encodeConfigValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The inverse of `encodeConfigValue`: JSON objects, arrays, numbers and booleans are parsed back. */
export function decodeConfigValue(text: string): unknown {
  const trimmed = text.trim();
  if (/^[[{]/.test(trimmed) || /^(true|false|-?\d+(\.\d+)?)$/.test(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch {
      // Not JSON after all: let the schema report the value as it is.
      return text;
    }
  }
  return text;
}

/**
 * Pulumi hands structured config values (`flightdeck:network: {cidr: ...}`) to the
 * program as JSON text (and scalars as text): decode each as flightdeck encoded it.
 */
export function decodeConfigValues(raw: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, decodeConfigValue(value)]));
}

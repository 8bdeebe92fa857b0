/**
 * TEST DOUBLE: part of the sandbox's stand-in `aws`/`awsx` provider plugins,
 * which stand in for AWS and create nothing in AWS.
 *
 * The switches a test turns to make the stand-ins misbehave, read from files
 * named by environment variables. The engine starts every provider plugin with
 * its own environment (sdk/go/common/resource/plugin/plugin.go, `ExecPlugin`:
 * `os.Environ()` plus the plugin's options), and the Automation API starts the
 * engine with the test's (node_modules/@pulumi/pulumi/automation/cmd.js: execa
 * extends `process.env` with the workspace's `envVars`). The files are read on
 * every call, so a test can change them between (or during) updates.
 *
 * FLIGHTDECK_SANDBOX_FAULTS=<file.json>:
 *   { "fail":  { "<resource name, type or invoke token>": "message" },
 *     "delay": { "<resource name, type or invoke token>": seconds },
 *     "drift": { "<resource name or type>": { "<property>": value } | "deleted" } }
 *   A `fail` entry makes every create, update, delete (and construct or
 *   invoke) of what it names fail with exactly that message; a `delay` entry
 *   makes them take that long first. The engine's cancellation (the provider
 *   `Cancel` call a SIGINT leads to) cuts a delay short and fails the operation,
 *   as the protocol asks of a cancelled provider. A `drift` entry is a change
 *   made outside Pulumi: a read (a refresh) of what it names answers with those
 *   properties changed, or, for "deleted", finds nothing (an empty id, which
 *   the provider protocol's Read takes as "the resource is gone").
 *
 * FLIGHTDECK_SANDBOX_IMAGES=<file.json>:
 *   { "<full commit SHA>": "ami-..." }
 *   When set, the image lookup answers only these commits (any other: the real
 *   provider's "Your query returned no results"). Unset: every commit has an image.
 */
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export const FAULTS_ENV = "FLIGHTDECK_SANDBOX_FAULTS";
export const IMAGES_ENV = "FLIGHTDECK_SANDBOX_IMAGES";

export interface Faults {
  fail: Record<string, string>;
  delay: Record<string, number>;
  drift: Record<string, Record<string, unknown> | "deleted">;
}

type Env = Record<string, string | undefined>;

function readJson(path: string, variable: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`${variable} names ${path}, which cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${variable} names ${path}, which is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function stringMap(value: unknown, where: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${where} must be an object`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "string") throw new Error(`${where}.${key} must be a string`);
  }
  return value as Record<string, string>;
}

/** The faults in force now (none when the variable is unset). */
export function readFaults(env: Env = process.env): Faults {
  const path = env[FAULTS_ENV];
  if (!path) return { fail: {}, delay: {}, drift: {} };
  const doc = readJson(path, FAULTS_ENV) as { fail?: unknown; delay?: unknown; drift?: unknown };
  const fail = stringMap(doc.fail, `${FAULTS_ENV} (${path}): fail`);
  const delay: Record<string, number> = {};
  if (doc.delay !== undefined) {
    if (typeof doc.delay !== "object" || doc.delay === null || Array.isArray(doc.delay)) {
      throw new Error(`${FAULTS_ENV} (${path}): delay must be an object`);
    }
    for (const [key, v] of Object.entries(doc.delay)) {
      if (typeof v !== "number" || !(v >= 0)) {
        throw new Error(`${FAULTS_ENV} (${path}): delay.${key} must be a number of seconds`);
      }
      delay[key] = v;
    }
  }
  const drift: Faults["drift"] = {};
  if (doc.drift !== undefined) {
    if (typeof doc.drift !== "object" || doc.drift === null || Array.isArray(doc.drift)) {
      throw new Error(`${FAULTS_ENV} (${path}): drift must be an object`);
    }
    for (const [key, v] of Object.entries(doc.drift)) {
      if (v !== "deleted" && (typeof v !== "object" || v === null || Array.isArray(v))) {
        throw new Error(`${FAULTS_ENV} (${path}): drift.${key} must be an object of properties or "deleted"`);
      }
      drift[key] = v as Record<string, unknown> | "deleted";
    }
  }
  return { fail, delay, drift };
}

/**
 * The image lookup's answer for a commit: the shared table's (every commit has
 * one) unless FLIGHTDECK_SANDBOX_IMAGES is set, then only the commits it maps.
 */
export function imageForFromEnv(
  env: Env = process.env,
): ((commit: string) => string | undefined) | undefined {
  const path = env[IMAGES_ENV];
  if (!path) return undefined;
  const images = stringMap(readJson(path, IMAGES_ENV), `${IMAGES_ENV} (${path})`);
  return (commit) => (Object.hasOwn(images, commit) ? images[commit] : undefined);
}

/** The engine's cancellation, as one provider process sees it. */
export class Cancellation {
  private readonly controller = new AbortController();

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  cancel(): void {
    this.controller.abort();
  }
}

/**
 * Apply the faults in force to one operation on whatever `keys` name (a
 * resource's name and type, or an invoke's token): wait out a delay (unless
 * the engine cancels), then fail if a fault says so.
 */
export async function applyFaults(
  operation: string,
  keys: string[],
  cancellation: Cancellation,
  env: Env = process.env,
): Promise<void> {
  const faults = readFaults(env);
  const seconds = keys.map((k) => faults.delay[k]).find((s) => s !== undefined);
  if (seconds !== undefined && seconds > 0) {
    try {
      await sleep(seconds * 1000, undefined, { signal: cancellation.signal });
    } catch {
      throw new Error(
        `${operation} of ${keys[0]} cancelled by the engine during the sandbox's ${seconds} s delay`,
      );
    }
  }
  // After a delay, read again: the test may have changed the faults meanwhile.
  const now = seconds === undefined ? faults : readFaults(env);
  const message = keys.map((k) => now.fail[k]).find((m) => m !== undefined);
  if (message !== undefined) throw new Error(message);
}

/**
 * Conversions between flightdeck's typed stack config and the engine's flat
 * `ConfigMap` (Pulumi keys, objects as JSON text). Pure functions.
 */
import {
  decodeConfigValue,
  encodeConfigValue,
  fromPulumiConfig,
  type PreviewMeta,
  parseStackConfig,
  type ReleaseInfo,
  type StackConfig,
  toPulumiConfig,
} from "../infra/config.js";
import type { ConfigMap } from "./engine.js";

/** The config keys flightdeck itself writes on every deploy (never in a committed file). */
export const IMAGE_KEY = "flightdeck:image";
export const RELEASE_KEY = "flightdeck:release";
export const PREVIEW_META_KEY = "flightdeck:previewMeta";
export const MANAGED_KEYS: readonly string[] = [IMAGE_KEY, RELEASE_KEY, PREVIEW_META_KEY];

/** Schema-shaped values (`{ region, environment, network, ... }`) to a `ConfigMap`. */
export function configMapOf(values: Record<string, unknown>): ConfigMap {
  const out: ConfigMap = {};
  for (const [key, value] of Object.entries(toPulumiConfig(values))) {
    out[key] = { value: encodeConfigValue(value) };
  }
  return out;
}

/** Plain values of a `ConfigMap` (secrets left out: flightdeck's own keys are never secret). */
export function plainValues(config: ConfigMap): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(config)) {
    if (entry.secret) continue;
    out[key] = decodeConfigValue(entry.value);
  }
  return out;
}

/** Validate a stack's engine config with the one schema. */
export function stackConfigOf(config: ConfigMap, source: string): StackConfig {
  return parseStackConfig(fromPulumiConfig(plainValues(config)), source);
}

/** What flightdeck recorded on a stack, read leniently (history entries of any age, partial configs). */
export interface RecordedRelease {
  commit?: string;
  imageId?: string;
  release?: Partial<ReleaseInfo>;
  previewMeta?: Partial<PreviewMeta>;
  branch?: string;
}

function objectAt(values: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const value = values[key];
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function stringAt(values: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = values?.[key];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/**
 * The commit, image, release and preview metadata recorded in a config, without
 * validating the whole config (an old history entry may predate a schema change).
 */
export function recordedRelease(config: ConfigMap): RecordedRelease {
  const values = plainValues(config);
  const image = objectAt(values, IMAGE_KEY);
  const release = objectAt(values, RELEASE_KEY);
  const meta = objectAt(values, PREVIEW_META_KEY);
  return {
    commit: stringAt(image, "commit") ?? stringAt(meta, "commit"),
    imageId: stringAt(image, "amiId"),
    release: release as Partial<ReleaseInfo> | undefined,
    previewMeta: meta as Partial<PreviewMeta> | undefined,
    branch: stringAt(meta, "branch"),
  };
}

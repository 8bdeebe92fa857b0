/** Shared helpers of the infra tests: example configs and lookups over recorded resources. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { fromPulumiConfig, parseStackConfig, type StackConfig } from "../../infra/config.js";
import type { ResourceRecord } from "../../infra/resources.js";

export const SHA = "0123456789abcdef0123456789abcdef01234567";
export const OTHER_SHA = "fedcba9876543210fedcba9876543210fedcba98";
export const EXAMPLE_STACKS = ["production", "staging", "testing", "previews"] as const;

/** The schema input of an example `Pulumi.<stack>.yaml` (to break in tests). */
export function exampleInput(stack: string): Record<string, unknown> {
  const doc = parseYaml(readFileSync(new URL(`../../Pulumi.${stack}.yaml`, import.meta.url), "utf8")) as {
    config: Record<string, unknown>;
  };
  return fromPulumiConfig(doc.config);
}

export function exampleConfig(stack: string): StackConfig {
  return parseStackConfig(exampleInput(stack), `Pulumi.${stack}.yaml`);
}

export function ofType(records: ResourceRecord[], type: string): ResourceRecord[] {
  return records.filter((r) => r.type === type);
}

export function one(records: ResourceRecord[], type: string, name: string): ResourceRecord {
  const found = records.find((r) => r.type === type && r.name === name);
  assert.ok(found, `no ${type} named ${name}; have ${records.map((r) => r.name).join(", ")}`);
  return found;
}

/** A nested input, by dotted path (`metadataOptions.httpTokens`). */
export function input(record: ResourceRecord, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], record.inputs);
}

/** A value the example configs always have (database, cache, tiers), checked. */
export function required<T>(value: T | undefined, what: string): T {
  assert.ok(value !== undefined, `${what} is missing`);
  return value;
}

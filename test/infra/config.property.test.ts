/**
 * Property tests of the config schema: whatever a config holds, parsing it
 * ends in a parsed config or a ConfigError (a UserError), never another
 * exception.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { stringify } from "yaml";
import {
  fromPulumiConfig,
  parseStackConfig,
  parseStackConfigYaml,
  parseStackConfigYamlWithWarnings,
  type StackConfig,
} from "../../infra/config.js";
import { ConfigError, UserError } from "../../infra/errors.js";
import { EXAMPLE_STACKS, exampleInput } from "./fixtures.js";

/** Run `parse`; anything it throws must be a ConfigError naming the source in every problem. */
function configOrConfigError(parse: () => StackConfig, source: string): void {
  try {
    const config = parse();
    assert.equal(typeof config.environment, "string");
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    assert.ok(error instanceof UserError);
    assert.ok(error.problems.length > 0 && error.problems.length <= 51, String(error.problems.length));
    for (const problem of error.problems) assert.ok(problem.startsWith(`${source}: `), problem);
  }
}

const WEIRD_VALUES = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  maxDepth: 3,
});

/** Keys the schema knows, or near them, so the properties reach past the top level. */
const KEYS = fc.oneof(
  fc.constantFrom(
    "environment",
    "region",
    "network",
    "cidr",
    "azs",
    "database",
    "cache",
    "tiers",
    "app",
    "scheduler",
    "preview",
    "ttl",
    "maxTtl",
    "previewMeta",
    "expiresAt",
    "tags",
    "image",
    "commit",
    "secure",
    "__proto__",
    "constructor",
  ),
  fc.string(),
);

/** Every path to a value in an example config (objects and arrays walked). */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== "object") return [prefix];
  const entries = Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
}

function setAt(root: Record<string, unknown>, path: string[], value: unknown): void {
  let at: Record<string, unknown> = root;
  for (const key of path.slice(0, -1)) {
    const next = at[key];
    if (next === null || typeof next !== "object") return;
    at = next as Record<string, unknown>;
  }
  const last = path.at(-1);
  if (last !== undefined)
    Object.defineProperty(at, last, { value, enumerable: true, writable: true, configurable: true });
}

describe("stack config schema (properties)", function () {
  this.timeout(120_000);

  it("turns any object into a config or a ConfigError", () => {
    fc.assert(
      fc.property(fc.dictionary(KEYS, WEIRD_VALUES), (input) => {
        configOrConfigError(() => parseStackConfig(input, "Pulumi.x.yaml"), "Pulumi.x.yaml");
      }),
      { numRuns: 500 },
    );
  });

  it("turns an example config with any field replaced or added into a config or a ConfigError", () => {
    const stacks = EXAMPLE_STACKS.map((stack) => ({ stack, paths: pathsOf(exampleInput(stack)) }));
    const broken = fc.constantFrom(...stacks).chain(({ stack, paths }) =>
      fc.tuple(
        fc.constant(stack),
        fc.oneof(
          fc.constantFrom(...paths),
          fc.constantFrom(...paths).chain((p) => KEYS.map((k) => [...p, k])),
        ),
        fc.oneof(WEIRD_VALUES, fc.string(), fc.integer(), fc.double(), fc.constant({ secure: "v1:abc" })),
      ),
    );
    fc.assert(
      fc.property(broken, ([stack, path, value]) => {
        const input = structuredClone(exampleInput(stack));
        setAt(input, path, value);
        configOrConfigError(() => parseStackConfig(input, `Pulumi.${stack}.yaml`), `Pulumi.${stack}.yaml`);
      }),
      { numRuns: 1_000 },
    );
  });

  it("turns any text into a config or a ConfigError, warnings included", () => {
    const yamlish = fc.oneof(
      fc.string(),
      fc.string({ unit: "binary" }),
      fc.dictionary(KEYS, WEIRD_VALUES).map((config) => {
        try {
          return stringify({ config });
        } catch {
          return "config: {}";
        }
      }),
      fc
        .constantFrom(...EXAMPLE_STACKS)
        .chain((stack) =>
          fc
            .dictionary(KEYS, fc.jsonValue(), { maxKeys: 3 })
            .map((extra) => stringify({ config: { ...exampleInput(stack), ...extra } })),
        ),
    );
    fc.assert(
      fc.property(yamlish, (text) => {
        configOrConfigError(() => parseStackConfigYaml(text, "Pulumi.x.yaml"), "Pulumi.x.yaml");
        configOrConfigError(
          () => parseStackConfigYamlWithWarnings(text, "Pulumi.x.yaml").config,
          "Pulumi.x.yaml",
        );
      }),
      { numRuns: 500 },
    );
  });

  it("never takes a prototype from a config key", () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          KEYS.map((k) => `flightdeck:${k}`),
          fc.jsonValue(),
        ),
        (values) => {
          const input = fromPulumiConfig(values);
          assert.equal(Object.getPrototypeOf(input), Object.prototype);
        },
      ),
    );
  });
});

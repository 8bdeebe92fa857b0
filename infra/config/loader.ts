/**
 * Reading a stack's config: from values passed in (`parseStackConfig`), from
 * the text of a `Pulumi.<stack>.yaml`, or from the file in a project
 * directory. Every path ends in a validated config or a ConfigError listing
 * the problems; the `...WithWarnings` variants also return warnings about
 * secrets kept in plain text, for the CLI to print.
 */
import { readdir, readFile } from "node:fs/promises";
import { basename } from "node:path";
import { isMap, isScalar, LineCounter, parseDocument, visit } from "yaml";
import { ConfigError } from "../errors.js";
import { plainSecretWarnings } from "./plain-secrets.js";
import { configProblems, quoteValue } from "./problems.js";
import { fromPulumiConfig } from "./pulumi-keys.js";
import { type StackConfig, stackConfigSchema } from "./schema.js";

/** A validated config and the warnings about it (each `<source>: <key>: <message>`). */
export interface LoadedStackConfig {
  config: StackConfig;
  warnings: string[];
}

/**
 * Parse the schema input, or throw a `ConfigError` listing every problem as
 * `<source>: <pulumi key path>: <message>` (the first 50, then how many more).
 */
export function parseStackConfig(input: Record<string, unknown>, source: string): StackConfig {
  const result = stackConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(source, configProblems(result.error.issues, input, source));
}

/**
 * The YAML document's `config:` map. Keys given twice are refused here, in one
 * pass with a set per mapping: the YAML library's own check compares each key
 * with every key before it, which took ~36 s for 40,000 keys.
 */
function configMapOf(text: string, source: string): Record<string, unknown> {
  const invalid = (why: string) => new ConfigError(source, [`${source}: is not valid YAML: ${why}`]);
  const lineCounter = new LineCounter();
  let doc: unknown;
  try {
    const document = parseDocument(text, { uniqueKeys: false, lineCounter });
    const [error] = document.errors;
    if (error) throw invalid(error.message.split("\n")[0] ?? error.name);
    const badKey = firstBadKey(document, lineCounter);
    if (badKey) throw invalid(badKey);
    doc = document.toJS();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw invalid((error as Error).message.split("\n")[0] ?? String(error));
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new ConfigError(source, [`${source}: must be a YAML mapping with a 'config:' key`]);
  }
  const config = Object.prototype.hasOwnProperty.call(doc, "config")
    ? (doc as Record<string, unknown>).config
    : undefined;
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new ConfigError(source, [`${source}: config: must be a mapping of Pulumi config keys`]);
  }
  return config as Record<string, unknown>;
}

/**
 * The first key that appears twice in one mapping, or that is not a plain value
 * (`? [a, b]`: Pulumi config keys are text), described; `undefined` when none.
 */
function firstBadKey(document: ReturnType<typeof parseDocument>, lines: LineCounter): string | undefined {
  let found: string | undefined;
  const lineOf = (node: { range?: [number, number, number] | null }) =>
    node.range ? ` (line ${lines.linePos(node.range[0]).line})` : "";
  visit(document, {
    Map(_, map) {
      if (!isMap(map)) return undefined;
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) {
          const node = (pair.key ?? map) as { range?: [number, number, number] | null };
          found = `a mapping key must be a plain value, not a list or mapping${lineOf(node)}`;
          return visit.BREAK;
        }
        const key = pair.key.value;
        if (seen.has(key)) {
          found = `Map keys must be unique: ${quoteValue(String(key))} appears twice${lineOf(pair.key)}`;
          return visit.BREAK;
        }
        seen.add(key);
      }
      return undefined;
    },
  });
  return found;
}

/** Parse the `config:` map of a `Pulumi.<stack>.yaml` document. */
export function parseStackConfigYaml(text: string, source: string): StackConfig {
  return parseStackConfig(fromPulumiConfig(configMapOf(text, source)), source);
}

/** `parseStackConfigYaml`, with warnings about secret-looking values kept in plain text. */
export function parseStackConfigYamlWithWarnings(text: string, source: string): LoadedStackConfig {
  const pulumiConfig = configMapOf(text, source);
  const config = parseStackConfig(fromPulumiConfig(pulumiConfig), source);
  return { config, warnings: plainSecretWarnings(pulumiConfig, source) };
}

/** What flightdeck writes into a stack's config on every release: the image, who released it, preview metadata. */
export type ReleaseFields = "image" | "release" | "previewMeta";

/**
 * A stack config without the fields flightdeck writes on every release: what the
 * committed `Pulumi.<stack>.yaml` says, the same for every commit deployed with it.
 */
export function withoutReleaseFields(config: StackConfig): Omit<StackConfig, ReleaseFields> {
  const { image: _image, release: _release, previewMeta: _meta, ...committed } = config;
  return committed;
}

/** The file a stack's config lives in, relative to the project directory. */
export function stackConfigFileName(stack: string): string {
  return `Pulumi.${stack}.yaml`;
}

/** Every stack with a `Pulumi.<stack>.yaml` in a project directory, sorted (none when the folder cannot be read). */
export async function stacksWithConfig(projectDir: string): Promise<string[]> {
  const files = await readdir(projectDir).catch(() => [] as string[]);
  return files
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

async function readStackConfigFile(
  projectDir: string,
  stack: string,
): Promise<{ text: string; source: string }> {
  const file = `${projectDir}/${stackConfigFileName(stack)}`;
  const source = basename(file);
  try {
    return { text: await readFile(file, "utf8"), source };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new ConfigError(source, [`${source}: no such file in ${projectDir}`]);
    }
    throw error;
  }
}

/** Read and validate `Pulumi.<stack>.yaml` from a project directory. */
export async function loadStackConfig(projectDir: string, stack: string): Promise<StackConfig> {
  const { text, source } = await readStackConfigFile(projectDir, stack);
  return parseStackConfigYaml(text, source);
}

/**
 * `loadStackConfig`, with warnings for the CLI to print: values in the file
 * that look like secrets kept in plain text (named by key, never shown).
 */
export async function loadStackConfigWithWarnings(
  projectDir: string,
  stack: string,
): Promise<LoadedStackConfig> {
  const { text, source } = await readStackConfigFile(projectDir, stack);
  return parseStackConfigYamlWithWarnings(text, source);
}

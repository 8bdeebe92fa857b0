/**
 * `bitbucket-pipelines.yml` as the pipeline tests read it: every pipeline as a flat list of
 * steps, with YAML anchors and `<<:` merge keys resolved the way Bitbucket documents them
 * (https://support.atlassian.com/bitbucket-cloud/docs/yaml-anchors/), plus the shell helpers the
 * tests share (splitting a script line into words, finding the flightdeck command it runs,
 * the variables a text reads).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export interface Step {
  name?: string;
  deployment?: string;
  trigger?: string;
  oidc?: boolean;
  caches?: string[];
  script?: string[];
  artifacts?: string[];
}

/** A custom pipeline's run-time input (`variables:`), asked for when the pipeline is run. */
export interface Variable {
  name: string;
  default?: string;
  "allowed-values"?: string[];
}

export interface Pipeline {
  /** `default`, `branches/main`, `custom/nightly-reap`, … */
  name: string;
  steps: Step[];
  variables: Variable[];
}

/** A custom cache: a path, or a path with the files whose contents key it. */
export type CacheDefinition = string | { key?: { files?: string[] }; path: string };

export interface PipelineFile {
  text: string;
  pipelines: Pipeline[];
  caches: Record<string, CacheDefinition>;
}

export function readPipelineFile(root: string): PipelineFile {
  const text = readFileSync(join(root, "bitbucket-pipelines.yml"), "utf8");
  const doc = parse(text, { merge: true }) as {
    definitions?: { caches?: Record<string, CacheDefinition> };
    pipelines: Record<string, unknown>;
  };
  const pipelines: Pipeline[] = [];
  const collect = (name: string, items: unknown[]) => {
    const steps: Step[] = [];
    const variables: Variable[] = [];
    for (const item of items as Record<string, unknown>[]) {
      if (item.step) steps.push(item.step as Step);
      if (item.parallel) for (const p of item.parallel as { step: Step }[]) steps.push(p.step);
      if (item.variables) variables.push(...(item.variables as Variable[]));
    }
    pipelines.push({ name, steps, variables });
  };
  for (const [kind, value] of Object.entries(doc.pipelines)) {
    if (Array.isArray(value)) collect(kind, value);
    else
      for (const [name, items] of Object.entries(value as Record<string, unknown[]>))
        collect(`${kind}/${name}`, items);
  }
  return { text, pipelines, caches: doc.definitions?.caches ?? {} };
}

/** Split a shell command into words: quotes removed, the part after a pipe or `;` dropped. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === "|" || ch === ";" || ch === "&") {
      break;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  assert.equal(quote, undefined, `unbalanced quotes in: ${line}`);
  if (inWord) words.push(word);
  return words;
}

/**
 * The flightdeck command line a script line runs (words still unexpanded), or undefined.
 * Steps run flightdeck through `.ci/flightdeck`, which adds `--json`; a direct
 * `./bin/flightdeck …` is recognised too.
 */
export function flightdeckArgv(line: string): string[] | undefined {
  const words = shellWords(line);
  const wrapper = words.findIndex((w) => /(^|\/)\.ci\/flightdeck$/.test(w));
  if (wrapper >= 0) return [...words.slice(wrapper + 1), "--json"];
  const direct = words.findIndex((w) => /(^|\/)bin\/flightdeck$/.test(w));
  if (direct >= 0) return words.slice(direct + 1);
  return undefined;
}

/** Expand `$VAR`, `${VAR}` and `${VAR:-default}` with sample values. */
export function expand(word: string, values: Record<string, string>): string {
  return word.replace(/\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)/g, (_, braced, fallback, bare) => {
    const name = (braced ?? bare) as string;
    const value = values[name] ?? (fallback === undefined ? undefined : expand(fallback, values));
    assert.notEqual(value, undefined, `no sample value for $${name}`);
    return value as string;
  });
}

/** Variables the texts read, besides Bitbucket's own (`BITBUCKET_*`, `CI`) and the shell's. */
export function variablesUsed(texts: string[]): Set<string> {
  const builtIn = /^(BITBUCKET_\w+|CI|HOME|PATH|PWD)$/;
  const used = new Set<string>();
  for (const text of texts) {
    for (const m of text.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)) {
      const name = m[1] as string;
      if (!builtIn.test(name)) used.add(name);
    }
  }
  return used;
}

/** The `.ci/` files a step's script runs (`bash .ci/x`, `source .ci/x`, `node .ci/x`). */
export function ciScriptsOf(step: Step): string[] {
  const found = new Set<string>();
  for (const line of step.script ?? []) {
    for (const m of line.matchAll(/(?:^|[\s(])(?:bash|source|node|\.)\s+(\.ci\/[\w.-]+)/g)) {
      found.add(m[1] as string);
    }
  }
  return [...found];
}

/** What flightdeck needs from the environment in every pipeline step (README, "Variables"). */
export const FLIGHTDECK_ENVIRONMENT = ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"];

/**
 * The delivery pipeline (`bitbucket-pipelines.yml`) checked against the product:
 * every flightdeck invocation goes through the CLI's own parser, every
 * deployment names a stack with a config file, the production step is manual,
 * and every variable the pipeline reads is documented in the README.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { parseCommandLine } from "../../cli/parse.js";
import { parseBuildArgs } from "../../images/build.js";
import { isUserError } from "../../infra/errors.js";

const root = process.cwd();
const pipelineText = readFileSync(join(root, "bitbucket-pipelines.yml"), "utf8");
const readme = readFileSync(join(root, "README.md"), "utf8");

interface Step {
  name?: string;
  deployment?: string;
  trigger?: string;
  script?: string[];
}
interface Pipeline {
  name: string;
  steps: Step[];
  variables: { name: string; default?: string; "allowed-values"?: string[] }[];
}

/** Every pipeline as a flat list of steps (YAML anchors and merge keys resolved). */
function pipelines(text: string): Pipeline[] {
  const doc = parse(text, { merge: true }) as {
    pipelines: Record<string, unknown>;
  };
  const out: Pipeline[] = [];
  const collect = (name: string, items: unknown[]) => {
    const steps: Step[] = [];
    const variables: Pipeline["variables"] = [];
    for (const item of items as Record<string, unknown>[]) {
      if (item.step) steps.push(item.step as Step);
      if (item.parallel) for (const p of item.parallel as { step: Step }[]) steps.push(p.step);
      if (item.variables) variables.push(...(item.variables as Pipeline["variables"]));
    }
    out.push({ name, steps, variables });
  };
  for (const [kind, value] of Object.entries(doc.pipelines)) {
    if (Array.isArray(value)) collect(kind, value);
    else
      for (const [name, items] of Object.entries(value as Record<string, unknown[]>))
        collect(`${kind}/${name}`, items);
  }
  return out;
}

/** Split a shell command into words: quotes removed, the part after a pipe dropped. */
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

/** Expand `$VAR`, `${VAR}` and `${VAR:-default}` with sample values. */
function expand(word: string, values: Record<string, string>): string {
  return word.replace(/\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)/g, (_, braced, fallback, bare) => {
    const name = (braced ?? bare) as string;
    const value = values[name] ?? (fallback === undefined ? undefined : expand(fallback, values));
    assert.notEqual(value, undefined, `no sample value for $${name}`);
    return value as string;
  });
}

/** Variables the pipeline and the scripts it runs read, besides Bitbucket's own and the shell's. */
function variablesUsed(texts: string[]): Set<string> {
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

const SAMPLE_SHA = "0123456789abcdef0123456789abcdef01234567";
const all = pipelines(pipelineText);
const steps = all.flatMap((p) => p.steps.map((step) => ({ pipeline: p, step })));

describe("delivery pipeline (bitbucket-pipelines.yml)", () => {
  it("has the flows the product promises", () => {
    const names = all.map((p) => p.name);
    for (const name of [
      "default",
      "branches/main",
      "custom/rollback-to-commit",
      "custom/deploy-to-staging",
      "custom/create-test-environment",
      "custom/nightly-reap",
    ]) {
      assert.ok(names.includes(name), `missing pipeline ${name}`);
    }
    const stepNames = (name: string) => (all.find((p) => p.name === name)?.steps ?? []).map((s) => s.name);
    assert.deepEqual(stepNames("default"), ["Lint", "Migration check", "Tests", "Build checks"]);
    assert.deepEqual(stepNames("branches/main").slice(0, 5), [
      "Lint",
      "Migration check",
      "Tests",
      "Build checks",
      "Build the universal image",
    ]);
  });

  it("runs only real flightdeck commands with valid flags (checked by the CLI's own parser)", () => {
    let checked = 0;
    for (const { pipeline, step } of steps) {
      for (const line of step.script ?? []) {
        const words = shellWords(line);
        const at = words.findIndex((w) => /(^|\/)bin\/flightdeck$/.test(w));
        if (at < 0) continue;
        // Try every value a variable may take, so each allowed environment is parsed.
        const environments = pipeline.variables.find((v) => v.name === "ENVIRONMENT")?.["allowed-values"] ?? [
          "production",
        ];
        for (const environment of environments) {
          const values = { BITBUCKET_COMMIT: SAMPLE_SHA, COMMIT: "main", ENVIRONMENT: environment };
          const argv = words.slice(at + 1).map((w) => expand(w, values));
          let parsed: ReturnType<typeof parseCommandLine>;
          try {
            parsed = parseCommandLine(argv);
          } catch (error) {
            assert.fail(
              `${pipeline.name} / ${step.name}: \`${line}\` is refused: ${(error as Error).message}`,
            );
          }
          assert.notEqual(parsed.command, "help", `${pipeline.name} / ${step.name} only prints help`);
          if (parsed.command !== "help") {
            assert.ok(
              parsed.globals.nonInteractive || parsed.globals.json,
              `${step.name}: flightdeck in CI must run with --non-interactive or --json`,
            );
          }
          checked++;
        }
      }
    }
    assert.ok(checked >= 6, `expected at least 6 flightdeck invocations, found ${checked}`);
  });

  it("parser refuses what the pipeline must not contain (the check above can fail)", () => {
    assert.throws(
      () => parseCommandLine(["deploy", "staging", "--comit", SAMPLE_SHA]),
      (e) => isUserError(e),
    );
    assert.throws(
      () => parseCommandLine(["promte", "staging", "production"]),
      (e) => isUserError(e),
    );
    assert.deepEqual(shellWords(`./bin/flightdeck deploy "$X" --json | tee out`), [
      "./bin/flightdeck",
      "deploy",
      "$X",
      "--json",
    ]);
  });

  it("builds images with flags image:build accepts", () => {
    let checked = 0;
    for (const { step } of steps) {
      for (const line of step.script ?? []) {
        const words = shellWords(line);
        if (words[0] !== "npm" || words[2] !== "image:build") continue;
        const argv = words
          .slice(words.indexOf("--") + 1)
          .map((w) => expand(w, { BITBUCKET_COMMIT: SAMPLE_SHA, COMMIT: "main" }));
        const options = parseBuildArgs(argv, root);
        assert.ok(options.ref, `${step.name}: image:build without --commit`);
        checked++;
      }
    }
    assert.ok(checked >= 2, `expected image builds, found ${checked}`);
  });

  it("deploys only to stacks that have a config file", () => {
    const deployments = steps.filter(({ step }) => step.deployment !== undefined);
    assert.ok(deployments.length >= 3);
    for (const { step } of deployments) {
      const file = `Pulumi.${step.deployment}.yaml`;
      assert.ok(existsSync(join(root, file)), `${step.name}: deployment ${step.deployment} has no ${file}`);
      const deploysThere = (step.script ?? []).some((line) => {
        const words = shellWords(line);
        return words.some((w) => /bin\/flightdeck$/.test(w)) && words.includes(step.deployment as string);
      });
      assert.ok(
        deploysThere,
        `${step.name}: deployment ${step.deployment} but flightdeck targets another stack`,
      );
    }
    for (const p of all) {
      for (const v of p.variables.filter((v) => v.name === "ENVIRONMENT")) {
        for (const env of v["allowed-values"] ?? []) {
          assert.ok(
            existsSync(join(root, `Pulumi.${env}.yaml`)),
            `${p.name}: ENVIRONMENT ${env} has no config`,
          );
        }
      }
    }
  });

  it("makes every production step manual", () => {
    const production = steps.filter(({ step }) => step.deployment === "production");
    assert.ok(production.length >= 1);
    for (const { pipeline, step } of production) {
      const automatic = pipeline.name.startsWith("branches/") || pipeline.name === "default";
      if (automatic) assert.equal(step.trigger, "manual", `${pipeline.name} / ${step.name} must be manual`);
    }
  });

  it("documents every variable it uses in the README", () => {
    const scripts = [
      ".ci/aws-credentials",
      ".ci/install-packer",
      ".ci/migration-check",
      ".ci/build-artifact",
    ].map((f) => readFileSync(join(root, f), "utf8"));
    const used = variablesUsed([pipelineText, ...scripts]);
    assert.ok(used.has("PULUMI_CONFIG_PASSPHRASE") || used.has("COMMIT"), "variable scan found nothing");
    // What flightdeck itself reads from the environment in CI.
    for (const name of [
      "PULUMI_BACKEND_URL",
      "PULUMI_CONFIG_PASSPHRASE",
      "FLIGHTDECK_ACTOR",
      "AWS_ROLE_ARN",
    ]) {
      used.add(name);
    }
    const section = readme.slice(readme.indexOf("## Continuous delivery"));
    assert.ok(readme.includes("## Continuous delivery"), "README has no 'Continuous delivery' section");
    const missing = [...used].filter((name) => !section.includes(`\`${name}\``)).sort();
    assert.deepEqual(missing, [], `undocumented pipeline variables: ${missing.join(", ")}`);
  });
});

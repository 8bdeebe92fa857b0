/**
 * The delivery pipeline (`bitbucket-pipelines.yml`) checked against the product and against
 * what Bitbucket Pipelines does with it: every flightdeck invocation goes through the CLI's
 * own parser, every deployment names a stack with a config file and every command that changes
 * an environment runs in a step deploying to it, the production step is manual, steps that
 * run flightdeck keep its engine in caches, custom pipelines declare exactly the run-time
 * inputs they use, and the README says where each variable must be set.
 *
 * Bitbucket facts relied on (Atlassian's documentation):
 * - a step has one `deployment:`, and deployment variables, permissions and the Deployments
 *   view apply to that step only; other steps read repository variables
 *   (https://support.atlassian.com/bitbucket-cloud/docs/step-options/,
 *   https://support.atlassian.com/bitbucket-cloud/docs/stage-options/: sharing deployment
 *   variables across steps takes a deployment stage);
 * - custom pipelines declare run-time inputs under `variables:` with `name` and optional
 *   `default`; a scheduled run gets the default, else an empty string
 *   (https://bitbucket.org/blog/introducing-default-values-for-custom-pipeline-variables);
 * - custom caches may be keyed on files (`key: files:`), predefined ones may not
 *   (https://support.atlassian.com/bitbucket-cloud/docs/cache-dependencies/).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseCommandLine } from "../../cli/main.js";
import { parseBuildArgs } from "../../images/build.js";
import { isUserError } from "../../infra/errors.js";
import {
  ciScriptsOf,
  expand,
  FLIGHTDECK_ENVIRONMENT,
  flightdeckArgv,
  readPipelineFile,
  shellWords,
  type Step,
  variablesUsed,
} from "./bitbucket.js";

const root = process.cwd();
const file = readPipelineFile(root);
const readme = readFileSync(join(root, "README.md"), "utf8");
const all = file.pipelines;
const steps = all.flatMap((p) => p.steps.map((step) => ({ pipeline: p, step })));

const SAMPLE_SHA = "0123456789abcdef0123456789abcdef01234567";
const SAMPLES = {
  BITBUCKET_COMMIT: SAMPLE_SHA,
  BITBUCKET_BRANCH: "feature/login",
  COMMIT: "main",
  TTL: "48h",
};

/** The flightdeck commands a step runs, parsed by the CLI's own parser. */
function flightdeckCommands(step: Step) {
  return (step.script ?? []).flatMap((line) => {
    const argv = flightdeckArgv(line);
    return argv ? [{ line, parsed: parseCommandLine(argv.map((w) => expand(w, SAMPLES))) }] : [];
  });
}

/** The environment a command changes through a deployment (deploy, promote, rollback). */
function environmentChanged(parsed: ReturnType<typeof parseCommandLine>): string | undefined {
  if (parsed.command === "deploy" || parsed.command === "rollback") return parsed.env;
  if (parsed.command === "promote") return parsed.to;
  return undefined;
}

/** Everything a step's script reads: its lines, the `.ci/` scripts they run, flightdeck's own. */
function variablesOfStep(step: Step): Set<string> {
  const texts = [
    (step.script ?? []).join("\n"),
    ...ciScriptsOf(step).map((f) => readFileSync(join(root, f), "utf8")),
  ];
  const used = variablesUsed(texts);
  if ((step.script ?? []).some((line) => flightdeckArgv(line)))
    for (const v of FLIGHTDECK_ENVIRONMENT) used.add(v);
  return used;
}

/** The README's "Continuous delivery" section. */
function cdSection(): string {
  const start = readme.indexOf("## Continuous delivery");
  assert.ok(start >= 0, "README has no 'Continuous delivery' section");
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** Rows of the README's variables table: each variable named in a row, with its "set as" cell. */
function variableRows(): Map<string, string> {
  const section = cdSection();
  const table = section.slice(section.indexOf("### Variables"));
  const rows = new Map<string, string>();
  for (const line of table.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    if (cells.length < 4 || !cells[1]?.startsWith("`")) continue;
    for (const m of (cells[1] ?? "").matchAll(/`([A-Z][A-Z0-9_]*)`/g))
      rows.set(m[1] as string, cells[2] ?? "");
  }
  return rows;
}

const customInputs = new Set(
  all.filter((p) => p.name.startsWith("custom/")).flatMap((p) => p.variables.map((v) => v.name)),
);

describe("delivery pipeline (bitbucket-pipelines.yml)", () => {
  it("has the flows the product promises", () => {
    const names = all.map((p) => p.name);
    for (const name of [
      "default",
      "branches/main",
      "custom/deploy-to-staging",
      "custom/rollback-staging",
      "custom/rollback-production",
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
        const argv = flightdeckArgv(line);
        if (!argv) continue;
        let parsed: ReturnType<typeof parseCommandLine>;
        try {
          parsed = parseCommandLine(argv.map((w) => expand(w, SAMPLES)));
        } catch (error) {
          assert.fail(`${pipeline.name} / ${step.name}: \`${line}\` is refused: ${(error as Error).message}`);
        }
        assert.notEqual(parsed.command, "help", `${pipeline.name} / ${step.name} only prints help`);
        if (parsed.command !== "help") {
          assert.ok(
            parsed.globals.nonInteractive,
            `${step.name}: flightdeck in CI must run with --non-interactive`,
          );
          assert.ok(
            parsed.globals.json,
            `${step.name}: flightdeck in CI must write JSON lines (.ci/flightdeck)`,
          );
        }
        checked++;
      }
    }
    assert.ok(checked >= 7, `expected at least 7 flightdeck invocations, found ${checked}`);
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
    assert.deepEqual(flightdeckArgv(`bash .ci/flightdeck rollback staging "$COMMIT" --yes`), [
      "rollback",
      "staging",
      "$COMMIT",
      "--yes",
      "--json",
    ]);
    assert.equal(flightdeckArgv("npm run lint"), undefined);
  });

  it("builds images with flags image:build accepts", () => {
    let checked = 0;
    for (const { step } of steps) {
      for (const line of step.script ?? []) {
        const words = shellWords(line);
        if (words[0] !== "npm" || words[2] !== "image:build") continue;
        const argv = words.slice(words.indexOf("--") + 1).map((w) => expand(w, SAMPLES));
        const options = parseBuildArgs(argv, root);
        assert.ok(options.ref, `${step.name}: image:build without --commit`);
        checked++;
      }
    }
    assert.ok(checked >= 2, `expected image builds, found ${checked}`);
  });

  it("deploys only to stacks that have a config file", () => {
    const deployments = steps.filter(({ step }) => step.deployment !== undefined);
    assert.ok(deployments.length >= 5);
    for (const { step } of deployments) {
      const file = `Pulumi.${step.deployment}.yaml`;
      assert.ok(existsSync(join(root, file)), `${step.name}: deployment ${step.deployment} has no ${file}`);
      const targets = flightdeckCommands(step).map(({ parsed }) => environmentChanged(parsed));
      assert.ok(
        targets.includes(step.deployment),
        `${step.name}: deployment ${step.deployment} but flightdeck targets ${targets.join(", ") || "nothing"}`,
      );
    }
  });

  it("changes an environment only from a step that deploys to it (its permissions, variables, history)", () => {
    let checked = 0;
    for (const { pipeline, step } of steps) {
      for (const { line, parsed } of flightdeckCommands(step)) {
        const target = environmentChanged(parsed);
        if (!target) continue;
        assert.equal(
          step.deployment,
          target,
          `${pipeline.name} / ${step.name}: \`${line}\` needs deployment: ${target}`,
        );
        checked++;
      }
    }
    assert.ok(checked >= 5, `expected deploys, promotions and rollbacks, found ${checked}`);
  });

  it("names each deployment environment on one step of a pipeline at most", () => {
    for (const p of all) {
      const named = p.steps.flatMap((s) => (s.deployment ? [s.deployment] : []));
      assert.deepEqual(
        named,
        [...new Set(named)],
        `${p.name} deploys to the same environment from two steps`,
      );
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

  it("keeps flightdeck's engine (Pulumi CLI and plugins) in caches keyed on package-lock.json", () => {
    const keyedOnLock = (name: string, path: string) => {
      const cache = file.caches[name];
      assert.ok(cache && typeof cache === "object", `cache ${name} is not a custom cache with a key`);
      assert.equal(cache.path, path, `cache ${name}`);
      assert.deepEqual(
        cache.key?.files,
        ["package-lock.json"],
        `cache ${name} is not keyed on package-lock.json`,
      );
    };
    keyedOnLock("pulumi-cli", "~/.flightdeck/pulumi");
    keyedOnLock("pulumi-plugins", "~/.pulumi/plugins");
    keyedOnLock("npm", "~/.npm");
    // The key changes when the Pulumi version flightdeck installs changes.
    const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version?: string }>;
    };
    assert.ok(
      lock.packages["node_modules/@pulumi/pulumi"]?.version,
      "package-lock.json pins no @pulumi/pulumi",
    );

    for (const { pipeline, step } of steps) {
      for (const name of step.caches ?? [])
        assert.ok(file.caches[name], `${step.name}: cache ${name} is not defined`);
      if (flightdeckCommands(step).length === 0) continue;
      for (const name of ["npm", "pulumi-cli", "pulumi-plugins"]) {
        assert.ok(
          step.caches?.includes(name),
          `${pipeline.name} / ${step.name} runs flightdeck without cache ${name}`,
        );
      }
    }
  });

  it("keeps artifacts only where git ignores them (a later step's clean-tree guard never sees them)", () => {
    for (const { step } of steps) {
      for (const pattern of step.artifacts ?? []) {
        const sample = pattern.replace(/\*\*/g, "sample/file").replace(/\*/g, "sample");
        const ignored = spawnSync("git", ["check-ignore", "--no-index", "-q", sample], { cwd: root });
        assert.equal(ignored.status, 0, `${step.name}: artifact ${pattern} is not ignored by .gitignore`);
      }
    }
  });

  it("custom pipelines declare every run-time input they use, and use every one they declare", () => {
    assert.ok(customInputs.has("COMMIT") && customInputs.has("TTL"));
    for (const p of all) {
      const used = new Set(p.steps.flatMap((s) => [...variablesOfStep(s)]));
      const declared = p.variables.map((v) => v.name);
      assert.deepEqual(declared, [...new Set(declared)], `${p.name} declares a variable twice`);
      for (const name of declared) assert.ok(used.has(name), `${p.name} declares ${name} but never uses it`);
      for (const name of used) {
        if (customInputs.has(name))
          assert.ok(declared.includes(name), `${p.name} uses ${name} but does not declare it`);
      }
      if (!p.name.startsWith("custom/")) assert.deepEqual(declared, [], `${p.name} cannot ask for variables`);
    }
    // A scheduled run asks nobody: it gets each default, else an empty string.
    const reap = all.find((p) => p.name === "custom/nightly-reap");
    assert.ok(
      reap?.variables.every((v) => v.default !== undefined),
      "nightly-reap runs from a schedule",
    );
  });

  it("documents every variable it uses in the README", () => {
    const scripts = [...new Set(steps.flatMap(({ step }) => ciScriptsOf(step)))];
    assert.ok(scripts.includes(".ci/aws-credentials") && scripts.includes(".ci/flightdeck"));
    const used = variablesUsed([file.text, ...scripts.map((f) => readFileSync(join(root, f), "utf8"))]);
    // flightdeck also reads who deploys (optional) in CI.
    for (const name of [...FLIGHTDECK_ENVIRONMENT, "FLIGHTDECK_ACTOR", "AWS_ROLE_ARN"]) used.add(name);
    const section = cdSection();
    const missing = [...used].filter((name) => !section.includes(`\`${name}\``)).sort();
    assert.deepEqual(missing, [], `undocumented pipeline variables: ${missing.join(", ")}`);
  });

  it("says in the README where each variable must be set", () => {
    const rows = variableRows();
    assert.ok(rows.size >= 10, `variables table not found (${rows.size} rows)`);
    for (const name of customInputs) {
      assert.match(
        rows.get(name) ?? "",
        /run-time input/,
        `${name} is a run-time input of a custom pipeline`,
      );
    }
    // Deployment variables reach only steps with `deployment:`; what any other step reads
    // must be a repository variable.
    for (const { pipeline, step } of steps) {
      if (step.deployment) continue;
      for (const name of variablesOfStep(step)) {
        const setAs = rows.get(name);
        if (setAs === undefined || customInputs.has(name)) continue;
        assert.match(
          setAs,
          /^repository/,
          `${pipeline.name} / ${step.name} reads ${name}: it must be a repository variable`,
        );
      }
    }
  });
});

/**
 * Every step of `bitbucket-pipelines.yml` run the way Bitbucket runs it: its script lines as
 * one `bash -e` script without `pipefail`, with test doubles for flightdeck and the external
 * commands (see step-runner.ts). It proves that a step fails whenever the flightdeck it runs
 * fails, that nothing lets a step pass around flightdeck, and that each step writes its
 * JSON-lines events where its `artifacts:` keep them, failed or not.
 *
 * Bitbucket facts relied on (Atlassian's documentation):
 * - the script runs under `set -e`, without `pipefail`, with a `printf` after each line
 *   (https://support.atlassian.com/bitbucket-cloud/kb/why-does-bitbucket-pipelines-pass-build-steps-despite-previous-command-failure/,
 *   https://confluence.atlassian.com/bbkb/pipelines-builds-succeeds-even-on-command-failure-1142437808.html);
 * - artifact paths are globs relative to the clone directory, and a step downloads the earlier
 *   steps' artifacts into it (https://support.atlassian.com/bitbucket-cloud/docs/use-artifacts-in-steps/);
 *   whether Bitbucket keeps a failed step's artifacts is not stated there, so a failed run is
 *   checked for the file only, and the events are also in the step log;
 * - a step with `oidc: true` gets `BITBUCKET_STEP_OIDC_TOKEN`
 *   (https://support.atlassian.com/bitbucket-cloud/docs/integrate-pipelines-with-resource-servers-using-oidc/).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { EXIT_CODE_TABLE } from "../../cli/main.js";
import { flightdeckArgv, type Pipeline, readPipelineFile, type Step } from "./bitbucket.js";
import { type StepRun, StepRunner } from "./step-runner.js";

const root = process.cwd();
const file = readPipelineFile(root);

interface Case {
  label: string;
  pipeline: Pipeline;
  step: Step;
  /** How many flightdeck lines the script has. */
  flightdeckLines: number;
}

/** Each step once (an anchored step appears in several pipelines), with its pipeline's inputs. */
function distinctSteps(): Case[] {
  const seen = new Map<string, Case>();
  for (const pipeline of file.pipelines) {
    for (const step of pipeline.steps) {
      const key = JSON.stringify([step, pipeline.variables.map((v) => v.name)]);
      if (seen.has(key)) continue;
      const flightdeckLines = (step.script ?? []).filter((line) => flightdeckArgv(line)).length;
      seen.set(key, { label: `${pipeline.name} / ${step.name}`, pipeline, step, flightdeckLines });
    }
  }
  return [...seen.values()];
}

const cases = distinctSteps();
const flightdeckCases = cases.filter((c) => c.flightdeckLines > 0);
/** Every failing exit code flightdeck documents (1 failed, 2 usage/no engine, 3 refused, 4 locked, …). */
const failures = EXIT_CODE_TABLE.filter(([code]) => code !== 0);

function output(run: StepRun): string {
  const calls = run.calls.map((c) => `  ${c.tool} ${c.args}`).join("\n");
  return `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}\n--- calls\n${calls}`;
}

function flightdeckCalls(run: StepRun) {
  return run.calls.filter((c) => c.tool === "flightdeck");
}

/** Files under `dir` in the clone, relative to the clone. */
function filesUnder(clone: string, dir: string): string[] {
  const start = join(clone, dir);
  if (!existsSync(start)) return [];
  return readdirSync(start, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(clone, join(e.parentPath, e.name)));
}

/** Whether a Bitbucket artifact glob (`*` within a folder, `**` across folders) matches a path. */
function artifactMatches(pattern: string, path: string): boolean {
  const source = pattern
    .split("**")
    .map((part) =>
      part
        .split("*")
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^/]*"),
    )
    .join(".*");
  return new RegExp(`^${source}$`).test(path);
}

/** The result event in a JSON-lines events file. */
function resultEvent(path: string): { ok: boolean; exitCode: number; url?: string } | undefined {
  const lines = readFileSync(path, "utf8").split("\n").filter(Boolean);
  const events = lines.map((line) => JSON.parse(line) as { type: string; ok: boolean; exitCode: number });
  return events.find((e) => e.type === "result");
}

describe("pipeline steps, run as Bitbucket runs them (bash -e, no pipefail)", function () {
  this.timeout(60_000);
  let runner: StepRunner;
  const passes = new Map<Case, StepRun>();
  /** A run of the step with every stand-in succeeding (once per step, shared). */
  const pass = (c: Case) => {
    let run = passes.get(c);
    if (!run) {
      run = runner.run(c.pipeline, c.step, { variables: { COMMIT: runner.commits.older } });
      passes.set(c, run);
    }
    return run;
  };

  before(() => {
    runner = new StepRunner(root);
  });
  after(() => runner.dispose());

  it("finds the steps that run flightdeck", () => {
    assert.ok(
      flightdeckCases.length >= 7,
      `expected at least 7 flightdeck steps, found ${flightdeckCases.length}`,
    );
  });

  describe("with a flightdeck that exits 0", () => {
    for (const c of cases) {
      it(`${c.label}: passes${c.flightdeckLines ? " and keeps its events as an artifact" : ""}`, () => {
        const run = pass(c);
        assert.equal(run.code, 0, output(run));
        if (c.flightdeckLines === 0) return;
        const events = filesUnder(run.clone, ".flightdeck/ci");
        assert.ok(events.length > 0, `no events file under .flightdeck/ci\n${output(run)}`);
        for (const path of events) {
          const kept = (c.step.artifacts ?? []).some((pattern) => artifactMatches(pattern, path));
          assert.ok(kept, `${path} is not among the step's artifacts: ${JSON.stringify(c.step.artifacts)}`);
          assert.equal(
            resultEvent(join(run.clone, path))?.ok,
            true,
            `${path} has no successful result event`,
          );
        }
      });
    }
  });

  describe("with a flightdeck that fails", () => {
    for (const c of flightdeckCases) {
      for (const [code, meaning] of failures) {
        it(`${c.label}: fails when flightdeck exits ${code} (${meaning}), and keeps the events`, () => {
          const run = runner.run(c.pipeline, c.step, {
            flightdeckExits: [code],
            variables: { COMMIT: runner.commits.older },
          });
          assert.notEqual(run.code, 0, `the step passed although flightdeck exited ${code}\n${output(run)}`);
          assert.equal(flightdeckCalls(run).length, 1, output(run));
          const events = filesUnder(run.clone, ".flightdeck/ci");
          assert.equal(events.length, 1, output(run));
          assert.equal(resultEvent(join(run.clone, events[0] as string))?.exitCode, code);
        });
      }
    }
  });

  describe("no bypass: no step passes while the flightdeck it runs fails", () => {
    it("every flightdeck line of every step runs (none hides behind a condition)", () => {
      for (const c of cases) {
        const run = pass(c);
        assert.equal(flightdeckCalls(run).length, c.flightdeckLines, `${c.label}\n${output(run)}`);
      }
    });

    for (const c of flightdeckCases) {
      for (let call = 1; call <= c.flightdeckLines; call++) {
        it(`${c.label}: flightdeck call ${call} of ${c.flightdeckLines} failing fails the step and ends it`, () => {
          for (const [code] of failures) {
            const exits = [...Array<number>(call - 1).fill(0), code];
            const run = runner.run(c.pipeline, c.step, {
              flightdeckExits: exits,
              variables: { COMMIT: runner.commits.older },
            });
            assert.notEqual(run.code, 0, `passed with flightdeck exits ${exits.join(",")}\n${output(run)}`);
            assert.equal(
              run.calls.at(-1)?.tool,
              "flightdeck",
              `the step ran on after flightdeck failed\n${output(run)}`,
            );
            assert.doesNotMatch(run.stdout, /^Preview URL:/m, "printed a preview URL after a failure");
          }
        });
      }
    }

    it("a preview whose URL cannot be read fails instead of printing an empty URL", () => {
      const preview = flightdeckCases.find((c) =>
        c.step.script?.some((l) => l.includes("result-field.mjs url")),
      );
      assert.ok(preview, "no step reads the preview URL");
      assert.match(pass(preview).stdout, /^Preview URL: https:\/\/0123456\.preview\.example\.com$/m);
      const run = runner.run(preview.pipeline, preview.step, { flightdeckUrl: "" });
      assert.notEqual(run.code, 0, output(run));
      assert.doesNotMatch(run.stdout, /^Preview URL:/m);
    });

    it("flightdeck always finds a clean work tree (production refuses a dirty one)", () => {
      for (const c of flightdeckCases) {
        for (const call of flightdeckCalls(pass(c))) {
          assert.equal(
            call.dirty,
            0,
            `${c.label}: git status lists ${call.dirty} paths when flightdeck starts`,
          );
        }
      }
    });

    it("a step that needs AWS fails before it does anything when there are no credentials", () => {
      const needAws = cases.filter((c) => c.step.script?.some((l) => l.includes(".ci/aws-credentials")));
      assert.ok(needAws.length >= flightdeckCases.length);
      for (const c of needAws) {
        const run = runner.run(c.pipeline, c.step, {
          variables: { COMMIT: runner.commits.older },
          env: { BITBUCKET_STEP_OIDC_TOKEN: undefined, AWS_ROLE_ARN: undefined },
        });
        assert.notEqual(run.code, 0, `${c.label}\n${output(run)}`);
        assert.deepEqual(
          run.calls.map((call) => call.tool),
          [],
          `${c.label} ran commands without credentials`,
        );
        assert.match(run.stderr, /set AWS_ROLE_ARN/);
      }
    });

    // The checks above can fail: this harness is as lenient as Bitbucket, so the script lines
    // the pipeline used to have pass here with a failing flightdeck.
    it("the harness lets through what Bitbucket lets through (the old bypasses)", () => {
      const bypasses: { script: string[]; exits: number[]; url?: string }[] = [
        { script: ["./bin/flightdeck deploy staging --json | tee deploy.jsonl"], exits: [3] },
        { script: ["./bin/flightdeck reap --json && echo reaped"], exits: [4] },
        {
          script: [
            "./bin/flightdeck preview up --json > preview.jsonl",
            'echo "Preview URL: $(node .ci/result-field.mjs url < preview.jsonl)"',
          ],
          exits: [0],
          url: "",
        },
      ];
      for (const { script, exits, url } of bypasses) {
        const step: Step = { name: "old", script };
        const fixture: Pipeline = { name: "fixture", steps: [step], variables: [] };
        const run = runner.run(fixture, step, { flightdeckExits: exits, flightdeckUrl: url });
        assert.equal(
          run.code,
          0,
          `expected \`${script.join("; ")}\` to pass, as on Bitbucket\n${output(run)}`,
        );
      }
    });
  });

  describe("feature/* branches get their branch preview and its pull request comment", () => {
    const pipeline = file.pipelines.find((p) => p.name === "branches/feature/*");
    const previewStep = () => pipeline?.steps.find((s) => s.name === "Preview this branch") as Step;

    it("builds the image, then previews the pushed branch and comments on its pull request", () => {
      assert.ok(pipeline, "no branches/feature/* pipeline");
      const names = pipeline.steps.map((s) => s.name);
      assert.ok(
        names.indexOf("Build the universal image") >= 0 &&
          names.indexOf("Build the universal image") < names.indexOf("Preview this branch"),
        `the image must be built before the preview: ${names.join(", ")}`,
      );
      const run = runner.run(pipeline, previewStep());
      assert.equal(run.code, 0, output(run));
      assert.deepEqual(
        flightdeckCalls(run).map((c) => c.args),
        [
          "preview up --branch feature/login --non-interactive --json",
          "preview comment feature/login --non-interactive --json",
        ],
      );
      assert.match(run.stdout, /^Preview URL: https:\/\/0123456\.preview\.example\.com$/m);
      // Both commands keep their events: `preview comment` does not overwrite `preview up`'s.
      assert.deepEqual(filesUnder(run.clone, ".flightdeck/ci").sort(), [
        ".flightdeck/ci/preview-comment.jsonl",
        ".flightdeck/ci/preview-up.jsonl",
      ]);
    });

    it("fails when the comment is not delivered (1) or its token is not set (2), after the preview is up", () => {
      assert.ok(pipeline);
      for (const code of [1, 2]) {
        const run = runner.run(pipeline, previewStep(), { flightdeckExits: [0, code] });
        assert.notEqual(run.code, 0, output(run));
        assert.equal(resultEvent(join(run.clone, ".flightdeck/ci/preview-comment.jsonl"))?.exitCode, code);
        assert.equal(resultEvent(join(run.clone, ".flightdeck/ci/preview-up.jsonl"))?.ok, true);
      }
    });
  });

  describe("nightly-reap sees every branch as the server has it", () => {
    it("fetches with --prune before it reaps, so a deleted branch's preview goes", () => {
      const pipeline = file.pipelines.find((p) => p.name === "custom/nightly-reap");
      assert.ok(pipeline);
      const step = pipeline.steps[0] as Step;
      const script = step.script ?? [];
      const fetch = script.findIndex((l) => /^git fetch .*--prune origin/.test(l));
      const reap = script.findIndex((l) => flightdeckArgv(l)?.[0] === "reap");
      assert.ok(fetch >= 0 && fetch < reap, `no git fetch --prune before reap: ${script.join(" / ")}`);
      // It runs for real here (git is not a stand-in): the fixture's clone has an origin.
      const run = runner.run(pipeline, step);
      assert.equal(run.code, 0, output(run));
    });
  });

  describe("nightly-drift checks every environment and fails on drift", () => {
    it("runs `drift` over every environment stack (no env named), and its exit 1 on drift fails the step", () => {
      const pipeline = file.pipelines.find((p) => p.name === "custom/nightly-drift");
      assert.ok(pipeline, "no custom/nightly-drift pipeline");
      const step = pipeline.steps[0] as Step;
      const drifts = (step.script ?? []).map(flightdeckArgv).filter((argv) => argv?.[0] === "drift");
      assert.equal(drifts.length, 1);
      // No environment named: every environment stack that exists is checked.
      assert.deepEqual(
        drifts[0]?.filter((a) => !a.startsWith("-")),
        ["drift"],
      );
      const clean = runner.run(pipeline, step, { flightdeckExits: [0] });
      assert.equal(clean.code, 0, output(clean));
      assert.match(flightdeckCalls(clean)[0]?.args ?? "", /^drift --non-interactive --json$/);
      const drifted = runner.run(pipeline, step, { flightdeckExits: [1] });
      assert.notEqual(drifted.code, 0, `drift found (exit 1) must fail the step\n${output(drifted)}`);
      assert.ok(
        existsSync(join(drifted.clone, ".flightdeck/ci/drift.jsonl")),
        "no events file for the artifacts",
      );
    });
  });

  describe("deploy-to-staging works on COMMIT in every step", () => {
    const pipeline = file.pipelines.find((p) => p.name === "custom/deploy-to-staging");

    it("checks COMMIT out before it installs, builds or deploys anything", () => {
      assert.ok(pipeline, "no custom/deploy-to-staging pipeline");
      for (const step of pipeline.steps) {
        const run = runner.run(pipeline, step, { variables: { COMMIT: runner.commits.older } });
        assert.equal(run.code, 0, output(run));
        assert.ok(run.calls.length > 0, `${step.name}: ran no command`);
        for (const call of run.calls) {
          assert.equal(
            call.head,
            runner.commits.older,
            `${step.name}: \`${call.tool} ${call.args}\` ran on ${call.head}, not on COMMIT`,
          );
        }
      }
      const deploy = pipeline.steps.find((s) => s.deployment === "staging") as Step;
      const run = runner.run(pipeline, deploy, { variables: { COMMIT: runner.commits.older } });
      assert.match(
        flightdeckCalls(run)[0]?.args ?? "",
        new RegExp(`^deploy staging --commit ${runner.commits.older} `),
      );
    });

    it("without COMMIT works on the commit the pipeline was run on", () => {
      assert.ok(pipeline);
      const deploy = pipeline.steps.find((s) => s.deployment === "staging") as Step;
      const run = runner.run(pipeline, deploy, { variables: { COMMIT: "" } });
      assert.equal(run.code, 0, output(run));
      assert.match(
        flightdeckCalls(run)[0]?.args ?? "",
        new RegExp(`^deploy staging --commit ${runner.commits.head} `),
      );
    });
  });
});

import assert from "node:assert/strict";
import { stringify } from "yaml";
import { MAX_PROBLEMS, parseStackConfig, parseStackConfigYaml } from "../../infra/config.js";
import { ConfigError } from "../../infra/errors.js";
import { exampleInput } from "./fixtures.js";

/** The `config:` map of the staging example, as Pulumi keys. */
function stagingYaml(extra: (config: Record<string, unknown>) => void): string {
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(exampleInput("staging"))) {
    config[key === "region" ? "aws:region" : `flightdeck:${key}`] = value;
  }
  extra(config);
  return stringify({ config });
}

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail("the config was accepted");
}

describe("stack config at scale", function () {
  this.timeout(120_000);

  it("validates a file of 40,000 keys in seconds (it took ~36 s: the YAML duplicate-key check was quadratic)", () => {
    const text = stagingYaml((config) => {
      for (let i = 0; i < 40_000; i++) config[`flightdeck:option${i}`] = i;
    });
    const started = performance.now();
    const problems = problemsOf(() => parseStackConfigYaml(text, "Pulumi.staging.yaml"));
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds < 12, `took ${seconds.toFixed(1)} s`);
    assert.equal(problems.length, MAX_PROBLEMS + 1);
  });

  it("still refuses a key given twice, naming it", () => {
    const text =
      "config:\n  aws:region: us-east-1\n  flightdeck:environment: staging\n  aws:region: eu-west-1\n";
    const problems = problemsOf(() => parseStackConfigYaml(text, "Pulumi.staging.yaml"));
    assert.deepEqual(problems, [
      "Pulumi.staging.yaml: is not valid YAML: Map keys must be unique: 'aws:region' appears twice (line 4)",
    ]);
    const nested = "config:\n  flightdeck:network:\n    cidr: 10.0.0.0/16\n    cidr: 10.1.0.0/16\n";
    assert.deepEqual(
      problemsOf(() => parseStackConfigYaml(nested, "Pulumi.staging.yaml")),
      ["Pulumi.staging.yaml: is not valid YAML: Map keys must be unique: 'cidr' appears twice (line 4)"],
    );
  });

  it("reports the first 50 problems, then how many more", () => {
    const input = { ...exampleInput("staging"), tags: {} as Record<string, unknown> };
    for (let i = 0; i < 1_000; i++) input.tags[`tag${i}`] = i;
    const problems = problemsOf(() => parseStackConfig(input, "Pulumi.staging.yaml"));
    assert.equal(MAX_PROBLEMS, 50);
    assert.equal(problems.length, 51);
    assert.equal(
      problems[0],
      "Pulumi.staging.yaml: flightdeck:tags.tag0: Invalid input: expected string, received number",
    );
    assert.equal(problems[50], "Pulumi.staging.yaml: and 950 more problems");
  });

  it("reports 40,000 bad values in seconds: problems are found in one pass", () => {
    const input = { ...exampleInput("staging"), tags: {} as Record<string, unknown> };
    for (let i = 0; i < 40_000; i++) input.tags[`tag${i}`] = i;
    const started = performance.now();
    const problems = problemsOf(() => parseStackConfig(input, "Pulumi.staging.yaml"));
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds < 12, `took ${seconds.toFixed(1)} s`);
    assert.equal(problems[50], "Pulumi.staging.yaml: and 39,950 more problems");
  });

  it("reports every problem when there are 50 or fewer", () => {
    const input = { ...exampleInput("staging"), tags: {} as Record<string, unknown> };
    for (let i = 0; i < 50; i++) input.tags[`tag${i}`] = i;
    assert.equal(problemsOf(() => parseStackConfig(input, "Pulumi.staging.yaml")).length, 50);
  });

  it("lists many unknown keys of one mapping in one line, shortened", () => {
    const input = { ...exampleInput("staging"), cache: { ...(exampleInput("staging").cache as object) } };
    for (let i = 0; i < 5_000; i++) (input.cache as Record<string, unknown>)[`k${i}`] = i;
    const [problem, ...rest] = problemsOf(() => parseStackConfig(input, "Pulumi.staging.yaml"));
    assert.deepEqual(rest, []);
    assert.match(problem ?? "", /^Pulumi\.staging\.yaml: flightdeck:cache: unknown options 'k0', 'k1', /);
    assert.match(problem ?? "", /, 'k9' and 4,990 more$/);
  });
});

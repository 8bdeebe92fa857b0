/**
 * `flightdeck drift` and `flightdeck sweep` in-process against the in-memory
 * engine (and a test double of the leftovers port): exit codes, JSON lines,
 * and the usage errors of their arguments.
 */
import assert from "node:assert/strict";
import { configMapOf } from "../../../automation/config-map.js";
import { MemoryEngine } from "../../../automation/engine/memory.js";
import { createOperations } from "../../../automation/operations.js";
import type { Leftovers } from "../../../automation/sweep/port.js";
import { projectRepo, type TempRepo } from "../../automation/helpers.js";
import { CI, jsonLines, runCli } from "../harness.js";

const VPC = "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0dead";

/** Test double of the leftovers port: one VPC of a removed preview, and a log of deletes. */
function fakeLeftovers(deleted: string[]): Leftovers {
  return {
    tagged: async () => [{ arn: VPC, tags: { "flightdeck:stack": "preview-dead000" } }],
    delete: async (_region, arn) => {
      deleted.push(arn);
    },
  };
}

describe("cli: drift and sweep (MemoryEngine)", function () {
  this.timeout(60_000);
  let repo: TempRepo;

  before(() => {
    repo = projectRepo();
  });

  function engineWithStaging(): MemoryEngine {
    const engine = new MemoryEngine();
    engine.seed("staging", { config: configMapOf({ environment: "staging" }), resourceCount: 2 });
    return engine;
  }

  it("drift exits 0 without drift and 1 with it, the findings in its JSON result", async () => {
    const engine = engineWithStaging();
    const clean = await runCli(repo.dir, ["drift", "--json"], { engine, env: CI });
    assert.equal(clean.code, 0, clean.stderr);
    engine.drift("staging", "r0", "update", ["tags"]);
    const run = await runCli(repo.dir, ["drift", "staging", "--json"], { engine, env: CI });
    assert.equal(run.code, 1, run.stderr);
    const result = jsonLines(run.stdout).find((e) => e.type === "result") as {
      ok: boolean;
      exitCode: number;
      data: { drifted: string[]; stacks: { drifted: { name: string; properties: string[] }[] }[] };
    };
    assert.equal(result.ok, false);
    assert.equal(result.exitCode, 1);
    assert.deepEqual(result.data.drifted, ["staging"]);
    assert.deepEqual(result.data.stacks[0]?.drifted[0]?.properties, ["tags"]);
  });

  it("drift of a stack that does not exist is a usage error (exit 2) naming it", async () => {
    const run = await runCli(repo.dir, ["drift", "qa", "--json"], { engine: engineWithStaging(), env: CI });
    assert.equal(run.code, 2);
    assert.match(run.stdout + run.stderr, /'qa'/);
  });

  it("sweep is a dry run by default; --delete needs --yes without a terminal, then deletes", async () => {
    const deleted: string[] = [];
    const deps = {
      createOperations: async (d: Parameters<typeof createOperations>[0]) =>
        createOperations({ ...d, leftovers: fakeLeftovers(deleted) }),
    };
    const dry = await runCli(repo.dir, ["sweep", "--json"], { engine: engineWithStaging(), env: CI, deps });
    assert.equal(dry.code, 0, dry.stderr);
    const result = jsonLines(dry.stdout).find((e) => e.type === "result") as {
      data: { dryRun: boolean; leftovers: { arn: string; reason: string }[] };
    };
    assert.equal(result.data.dryRun, true);
    assert.deepEqual(
      result.data.leftovers.map((l) => [l.arn, l.reason]),
      [[VPC, "stack-gone"]],
    );
    assert.deepEqual(deleted, []);
    const refused = await runCli(repo.dir, ["sweep", "--delete"], {
      engine: engineWithStaging(),
      env: CI,
      deps,
    });
    assert.equal(refused.code, 2);
    assert.deepEqual(deleted, []);
    const run = await runCli(repo.dir, ["sweep", "--delete", "--yes"], {
      engine: engineWithStaging(),
      env: CI,
      deps,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(deleted, [VPC]);
  });

  it("sweep refuses --dry-run with --delete (exit 2)", async () => {
    const run = await runCli(repo.dir, ["sweep", "--dry-run", "--delete"], { env: CI });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--dry-run or --delete, not both/);
  });
});

/**
 * `flightdeck status` in-process against the in-memory engine, in a real git
 * repository made in a temp folder.
 */
import assert from "node:assert/strict";
import { projectRepo, type TempRepo } from "../../automation/helpers.js";
import { runCli } from "../harness.js";

describe("cli: whole commands in-process (MemoryEngine)", function () {
  this.timeout(60_000);
  let repo: TempRepo;

  before(() => {
    repo = projectRepo();
  });

  it("status --json on an empty backend is one document with no stacks", async () => {
    const run = await runCli(repo.dir, ["status", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { stacks: [] });
  });
});

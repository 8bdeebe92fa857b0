/**
 * `flightdeck rollback` (and `reap --dry-run`) in-process against the
 * in-memory engine, in a real git repository made in a temp folder.
 */
import assert from "node:assert/strict";
import { MemoryEngine } from "../../../automation/engine/memory.js";
import { ALICE, projectRepo, type TempRepo } from "../../automation/helpers.js";
import { jsonLines, runCli } from "../harness.js";

describe("cli: whole commands in-process (MemoryEngine)", function () {
  this.timeout(60_000);
  let repo: TempRepo;

  before(() => {
    repo = projectRepo();
  });

  it("rollback to a commit never deployed there is refused (exit 3); reap --dry-run needs no --yes", async () => {
    const engine = new MemoryEngine();
    assert.equal((await runCli(repo.dir, ["deploy", "staging"], { engine })).code, 0);
    const rollback = await runCli(repo.dir, ["rollback", "staging", "0000000"], { engine });
    assert.notEqual(rollback.code, 0);
    const other = repo.commit(ALICE, "a change never deployed");
    const never = await runCli(repo.dir, ["rollback", "staging", other], { engine });
    assert.equal(never.code, 3, never.stderr);
    const reap = await runCli(repo.dir, ["reap", "--dry-run", "--json"], { engine });
    assert.equal(reap.code, 0, reap.stderr);
    const result = jsonLines(reap.stdout).at(-1) as { data: { dryRun: boolean; candidates: string[] } };
    assert.deepEqual(result.data, { ...result.data, dryRun: true, candidates: [] });
  });
});

/**
 * What every operation command shares (`cli/run.ts`), in-process against the
 * in-memory engine: no prompt without a terminal (--yes instead), and Ctrl-C
 * cancelling the update through the engine.
 */
import assert from "node:assert/strict";
import { MemoryEngine } from "../../automation/engine/memory.js";
import { projectRepo, type TempRepo } from "../automation/helpers.js";
import { FakeSignals, runCli, waitUntilBusy } from "./harness.js";

describe("cli: whole commands in-process (MemoryEngine)", function () {
  this.timeout(60_000);
  let repo: TempRepo;
  let head: string;

  before(() => {
    repo = projectRepo();
    head = repo.git("rev-parse", "HEAD");
  });

  it("a production deploy under CI=true never prompts: without --yes it stops with exit 2 and touches nothing", async () => {
    const engine = new MemoryEngine();
    const run = await runCli(repo.dir, ["deploy", "production"], { engine });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /needs confirmation, and flightdeck never prompts without a terminal/);
    assert.match(run.stderr, /Try: Add --yes to confirm: Deploy HEAD to PRODUCTION \(production\)/);
    assert.equal(run.stdout, "");
    assert.deepEqual(await engine.listStacks(), []);
    for (const argv of [
      ["promote", "staging", "production"],
      ["rollback", "production", head],
      ["preview", "down", head],
      ["reap"],
    ]) {
      const refused = await runCli(repo.dir, argv, { engine });
      assert.equal(refused.code, 2, argv.join(" "));
      assert.match(refused.stderr, /--yes/);
    }
    const json = await runCli(repo.dir, ["deploy", "production", "--json"], { engine });
    assert.equal(json.code, 2);
    assert.equal((JSON.parse(json.stdout) as { ok: boolean }).ok, false, "--json gets an error document");
  });

  it("Ctrl-C cancels the update through the engine (exit 130); a second one exits at once", async () => {
    const engine = new MemoryEngine({ updateLatencyMs: 5_000 });
    const signals = new FakeSignals();
    const running = runCli(repo.dir, ["deploy", "testing"], { engine, signals });
    await waitUntilBusy(engine, "testing");
    signals.send("SIGINT");
    const run = await running;
    assert.equal(run.code, 130, run.stderr);
    assert.match(run.stderr, /Cancelling the update of 'testing'/);
    assert.deepEqual(run.exits, []);
    assert.equal(signals.count(), 0, "signal handlers removed after the operation");

    const signals2 = new FakeSignals();
    const exits: number[] = [];
    const busy = new MemoryEngine({ updateLatencyMs: 1_500 });
    const hanging = runCli(repo.dir, ["deploy", "staging"], {
      engine: busy,
      signals: signals2,
      deps: { exit: (c) => void exits.push(c) },
    });
    await waitUntilBusy(busy, "staging");
    signals2.send("SIGINT");
    signals2.send("SIGINT");
    assert.deepEqual(exits, [130]);
    const second = await hanging;
    assert.match(second.stderr, /pulumi cancel --stack staging/);
  });
});

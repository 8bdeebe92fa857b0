/**
 * `flightdeck where` in-process against the in-memory engine and the real
 * operations, in a real git repository made in a temp folder; and the
 * production confirmation listing the commits a deploy releases.
 */
import assert from "node:assert/strict";
import { MemoryEngine } from "../../automation/engine/memory.js";
import { DAVE, projectRepo, type TempRepo } from "../automation/helpers.js";
import { runCli, TTY, waitFor } from "./harness.js";

describe("cli: where, and what a confirmation lists", function () {
  this.timeout(60_000);
  let repo: TempRepo;
  let keyed: string;
  let later: string;
  const engine = new MemoryEngine();

  before(async () => {
    repo = projectRepo();
    keyed = repo.commit(DAVE, "BIZPLAT-64951 Add the export button");
    later = repo.commit(DAVE, "Polish");
    const run = await runCli(repo.dir, ["deploy", "staging", "--commit", keyed], { engine });
    assert.equal(run.code, 0, run.stderr);
  });

  it("where KEY --json is one document: the key's commits and every stack's answer", async () => {
    const run = await runCli(repo.dir, ["where", "BIZPLAT-64951", "--json"], { engine });
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(run.stdout) as {
      where: {
        kind: string;
        commits: { sha: string }[];
        stacks: { stack: string; state: string; by?: string }[];
      };
    };
    assert.equal(doc.where.kind, "issue");
    assert.deepEqual(
      doc.where.commits.map((c) => c.sha),
      [keyed],
    );
    assert.deepEqual(
      doc.where.stacks.map((s) => [s.stack, s.state, s.by]),
      [["staging", "yes", "ci@example.com"]],
    );
  });

  it("where REF prints a table saying which stacks have it", async () => {
    const run = await runCli(repo.dir, ["where", later], { engine });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^commit ${later}: 1 commit$`, "m"));
    assert.match(run.stdout, /^STACK\s+HAS IT\s+RUNS\s+SINCE\s+BY\s+URL$/m);
    assert.match(
      run.stdout,
      new RegExp(
        `^staging\\s+no\\s+${keyed.slice(0, 7)}\\s+\\S+\\s+ci@example.com\\s+https://staging.example.com$`,
        "m",
      ),
    );
  });

  it("where with an unknown key or no argument is a usage error (exit 2)", async () => {
    const unknown = await runCli(repo.dir, ["where", "NOPE-1"], { engine });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no commit mentions NOPE-1/);
    const missing = await runCli(repo.dir, ["where"], { engine });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing required argument 'change'/);
  });

  it("the production prompt lists the commits the deploy releases, with their issue keys", async () => {
    let typed: Promise<void> = Promise.resolve();
    const run = await runCli(repo.dir, ["deploy", "production", "--commit", keyed], {
      engine,
      env: TTY,
      tty: true,
      onStart: (io) => {
        typed = (async () => {
          await waitFor(io.stdout, /Type production to confirm/);
          io.stdin.type("\u001b");
        })();
      },
    });
    await typed;
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stdout, /first release: 2 commits up to [0-9a-f]{7}; issues BIZPLAT-64951/);
    assert.match(
      run.stdout,
      new RegExp(
        `\\+ ${keyed.slice(0, 7)} BIZPLAT-64951 Add the export button \\[BIZPLAT-64951\\] by dave@example.com`,
      ),
    );
    assert.match(run.stdout, /\+ [0-9a-f]{7} project files by carol@example.com/);
    assert.equal(engine.has("production"), false, "cancelled: nothing was touched");
  });
});

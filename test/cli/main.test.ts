/**
 * The entry (`cli/main.ts`) in-process: the one top-level error handler, and
 * usage errors and help that need no engine.
 */
import assert from "node:assert/strict";
import { projectRepo, type TempRepo } from "../automation/helpers.js";
import { CI, runCli } from "./harness.js";

describe("cli: whole commands in-process (MemoryEngine)", function () {
  this.timeout(60_000);
  let repo: TempRepo;

  before(() => {
    repo = projectRepo();
  });

  it("a bug prints a short trace and where the logs are (exit 1); secrets in the environment are never printed", async () => {
    const run = await runCli(repo.dir, ["status"], {
      env: { ...CI, PULUMI_CONFIG_PASSPHRASE: "hunter2-passphrase" },
      deps: {
        createOperations: async () => {
          throw new TypeError("cannot read 'x' of undefined (passphrase hunter2-passphrase)");
        },
      },
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^flightdeck hit a bug: cannot read 'x' of undefined/);
    assert.match(run.stderr, /\n\s+at /);
    assert.match(run.stderr, /Operation logs are in .*\.flightdeck\/logs\./);
    assert.doesNotMatch(run.stderr, /hunter2/);
  });

  it("usage errors and help need no engine", async () => {
    const run = await runCli(repo.dir, ["deploy", "staging", "--comit", "x"], {
      deps: {
        createEngine: async () => assert.fail("no engine for a usage error"),
      },
    });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown option '--comit'\nTry: Did you mean --commit\?/);
    const help = await runCli(repo.dir, ["promote", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: flightdeck promote \[options\] <from> <to>/);
  });
});

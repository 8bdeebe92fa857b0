/**
 * `flightdeck preview up --branch`, `preview sleep|wake|comment` and `preview list`'s power and
 * reap columns: parsed, and run in-process against the in-memory engine over a real git repository.
 */
import assert from "node:assert/strict";
import { configMapOf } from "../../../automation/config-map.js";
import { MemoryEngine } from "../../../automation/engine/memory.js";
import { parseCommandLine } from "../../../cli/parse.js";
import { UserError } from "../../../infra/errors.js";
import { branchPreviewStackName } from "../../../infra/preview-names.js";
import { DAVE, projectRepo, type TempRepo } from "../../automation/helpers.js";
import { CI, jsonLines, runCli } from "../harness.js";

describe("cli: branch previews, sleep, wake and the pull request comment", function () {
  this.timeout(60_000);
  let repo: TempRepo;

  before(() => {
    repo = projectRepo();
    repo.git("checkout", "--quiet", "-b", "feat/login");
    repo.commit(DAVE, "login form");
    repo.git("checkout", "--quiet", "main");
  });

  it("parses the new forms, and refuses --branch with --commit (exit 2)", () => {
    assert.deepEqual(parseCommandLine(["preview", "up", "--branch", "feat/login"]), {
      command: "preview up",
      branch: "feat/login",
      globals: { json: false, nonInteractive: false, yes: false },
    });
    for (const sub of ["sleep", "wake", "comment"] as const) {
      const parsed = parseCommandLine(["preview", sub, "feat/login", "--json"]);
      assert.equal(parsed.command, `preview ${sub}`);
      assert.equal("ref" in parsed ? parsed.ref : undefined, "feat/login");
    }
    assert.throws(
      () => parseCommandLine(["preview", "up", "--branch", "feat/login", "--commit", "HEAD"]),
      (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.equal(error.exitCode, 2);
        assert.match(error.message, /--commit or --branch, not both/);
        return true;
      },
    );
    assert.throws(() => parseCommandLine(["preview", "sleep"]), /missing required argument/);
  });

  it("makes a branch preview, lists it with its power and reap columns, then sleeps and wakes it", async () => {
    const engine = new MemoryEngine();
    const stack = branchPreviewStackName("feat/login");
    const up = await runCli(repo.dir, ["preview", "up", "--branch", "feat/login", "--json"], {
      engine,
      env: CI,
    });
    assert.equal(up.code, 0, up.stderr);
    const result = jsonLines(up.stdout).find((e) => e.type === "result");
    assert.equal(result?.stack, stack);

    const list = await runCli(repo.dir, ["preview", "list"], { engine, env: CI });
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /POWER\s+REAP/);
    const row = list.stdout.split("\n").find((l) => l.startsWith(stack)) ?? "";
    assert.match(row, /with its branch/);
    // Run on a real clock: awake or asleep by the schedule, whichever it is now.
    assert.match(row, /(awake|asleep) for /);

    const sleep = await runCli(repo.dir, ["preview", "sleep", "feat/login", "--json"], { engine, env: CI });
    assert.equal(sleep.code, 0, sleep.stderr);
    const asleep = await runCli(repo.dir, ["preview", "list", "--json"], { engine, env: CI });
    const doc = JSON.parse(asleep.stdout) as { previews: { stack: string; power: unknown }[] };
    assert.deepEqual(doc.previews.find((p) => p.stack === stack)?.power, { state: "asleep", by: "hand" });

    const wake = await runCli(repo.dir, ["preview", "wake", stack], { engine, env: CI });
    assert.equal(wake.code, 0, wake.stderr);
    assert.match(
      wake.stdout,
      /awake by hand until \d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z, the next scheduled sleep/,
    );
  });

  it("preview comment without BITBUCKET_PR_TOKEN exits 2 and says what to set", async () => {
    const engine = new MemoryEngine();
    const commit = "abcdef1" + "0".repeat(33);
    engine.seed("preview-abcdef1", {
      config: configMapOf({
        environment: "preview",
        image: { commit, amiId: "ami-0123456789abcdef0" },
        previewMeta: { commit, createdAt: "2020-01-01T00:00:00.000Z", expiresAt: "2020-01-02T00:00:00.000Z" },
      }),
      resourceCount: 3,
    });
    const run = await runCli(repo.dir, ["preview", "comment", "preview-abcdef1"], { engine, env: CI });
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /BITBUCKET_PR_TOKEN, BITBUCKET_WORKSPACE, BITBUCKET_REPO_SLUG not set/);
    assert.match(run.stderr, /pullrequest:write/);
  });
});

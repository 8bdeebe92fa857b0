/**
 * `flightdeck reap` at a terminal, in-process against the in-memory engine:
 * it lists what it would destroy before asking.
 */
import assert from "node:assert/strict";
import { configMapOf } from "../../../automation/config-map.js";
import { MemoryEngine } from "../../../automation/engine/memory.js";
import { projectRepo, type TempRepo } from "../../automation/helpers.js";
import { runCli, TTY, waitFor } from "../harness.js";

describe("cli: whole commands in-process (MemoryEngine)", function () {
  this.timeout(60_000);
  let repo: TempRepo;

  before(() => {
    repo = projectRepo();
  });

  it("at a terminal, reap first lists what it would destroy, and says so when nothing is expired", async () => {
    const run = await runCli(repo.dir, ["reap"], { engine: new MemoryEngine(), env: TTY, tty: true });
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /Nothing to reap: no preview is past its TTL, and every branch preview's branch lives\./,
    );
  });

  it("at a terminal, reap asks about the expired previews and destroys them with the one engine of the run", async () => {
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
    let engines = 0;
    let typed: Promise<void> = Promise.resolve();
    const run = await runCli(repo.dir, ["reap"], {
      engine,
      env: TTY,
      tty: true,
      deps: {
        createEngine: async () => {
          engines++;
          return engine;
        },
      },
      onStart: (io) => {
        typed = (async () => {
          // The question names each preview and why it goes.
          await waitFor(io.stdout, /preview-abcdef1: expired \d+d \d+h ago/);
          io.stdin.type("y");
        })();
      },
    });
    await typed;
    assert.equal(run.code, 0, run.stderr);
    assert.equal(engine.has("preview-abcdef1"), false);
    assert.equal(engines, 1, "the listing and the reap share one engine");
  });
});

/**
 * The Automation API engine against the real Pulumi CLI, for what only it can
 * show: a terminal's Ctrl-C reaching the whole process group, a machine with
 * no work directory for a stack, and relative backend paths.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configMapOf } from "../../automation/config-map.js";
import { createLocalEngine } from "../../automation/engine/local.js";
import { readStackFile, workDirFor } from "../../automation/engine/workdir.js";
import { PROJECT_DIR, realEngineOrSkip, tinyProject } from "./real-engine.js";

const IMAGE = { commit: "b".repeat(40), amiId: "ami-0fedcba9876543210" };
const real = await realEngineOrSkip();

function engineEnv(state: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: "real-engine-test-passphrase",
  };
}

describe("local engine against the real Pulumi CLI", function () {
  this.timeout(240_000);

  beforeEach(function () {
    if (!real.available) real.skip(this);
  });

  it("cancels gracefully when Ctrl-C reaches the whole process group, and the next update runs", async () => {
    const project = tinyProject();
    const state = mkdtempSync(join(tmpdir(), "flightdeck-state-"));
    const env = engineEnv(state);
    const engine = await createLocalEngine(project, env);
    const stack = "interrupted";
    await engine.ensureStack(stack);
    await engine.setConfig(stack, {
      ...configMapOf({ image: IMAGE }),
      "flightdeck:sleepMs": { value: "15000" },
    });

    // A terminal sends SIGINT to every process of its foreground group: flightdeck and,
    // unless it runs in a group of its own, `pulumi`, which would then hear two
    // interrupts (flightdeck's and the terminal's) and terminate instead of cancelling.
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(PROJECT_DIR, "test/automation/fixtures/interrupted-update.ts"),
        project,
        stack,
      ],
      { env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const deadline = Date.now() + 120_000;
    while (!out.includes("resource") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(out.includes("resource"), out);
    await new Promise((r) => setTimeout(r, 1000));
    process.kill(-(child.pid as number), "SIGINT");
    assert.equal(await exited, 130, out);
    assert.match(out, /cancelled/);

    // No lock is left behind and the state is consistent: the next deploy succeeds.
    const locks = join(state, ".pulumi", "locks", "organization", "contract", stack);
    assert.ok(!existsSync(locks) || readdirSync(locks).length === 0, "a lock file was left behind");
    await engine.setConfig(stack, { "flightdeck:sleepMs": { value: "0" } });
    const result = await engine.up(stack, { message: "after the interrupt" });
    assert.equal(result.outputs?.commit?.value, IMAGE.commit);
    const [last, cancelled] = await engine.history(stack);
    assert.deepEqual([last?.result, cancelled?.result], ["succeeded", "failed"]);
  });

  it("keeps a stack's secrets and encryption on a machine with no work directory for it", async () => {
    const project = tinyProject();
    const state = mkdtempSync(join(tmpdir(), "flightdeck-state-"));
    const env = engineEnv(state);
    const stack = "fresh-clone";
    const first = await createLocalEngine(project, env);
    await first.ensureStack(stack);
    await first.setConfig(stack, {
      ...configMapOf({ image: IMAGE }),
      "flightdeck:webhookToken": { value: "s3cret-token-value", secret: true },
    });
    await first.up(stack);
    const salt = (await readStackFile(join(workDirFor(project, stack), `Pulumi.${stack}.yaml`)))
      ?.encryptionsalt;
    assert.ok(salt);

    // A fresh clone: the work directory is gone; a new engine reads the stack from the backend alone.
    rmSync(join(project, ".flightdeck"), { recursive: true, force: true });
    const second = await createLocalEngine(project, env);
    const config = await second.getConfig(stack);
    assert.equal(config["flightdeck:webhookToken"]?.value, "s3cret-token-value");
    assert.equal(config["flightdeck:webhookToken"]?.secret, true);
    assert.equal(JSON.parse(config["flightdeck:image"]?.value ?? "{}").commit, IMAGE.commit);
    const rendered = await readStackFile(join(workDirFor(project, stack), `Pulumi.${stack}.yaml`));
    assert.equal(rendered?.encryptionsalt, salt);
    await second.up(stack, { message: "from the fresh clone" });
    assert.equal((await second.history(stack))[0]?.result, "succeeded");
  });

  it("keeps one backend for every stack when PULUMI_BACKEND_URL is a relative path", async () => {
    const project = tinyProject();
    const here = mkdtempSync(join(tmpdir(), "flightdeck-cwd-"));
    const previous = process.cwd();
    process.chdir(here);
    let engine;
    try {
      engine = await createLocalEngine(project, {
        ...engineEnv("unused"),
        PULUMI_BACKEND_URL: "file://./relative-state",
      });
    } finally {
      process.chdir(previous);
    }
    for (const stack of ["one", "two"]) {
      await engine.ensureStack(stack);
      await engine.setConfig(stack, configMapOf({ image: IMAGE }));
      await engine.up(stack);
    }
    const stacks = readdirSync(join(here, "relative-state", ".pulumi", "stacks", "contract"));
    assert.deepEqual(stacks.filter((f) => f.endsWith(".json")).sort(), ["one.json", "two.json"]);
    assert.deepEqual((await engine.listStacks()).map((s) => s.name).sort(), ["one", "two"]);
  });
});

/**
 * The engine contract: the same cases against the in-memory engine (always)
 * and the Automation API engine (only where a `pulumi` binary is on PATH, with
 * a temp file backend, a temp passphrase and a tiny provider-free program).
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configMapOf } from "../../automation/config-map.js";
import { realEngineOrSkip, tinyProject } from "./real-engine.js";
import { createLocalEngine } from "../../automation/engine/local.js";
import { MemoryEngine } from "../../automation/engine/memory.js";
import {
  type Engine,
  type EngineEvent,
  StackLockedError,
  StackNotEmptyError,
  StackNotFoundError,
  UpdateCancelledError,
  UpdateFailedError,
} from "../../automation/engine.js";

/** An engine plus the knobs the cases need: make a stack's updates fail, or slow. */
interface Harness {
  engine: Engine;
  makeFailing(stack: string): Promise<void>;
  makeSlow(stack: string, ms: number): Promise<void>;
  /** How long to wait before cancelling a slow update. */
  settleMs: number;
  /** The backend a lock's clean-up command must name (the real engine's). */
  backendUrl?: string;
}

function memoryHarness(): Harness {
  const failing = new Set<string>();
  const slow = new Map<string, number>();
  const engine = new MemoryEngine({
    updateLatencyMs: (stack) => slow.get(stack) ?? 0,
    fail: (stack, kind) => (failing.has(stack) && kind === "update" ? "boom: the program threw" : undefined),
    holder: "tester@host (pid 42)",
  });
  return {
    engine,
    makeFailing: async (stack) => void failing.add(stack),
    makeSlow: async (stack, ms) => void slow.set(stack, ms),
    settleMs: 20,
  };
}

async function localHarness(): Promise<Harness> {
  const project = tinyProject();
  const state = mkdtempSync(join(tmpdir(), "flightdeck-state-"));
  const env = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: "contract-test-passphrase",
  };
  const engine = await createLocalEngine(project, env);
  return {
    engine,
    backendUrl: env.PULUMI_BACKEND_URL,
    makeFailing: (stack) => engine.setConfig(stack, { "flightdeck:fail": { value: "true" } }),
    makeSlow: (stack, ms) => engine.setConfig(stack, { "flightdeck:sleepMs": { value: String(ms) } }),
    settleMs: 3000,
  };
}

const IMAGE = { commit: "a".repeat(40), amiId: "ami-0123456789abcdef0" };

function contract(name: string, make: () => Promise<Harness>, timeoutMs: number): void {
  describe(`engine contract: ${name}`, function () {
    this.timeout(timeoutMs);
    let h: Harness;
    let n = 0;
    let stack: string;

    beforeEach(async () => {
      h ??= await make();
      stack = `contract-${process.pid}-${++n}`;
    });

    it("creates stacks, lists them, and refuses unknown ones with StackNotFoundError", async () => {
      await h.engine.ensureStack(stack);
      await h.engine.ensureStack(stack);
      const listed = await h.engine.listStacks();
      assert.ok(listed.some((s) => s.name === stack && !s.updateInProgress));
      await assert.rejects(h.engine.getConfig(`${stack}-missing`), StackNotFoundError);
      await assert.rejects(h.engine.history(`${stack}-missing`), StackNotFoundError);
    });

    it("merges config and runs up with it: history newest first with config and result, outputs, events", async () => {
      await h.engine.ensureStack(stack);
      await h.engine.setConfig(stack, configMapOf({ image: IMAGE }));
      await h.engine.setConfig(stack, { "flightdeck:extra": { value: "x" } });
      const config = await h.engine.getConfig(stack);
      assert.equal(JSON.parse(config["flightdeck:image"]?.value ?? "{}").commit, IMAGE.commit);
      assert.equal(config["flightdeck:extra"]?.value, "x");

      const events: EngineEvent[] = [];
      const result = await h.engine.up(stack, { message: "first", onEvent: (e) => events.push(e) });
      assert.equal(result.outputs?.commit?.value, IMAGE.commit);
      assert.equal((await h.engine.outputs(stack)).imageId?.value, IMAGE.amiId);
      assert.ok(events.some((e) => e.kind === "resource" && e.status === "done"));
      assert.ok((result.changes.create ?? 0) >= 1);

      await h.engine.up(stack, { message: "second" });
      const history = await h.engine.history(stack);
      assert.deepEqual(
        history.map((r) => [r.kind, r.result, r.message]),
        [
          ["update", "succeeded", "second"],
          ["update", "succeeded", "first"],
        ],
      );
      assert.ok((history[0]?.version ?? 0) > (history[1]?.version ?? 0));
      assert.equal(JSON.parse(history[0]?.config["flightdeck:image"]?.value ?? "{}").amiId, IMAGE.amiId);
      assert.equal((await h.engine.history(stack, 1)).length, 1);
    });

    it("records a failed update and rejects with UpdateFailedError", async () => {
      await h.engine.ensureStack(stack);
      await h.makeFailing(stack);
      await assert.rejects(h.engine.up(stack), (error: unknown) => {
        assert.ok(error instanceof UpdateFailedError);
        assert.equal(error.exitCode, 1);
        assert.match(error.message, /boom/);
        return true;
      });
      const [last] = await h.engine.history(stack);
      assert.equal(last?.result, "failed");
    });

    it("allows one update at a time: a second gets StackLockedError (exit 4)", async () => {
      await h.engine.ensureStack(stack);
      await h.makeSlow(stack, h.settleMs * 3);
      const first = h.engine.up(stack);
      await new Promise((r) => setTimeout(r, h.settleMs));
      await assert.rejects(h.engine.up(stack), (error: unknown) => {
        assert.ok(error instanceof StackLockedError, String(error));
        assert.equal(error.exitCode, 4);
        assert.match(error.holder ?? "", /\(pid \d+\)/);
        assert.match(error.nextSteps.join(" "), /pulumi cancel/);
        if (h.backendUrl)
          assert.ok(error.nextSteps.join(" ").includes(`PULUMI_BACKEND_URL='${h.backendUrl}'`));
        return true;
      });
      await first;
    });

    it("cancels a running update through the signal: UpdateCancelledError, recorded as failed", async () => {
      await h.engine.ensureStack(stack);
      await h.makeSlow(stack, h.settleMs * 20);
      const controller = new AbortController();
      const running = h.engine.up(stack, { signal: controller.signal });
      await new Promise((r) => setTimeout(r, h.settleMs));
      controller.abort();
      await assert.rejects(running, (error: unknown) => {
        assert.ok(error instanceof UpdateCancelledError);
        assert.equal(error.exitCode, 130);
        return true;
      });
      const [last] = await h.engine.history(stack);
      assert.equal(last?.result, "failed");
      assert.equal((await h.engine.listStacks()).find((s) => s.name === stack)?.updateInProgress, false);
    });

    it("cancels a running update through cancel(stack)", async () => {
      await h.engine.ensureStack(stack);
      await h.makeSlow(stack, h.settleMs * 20);
      const running = h.engine.up(stack);
      await new Promise((r) => setTimeout(r, h.settleMs));
      await h.engine.cancel(stack);
      await assert.rejects(running, UpdateCancelledError);
      assert.equal((await h.engine.history(stack))[0]?.result, "failed");
    });

    it("refuses to remove a stack with resources; destroy, then remove", async () => {
      await h.engine.ensureStack(stack);
      await h.engine.setConfig(stack, configMapOf({ image: IMAGE }));
      await h.engine.up(stack);
      await assert.rejects(h.engine.removeStack(stack), StackNotEmptyError);
      await h.engine.destroy(stack);
      assert.deepEqual(await h.engine.outputs(stack), {});
      assert.equal((await h.engine.history(stack))[0]?.kind, "destroy");
      await h.engine.removeStack(stack);
      assert.ok(!(await h.engine.listStacks()).some((s) => s.name === stack));
    });

    it("shows an update in progress in the stack list while it runs", async () => {
      await h.engine.ensureStack(stack);
      await h.makeSlow(stack, h.settleMs * 3);
      // Under way once the engine reports its first resource: it holds the stack's lock by then.
      let started!: () => void;
      const underWay = new Promise<void>((resolve) => (started = resolve));
      const running = h.engine.up(stack, { onEvent: (e) => e.kind === "resource" && started() });
      await underWay;
      assert.equal((await h.engine.listStacks()).find((s) => s.name === stack)?.updateInProgress, true);
      await running;
      assert.equal((await h.engine.listStacks()).find((s) => s.name === stack)?.updateInProgress, false);
    });

    it("keeps every update in history, numbered, past the CLI's first page of 10", async () => {
      await h.engine.ensureStack(stack);
      await h.engine.setConfig(stack, configMapOf({ image: IMAGE }));
      for (let i = 1; i <= 12; i++) await h.engine.up(stack, { message: `update ${i}` });
      const history = await h.engine.history(stack);
      assert.equal(history.length, 12);
      assert.deepEqual(
        history.map((r) => r.message),
        Array.from({ length: 12 }, (_, i) => `update ${12 - i}`),
      );
      const versions = history.map((r) => r.version);
      assert.ok(
        versions.every((v, i) => v > 0 && (i === 0 || v < (versions[i - 1] ?? 0))),
        String(versions),
      );
      assert.deepEqual(
        (await h.engine.history(stack, 2)).map((r) => r.version),
        versions.slice(0, 2),
      );
    });

    it("previews without taking a lock or writing history", async () => {
      await h.engine.ensureStack(stack);
      await h.engine.setConfig(stack, configMapOf({ image: IMAGE }));
      const result = await h.engine.preview(stack);
      assert.ok((result.changes.create ?? 0) >= 1);
      const history = await h.engine.history(stack);
      assert.ok(history.every((r) => r.kind !== "update"));
    });
  });
}

contract("memory", async () => memoryHarness(), 10_000);

const real = await realEngineOrSkip();
if (real.available) {
  contract(`local (Automation API, Pulumi ${real.version})`, localHarness, 300_000);
} else {
  describe("engine contract: local (Automation API)", () => {
    it("runs against the real Pulumi CLI", function () {
      real.skip(this);
    });
  });
}

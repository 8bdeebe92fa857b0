import assert from "node:assert/strict";
import { costKey, costWhenKnown, createCostPerDay } from "../../cli/cost.js";
import type { OfflinePlanner } from "../../cli/wiring.js";
import { loadStackConfig } from "../../infra/config.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const SHA = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";

describe("cli: cost per day from the offline plan", () => {
  it("plans once per config (ignoring the commit and release), one plan at a time", async () => {
    const staging = await loadStackConfig(ROOT, "staging");
    const calls: { stack: string; commit?: string }[] = [];
    let running = 0;
    let overlapped = false;
    const planner: OfflinePlanner = async (input) => {
      calls.push({ stack: input.stack, ...(input.commit ? { commit: input.commit } : {}) });
      running++;
      if (running > 1) overlapped = true;
      await new Promise((r) => setTimeout(r, 20));
      running--;
      return { cost: { daily: input.stack === "preview" ? 0.12 : 14.5 } } as Awaited<
        ReturnType<OfflinePlanner>
      >;
    };
    const cost = createCostPerDay(planner, ROOT, () => new Date("2026-11-21T00:00:00Z"));
    const withImage = { ...staging, image: { commit: SHA, amiId: "ami-0123456789abcdef0" } };
    const results = await Promise.all([
      cost("staging", staging),
      cost("staging", withImage),
      cost("testing", { ...staging, environment: "testing" }),
    ]);
    assert.deepEqual(results, [14.5, 14.5, 14.5]);
    assert.equal(calls.length, 2, "the same config with another commit is a cache hit");
    assert.equal(overlapped, false);
    assert.equal(costKey(staging), costKey(withImage));
    assert.equal(
      await cost("preview-1a2b3c4", { ...staging, environment: "preview", image: { commit: SHA } }),
      0.12,
    );
    assert.deepEqual(calls.at(-1), { stack: "preview", commit: SHA });
    assert.equal(
      await cost("preview-x", { ...staging, environment: "preview", image: {}, domain: "x.example.com" }),
      undefined,
    );
  });

  it("a plan that fails gives no cost rather than failing status", async () => {
    const staging = await loadStackConfig(ROOT, "staging");
    const cost = createCostPerDay(
      async () => Promise.reject(new Error("mock runtime failed")),
      ROOT,
      () => new Date(),
    );
    assert.equal(await cost("staging", staging), undefined);
  });

  it("for the dashboard: no waiting for a plan; the estimate is there on a later call", async () => {
    const staging = await loadStackConfig(ROOT, "staging");
    let release: () => void = () => {};
    const planned = new Promise<void>((r) => {
      release = r;
    });
    let plans = 0;
    const planner: OfflinePlanner = async () => {
      plans++;
      await planned;
      return { cost: { daily: 14.5 } } as Awaited<ReturnType<OfflinePlanner>>;
    };
    const cost = costWhenKnown(createCostPerDay(planner, ROOT, () => new Date()));
    assert.equal(await cost("staging", staging), undefined, "the plan is still running");
    release();
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(await cost("staging", staging), 14.5);
    assert.equal(plans, 1);
  });
});

/**
 * Automation targets:
 * - `reap_200_vs_ideal`: reaping 200 expired previews through a MemoryEngine whose
 *   destroy takes 50 ms, wall time over the ideal (200 / concurrency x 50 ms). Target <= 1.3.
 * - `status_500_overhead_s`: `status` over 500 stacks with an engine answering at once:
 *   everything measured is flightdeck's own overhead. Target <= 1.0 s.
 */
import { MemoryCloud } from "../../automation/cloud/memory.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ImageResolver } from "../../automation/api.js";
import { configMapOf } from "../../automation/config-map.js";
import { MemoryEngine } from "../../automation/engine/memory.js";
import type { UpdateRecord } from "../../automation/engine.js";
import { createOperations, DEFAULT_REAP_CONCURRENCY } from "../../automation/operations.js";
import { type Figure, median } from "./figure.js";

const NOW = new Date("2026-11-21T12:00:00.000Z");
const images: ImageResolver = {
  imageFor: async () => {
    throw new Error("the benchmarks look no image up");
  },
};

function sha(n: number): string {
  return n.toString(16).padStart(7, "0") + "e".repeat(33);
}

function previewConfig(n: number, expired: boolean) {
  const commit = sha(n);
  return configMapOf({
    environment: "preview",
    region: "us-east-1",
    image: { commit, amiId: "ami-0123456789abcdef0" },
    previewMeta: {
      commit,
      branch: "main",
      author: "dev@example.com",
      createdAt: "2026-11-18T00:00:00.000Z",
      expiresAt: expired ? "2026-11-20T00:00:00.000Z" : "2026-11-30T00:00:00.000Z",
    },
  });
}

function ops(engine: MemoryEngine) {
  const dir = mkdtempSync(join(tmpdir(), "flightdeck-bench-"));
  return createOperations({
    engine,
    cloud: new MemoryCloud(engine),
    projectDir: dir,
    images,
    logDir: join(dir, "logs"),
    now: () => NOW,
    env: {},
  });
}

async function reapRatio(): Promise<number> {
  const destroyMs = 50;
  const count = 200;
  const engine = new MemoryEngine({ destroyLatencyMs: destroyMs });
  for (let n = 0; n < count; n++)
    engine.seed(`preview-${sha(n).slice(0, 7)}`, { config: previewConfig(n, true), resourceCount: 3 });
  const t0 = performance.now();
  const result = await ops(engine).reap({ concurrency: DEFAULT_REAP_CONCURRENCY });
  const wall = performance.now() - t0;
  if (result.destroyed.length !== count) throw new Error(`reaped ${result.destroyed.length} of ${count}`);
  return wall / ((count / DEFAULT_REAP_CONCURRENCY) * destroyMs);
}

async function statusSeconds(): Promise<number> {
  const engine = new MemoryEngine();
  for (let n = 0; n < 500; n++) {
    const config = previewConfig(n, n % 2 === 0);
    const record: UpdateRecord = {
      version: 1,
      kind: "update",
      result: "succeeded",
      message: "",
      startTime: "2026-11-18T00:00:00.000Z",
      endTime: "2026-11-18T00:05:00.000Z",
      config,
      environment: {},
    };
    engine.seed(`preview-${sha(n).slice(0, 7)}`, {
      config,
      outputs: { url: `https://${n}.example.com` },
      history: [record],
    });
  }
  const o = ops(engine);
  const t0 = performance.now();
  const rows = await o.status();
  const seconds = (performance.now() - t0) / 1000;
  if (rows.length !== 500) throw new Error(`status listed ${rows.length} of 500`);
  return seconds;
}

export async function bench(): Promise<Figure[]> {
  const reap = [await reapRatio(), await reapRatio(), await reapRatio()];
  const status = [await statusSeconds(), await statusSeconds(), await statusSeconds()];
  return [
    { name: "reap_200_vs_ideal", value: median(reap), unit: "x", target: "<= 1.3" },
    { name: "status_500_overhead_s", value: median(status), unit: "s", target: "<= 1.0" },
  ];
}

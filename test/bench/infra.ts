/**
 * The infra targets: how long an offline plan of production takes, and what one
 * preview costs per day by our own price table.
 *
 * - `plan_offline_production_first_s`: the first plan in this process, counting
 *   the import of the plan module and everything it loads (@pulumi/pulumi,
 *   @pulumi/aws, awsx, ...), like one `flightdeck plan production --offline`
 *   run minus Node's own start-up. (When another bench module has loaded those
 *   modules first, they come from the module cache.)
 * - `plan_offline_production_s`: the median of the next runs, modules loaded.
 * - `plan_offline_production_process_s`: a whole fresh `node` process that
 *   imports the compiled plan (`dist/`, what `npm run flightdeck` runs) and
 *   plans production, median of three. Left out, with a note, when `dist/` has
 *   not been built (`npm run build`).
 * - `preview_cost_usd_per_day`: the marginal cost of one preview on its default
 *   sleep schedule (the plan's scheduled cost): only the resources of its own
 *   stack. `preview_always_on_cost_usd_per_day` is the same preview awake around
 *   the clock. `previews_base_cost_usd_per_day` is the shared base (network,
 *   NAT, load balancer) that all previews use, priced apart.
 * - `preview_memory_gib`: the least memory a preview machine can get: the
 *   smallest of the instance types its planned group may launch.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { leastMemoryGib } from "../../infra/config/preview-section.js";
import type { PlanDocument } from "../../infra/plan.js";
import { type Figure, median } from "./figure.js";

const RUNS = 5;
const PROCESS_RUNS = 3;
const COMMIT = "0123456789abcdef0123456789abcdef01234567";

export async function bench(): Promise<Figure[]> {
  const projectDir = new URL("../..", import.meta.url).pathname;

  const firstStart = performance.now();
  const { planOffline } = await import("../../infra/plan.js");
  await planOffline({ projectDir, stack: "production" });
  const first = (performance.now() - firstStart) / 1000;

  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await planOffline({ projectDir, stack: "production" });
    times.push((performance.now() - start) / 1000);
  }

  const preview = await planOffline({ projectDir, stack: "preview", commit: COMMIT });
  const base = await planOffline({ projectDir, stack: "previews" });

  const processTime = compiledProcessSeconds(projectDir);

  return [
    { name: "plan_offline_production_s", value: median(times), unit: "s", target: "<= 3" },
    { name: "plan_offline_production_first_s", value: first, unit: "s", target: "<= 3" },
    ...(processTime === undefined
      ? []
      : [{ name: "plan_offline_production_process_s", value: processTime, unit: "s", target: "<= 3" }]),
    {
      name: "preview_cost_usd_per_day",
      value: scheduledDaily(preview),
      unit: "USD/day",
      target: "<= 0.08",
    },
    { name: "preview_always_on_cost_usd_per_day", value: priced(preview.cost.daily), unit: "USD/day" },
    { name: "preview_memory_gib", value: previewMemoryGib(preview), unit: "GiB", target: ">= 2" },
    { name: "previews_base_cost_usd_per_day", value: priced(base.cost.daily), unit: "USD/day" },
  ];
}

/** Median wall time of a fresh Node process planning production with the compiled code, if built. */
function compiledProcessSeconds(projectDir: string): number | undefined {
  const compiled = join(projectDir, "dist", "infra", "plan.js");
  if (!existsSync(compiled)) {
    process.stderr.write("plan_offline_production_process_s: skipped, dist/ is not built (npm run build)\n");
    return undefined;
  }
  const script = `const { planOffline } = await import(${JSON.stringify(`file://${compiled}`)});
await planOffline({ projectDir: ${JSON.stringify(projectDir)}, stack: "production" });`;
  const times: number[] = [];
  for (let i = 0; i < PROCESS_RUNS; i++) {
    const start = performance.now();
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: projectDir });
    if (child.status !== 0) {
      process.stderr.write(
        `plan_offline_production_process_s: skipped, the compiled plan failed:\n${child.stderr}\n`,
      );
      return undefined;
    }
    times.push((performance.now() - start) / 1000);
  }
  return median(times);
}

/** The committed stacks are in us-east-1, which the price table covers: a total is always there. */
function priced(daily: number | undefined): number {
  if (daily === undefined) throw new Error("no cost total: the stack's region is not in the price table");
  return daily;
}

/** The preview's cost on its sleep schedule, as its plan estimates it. */
function scheduledDaily(plan: PlanDocument): number {
  if (!plan.cost.scheduled) throw new Error(`the plan of ${plan.stack} has no sleep schedule`);
  return plan.cost.scheduled.daily;
}

/** The least memory among the instance types the preview's planned group may launch. */
function previewMemoryGib(plan: PlanDocument): number {
  const groups = plan.resources.filter((r) => r.type === "aws:autoscaling/group:Group");
  if (groups.length !== 1) throw new Error(`expected one group in ${plan.stack}, found ${groups.length}`);
  const policy = groups[0]?.inputs.mixedInstancesPolicy as
    { launchTemplate?: { overrides?: { instanceType?: string }[] } } | undefined;
  const types = (policy?.launchTemplate?.overrides ?? []).flatMap((o) => o.instanceType ?? []);
  const gib = leastMemoryGib(types);
  if (gib === undefined) throw new Error(`unknown memory of ${types.join(", ") || "no instance type"}`);
  return gib;
}

/**
 * `npm run bench`: every speed, memory and cost target, measured and printed as
 * one `name=value unit` line per figure. Benchmarks print figures; they do not
 * pass or fail (timed tests flake on a busy machine).
 *
 * Each area has a module here exporting `bench(): Promise<Figure[]>`.
 */
import { readdir } from "node:fs/promises";
import { type Figure, figureLine } from "./figure.js";

const here = new URL(".", import.meta.url);
const only = process.argv.slice(2);
const modules = (await readdir(here))
  .filter((f) => f.endsWith(".ts") && f !== "index.ts" && f !== "figure.ts")
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.ts$/, "")))
  .sort();

for (const file of modules) {
  const mod = (await import(new URL(file, here).href)) as { bench: () => Promise<Figure[]> };
  for (const figure of await mod.bench()) {
    // stdout: only the figure; the target is for people, on stderr.
    process.stdout.write(`${figureLine(figure)}\n`);
    if (figure.target) process.stderr.write(`  ${figure.name}: target ${figure.target}\n`);
  }
}

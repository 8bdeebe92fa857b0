/** `npm run bench` prints exactly `name=value unit` per figure on stdout (targets go to stderr). */
import assert from "node:assert/strict";
import { figureLine } from "../bench/figure.js";

describe("bench: one `name=value unit` line per figure", () => {
  it("prints the figure alone, whatever its target", () => {
    const line = figureLine({ name: "cli_help_s", value: 0.16849, unit: "s", target: "<= 0.3" });
    assert.equal(line, "cli_help_s=0.168 s");
    assert.equal(figureLine({ name: "n", value: 3, unit: "x" }), "n=3 x");
    for (const l of [line, figureLine({ name: "preview_cost_usd_per_day", value: 0.127, unit: "USD/day" })]) {
      assert.match(l, /^[a-z0-9_]+=-?\d+(\.\d+)? \S+$/);
    }
  });
});

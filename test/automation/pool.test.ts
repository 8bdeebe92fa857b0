import assert from "node:assert/strict";
import { mapBounded, settleBounded } from "../../automation/pool.js";

describe("bounded concurrency", () => {
  it("keeps order and never exceeds the limit", async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapBounded([5, 1, 4, 2, 3, 0], 2, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, n * 3));
      inFlight--;
      return n * 10;
    });
    assert.deepEqual(out, [50, 10, 40, 20, 30, 0]);
    assert.equal(most, 2);
  });

  it("settles every item when some fail", async () => {
    const out = await settleBounded([1, 2, 3], 4, async (n) => {
      if (n === 2) throw new Error("two");
      return n;
    });
    assert.deepEqual(
      out.map((o) => o.status),
      ["fulfilled", "rejected", "fulfilled"],
    );
  });

  it("handles no items", async () => {
    assert.deepEqual(await mapBounded([], 4, async () => 1), []);
  });
});

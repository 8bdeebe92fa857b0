/** preview up, list and down through the in-memory engine over a real git repository. */
import assert from "node:assert/strict";
import { previewRulePriority } from "../../../infra/naming.js";
import { RM, recorded, Setup, type World, world } from "./world.js";

describe("operations (memory engine)", function () {
  this.timeout(60_000);
  let w: World;

  before(() => {
    w = world();
  });

  describe("previews", () => {
    it("creates, lists, expires and removes a commit's preview", async () => {
      const s = new Setup(w);
      const up = await s.ops.previewUp({ commit: w.c2, actor: "alice@example.com" });
      const stack = `preview-${w.c2.slice(0, 7)}`;
      assert.equal(up.stack, stack);
      assert.equal(up.url, `https://${w.c2.slice(0, 7)}.preview.example.com`);
      const r = recorded((await s.engine.history(stack))[0]);
      assert.deepEqual(r.previewMeta, {
        commit: w.c2,
        branch: "main",
        author: "alice@example.com",
        createdAt: "2026-11-21T12:00:00.000Z",
        expiresAt: "2026-11-23T12:00:00.000Z",
        // With no other preview alive, the commit's own SHA-derived priority is free.
        rulePriority: previewRulePriority(w.c2),
      });
      assert.equal(r.release?.operation, "preview");

      let list = await s.ops.previewList();
      assert.deepEqual(
        list.map((p) => [p.stack, p.expired, p.url]),
        [[stack, false, up.url]],
      );
      s.clock = new Date("2026-11-23T13:00:00.000Z");
      list = await s.ops.previewList();
      assert.equal(list[0]?.expired, true);

      const down = await s.ops.previewDown({ ref: w.c2.slice(0, 9) });
      assert.equal(down.stack, stack);
      assert.equal(s.engine.has(stack), false);
      assert.deepEqual(await s.ops.previewList(), []);
    });

    it("takes the TTL given, and keeps the creation time when run again", async () => {
      const s = new Setup(w);
      await s.ops.previewUp({ commit: w.c1, ttl: "2h", actor: RM });
      s.clock = new Date("2026-11-21T13:00:00.000Z");
      await s.ops.previewUp({ commit: w.c1, ttl: "2h", actor: RM });
      const [p] = await s.ops.previewList();
      assert.equal(p?.createdAt, "2026-11-21T12:00:00.000Z");
      assert.equal(p?.expiresAt, "2026-11-21T15:00:00.000Z");
      await assert.rejects(s.ops.previewUp({ commit: w.c1, ttl: "soon", actor: RM }), /not a duration/);
    });
  });
});

/**
 * Branch previews, listener rule priorities, the load balancer's room, and sleep/wake by hand,
 * through the in-memory engine over a real git repository.
 *
 * AWS facts relied on: an Application Load Balancer is the target of at most 100 target groups
 * (Elastic Load Balancing quotas, "Target groups per Application Load Balancer"), and listener rule
 * priorities run from 1 to 50000, each used once per listener (ELBv2 CreateRule `Priority`;
 * a second rule with the same priority fails with PriorityInUse).
 */
import assert from "node:assert/strict";
import { configMapOf } from "../../../automation/config-map.js";
import type { MemoryEngine } from "../../../automation/engine/memory.js";
import { previewServedHost } from "../../../infra/components/preview-routing.js";
import { GuardError } from "../../../infra/errors.js";
import { previewRulePriority } from "../../../infra/naming.js";
import { branchPreviewStackName, branchSlug, preferredRulePriority } from "../../../infra/preview-names.js";
import { DAVE } from "../helpers.js";
import { RM, recorded, Setup, type World, world } from "./world.js";

const LOGIN = "feat/login";

/** A preview stack as flightdeck leaves it, set up directly in the engine. */
function seedPreview(engine: MemoryEngine, stack: string, meta: Record<string, unknown>): void {
  engine.seed(stack, {
    config: configMapOf({
      environment: "preview",
      image: { commit: meta.commit, amiId: "ami-0123456789abcdef0" },
      previewMeta: { createdAt: "2026-11-21T00:00:00.000Z", expiresAt: "2026-11-30T00:00:00.000Z", ...meta },
    }),
    resourceCount: 3,
  });
}

function hexSha(n: number): string {
  return n.toString(16).padStart(7, "0") + "e".repeat(33);
}

describe("operations (memory engine): branch previews", function () {
  this.timeout(60_000);
  let w: World;
  let login1: string;

  before(() => {
    w = world();
    w.repo.git("checkout", "--quiet", "-b", LOGIN);
    login1 = w.repo.commit(DAVE, "login form");
    w.repo.git("checkout", "--quiet", "main");
  });

  it("makes one stack per branch at a stable URL, following the branch's newest commit", async () => {
    const s = new Setup(w);
    const stack = branchPreviewStackName(LOGIN);
    const first = await s.ops.previewUp({ branch: LOGIN, actor: RM });
    assert.equal(first.stack, stack);
    assert.equal(first.commit, login1);
    const meta1 = recorded((await s.engine.history(stack))[0]).previewMeta;
    assert.equal(meta1?.branch, LOGIN);
    assert.equal(meta1?.slug, branchSlug(LOGIN));
    // The program serves the stack at <slug>.<domain>, whatever commit it runs.
    assert.equal(
      previewServedHost({ commit: login1, slug: meta1?.slug as string }, "preview.example.com"),
      `${branchSlug(LOGIN)}.preview.example.com`,
    );

    // A push to the branch: the same stack moves to the new tip, keeps its creation time and its priority.
    w.repo.git("checkout", "--quiet", LOGIN);
    const login2 = w.repo.commit(DAVE, "login validation");
    w.repo.git("checkout", "--quiet", "main");
    s.clock = new Date("2026-11-24T09:00:00.000Z");
    const second = await s.ops.previewUp({ branch: LOGIN, actor: RM });
    assert.equal(second.stack, stack);
    assert.equal(second.commit, login2);
    const meta2 = recorded((await s.engine.history(stack))[0]).previewMeta;
    assert.equal(meta2?.commit, login2);
    assert.equal(meta2?.createdAt, meta1?.createdAt);
    assert.equal(meta2?.rulePriority, meta1?.rulePriority);

    // Its TTL does not apply: long after it, the preview is not expired and reap leaves it.
    s.clock = new Date("2026-12-20T09:00:00.000Z");
    const [listed] = await s.ops.previewList();
    assert.equal(listed?.kind, "branch");
    assert.equal(listed?.expired, false);
    assert.equal(listed?.goes, undefined);
    // Down by branch name works.
    const down = await s.ops.previewDown({ ref: LOGIN });
    assert.equal(down.stack, stack);
    assert.equal(s.engine.has(stack), false);
  });

  it("refuses a stack that follows another branch with the same slug, an unknown branch, and --branch with --commit", async () => {
    const s = new Setup(w);
    const stack = branchPreviewStackName(LOGIN);
    seedPreview(s.engine, stack, {
      commit: login1,
      branch: "feature/LOGIN-elsewhere",
      slug: branchSlug(LOGIN),
    });
    await assert.rejects(s.ops.previewUp({ branch: LOGIN, actor: RM }), (error: unknown) => {
      assert.match((error as Error).message, /already follows the branch feature\/LOGIN-elsewhere/);
      assert.equal((error as GuardError).exitCode, 2);
      return true;
    });
    assert.equal((await s.engine.history(stack)).length, 0, "no update ran");
    await assert.rejects(
      s.ops.previewUp({ branch: "feature/nope", actor: RM }),
      /'feature\/nope' is not a branch/,
    );
    await assert.rejects(
      s.ops.previewUp({ branch: LOGIN, commit: w.c1, actor: RM }),
      /--branch or --commit, not both/,
    );
    assert.equal(s.engine.has(branchPreviewStackName("feature/nope")), false);
  });

  it("allocates a free listener rule priority, and keeps it across runs", async () => {
    const s = new Setup(w);
    const stack = branchPreviewStackName(LOGIN);
    const wanted = preferredRulePriority(stack);
    // Another preview already holds the priority this stack would start from, and the next one.
    seedPreview(s.engine, "preview-aaaaaaa", { commit: `aaaaaaa${"0".repeat(33)}`, rulePriority: wanted });
    seedPreview(s.engine, "preview-bbbbbbb", {
      commit: `bbbbbbb${"0".repeat(33)}`,
      rulePriority: (wanted % 50_000) + 1,
    });
    // An older commit preview without a recorded priority holds the one its SHA gives.
    const old = hexSha(0xccccccc);
    seedPreview(s.engine, "preview-ccccccc", { commit: old });
    await s.ops.previewUp({ branch: LOGIN, actor: RM });
    const got = recorded((await s.engine.history(stack))[0]).previewMeta?.rulePriority;
    assert.equal(got, ((wanted + 1) % 50_000) + 1);
    // A commit preview whose SHA-derived priority is taken gets the next free one.
    seedPreview(s.engine, "preview-ddddddd", {
      commit: hexSha(0xddddddd),
      rulePriority: previewRulePriority(w.c1),
    });
    await s.ops.previewUp({ commit: w.c1, actor: RM });
    const c1Priority = recorded((await s.engine.history(`preview-${w.c1.slice(0, 7)}`))[0]).previewMeta
      ?.rulePriority;
    assert.notEqual(c1Priority, previewRulePriority(w.c1));
    const all = (await s.ops.previewList()).length;
    assert.equal(all, 6);
    // Run again: the same priority.
    s.clock = new Date("2026-11-21T13:00:00.000Z");
    await s.ops.previewUp({ branch: LOGIN, actor: RM });
    assert.equal(recorded((await s.engine.history(stack))[0]).previewMeta?.rulePriority, got);
    assert.notEqual(previewRulePriority(old), got);
  });

  it("refuses the 101st preview (exit 3) and creates nothing, but updates one of the 100", async () => {
    const s = new Setup(w);
    await s.ops.previewUp({ commit: w.c2, actor: RM });
    for (let n = 1; n < 100; n++)
      seedPreview(s.engine, `preview-${hexSha(n).slice(0, 7)}`, { commit: hexSha(n) });
    const stack = `preview-${w.c1.slice(0, 7)}`;
    await assert.rejects(s.ops.previewUp({ commit: w.c1, actor: RM }), (error: unknown) => {
      assert.ok(error instanceof GuardError, String(error));
      assert.equal(error.exitCode, 3);
      assert.equal(error.guard, "preview-capacity");
      assert.match(error.message, /at most 100 previews/);
      assert.match(error.message, /Target groups per Application Load Balancer/);
      assert.match(error.tryMessage ?? "", /flightdeck reap/);
      return true;
    });
    assert.equal(s.engine.has(stack), false, "nothing was created");
    assert.equal(s.lastResult().exitCode, 3);
    // One of the 100 can still be updated.
    s.clock = new Date("2026-11-21T14:00:00.000Z");
    const again = await s.ops.previewUp({ commit: w.c2, actor: RM });
    assert.equal(again.stack, `preview-${w.c2.slice(0, 7)}`);
  });

  it("sleeps and wakes a preview by hand, and lists it awake or asleep", async () => {
    const s = new Setup(w);
    // Saturday 2026-11-21 12:00Z: outside the previews' schedule (Mon-Fri 08:00-19:00 Europe/London).
    const up = await s.ops.previewUp({ commit: w.c1, actor: RM });
    let [p] = await s.ops.previewList();
    assert.deepEqual(p?.power, { state: "asleep", by: "schedule", until: "2026-11-23T08:00:00.000Z" });

    const woken = await s.ops.previewWake({ ref: w.c1.slice(0, 7), actor: RM });
    assert.equal(woken.stack, up.stack);
    const history = await s.engine.history(up.stack);
    // A refresh first (the schedules change capacity and the rule outside Pulumi), then the update.
    assert.deepEqual(
      history.map((r) => r.kind),
      ["update", "refresh", "update"],
      "wake refreshed, then ran an update",
    );
    const meta = recorded(history[0]).previewMeta;
    // Until the next scheduled sleep: Monday 19:00 in London (GMT in November).
    assert.deepEqual(meta?.power, { state: "awake", until: "2026-11-23T19:00:00.000Z" });
    assert.equal(meta?.commit, w.c1);
    [p] = await s.ops.previewList();
    assert.deepEqual(p?.power, { state: "awake", by: "hand", until: "2026-11-23T19:00:00.000Z" });

    // Past `until`, the schedule decides again (Monday 20:00 London: asleep until Tuesday 08:00).
    s.clock = new Date("2026-11-23T20:00:00.000Z");
    [p] = await s.ops.previewList();
    assert.deepEqual(p?.power, { state: "asleep", by: "schedule", until: "2026-11-24T08:00:00.000Z" });
    // ...and a `preview up` then drops the spent wake, so the program follows the schedule again.
    await s.ops.previewUp({ commit: w.c1, actor: RM });
    assert.equal(recorded((await s.engine.history(up.stack))[0]).previewMeta?.power, undefined);

    // Tuesday 10:00: asleep by hand, whatever the schedule; a new `preview up` keeps it asleep.
    s.clock = new Date("2026-11-24T10:00:00.000Z");
    await s.ops.previewSleep({ ref: up.stack, actor: RM });
    [p] = await s.ops.previewList();
    assert.deepEqual(p?.power, { state: "asleep", by: "hand" });
    await s.ops.previewUp({ commit: w.c1, actor: RM });
    assert.deepEqual(recorded((await s.engine.history(up.stack))[0]).previewMeta?.power, { state: "asleep" });
    const statusRow = (await s.ops.status()).find((r) => r.stack === up.stack);
    assert.deepEqual(statusRow?.power, { state: "asleep", by: "hand" });

    await assert.rejects(
      s.ops.previewWake({ ref: "preview-fffffff", actor: RM }),
      /there is no preview 'preview-fffffff'/,
    );
  });
});

/**
 * The dashboard over the `overview` operation and the in-memory engine, in a
 * real git repository (ink-testing-library): environments not deployed yet
 * with their planned cost, commits behind, the last drift check, and `c`
 * listing the commits the next promotion releases.
 */
import assert from "node:assert/strict";
import { cleanup, render } from "ink-testing-library";
import { Dashboard } from "../../cli/ui/Dashboard.js";
import { driftText, matrix } from "../../cli/ui/StatusTable.js";
import { Setup, type World, world } from "../automation/operations/world.js";

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));
const KEY = { down: "\u001B[B", esc: "\u001B" };

async function until(frame: () => string | undefined, pattern: RegExp, ms = 10_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const text = frame() ?? "";
    if (pattern.test(text)) return text;
    if (Date.now() > end) assert.fail(`frame never matched ${pattern}:\n${text}`);
    await tick();
  }
}

afterEach(() => cleanup());

describe("cli: the dashboard's overview", function () {
  this.timeout(60_000);
  let w: World;

  before(() => {
    w = world();
  });

  async function deployed(): Promise<Setup> {
    const s = new Setup(
      w,
      {},
      { costPerDay: async (_stack, config) => (config.environment === "production" ? 120.5 : 9) },
    );
    await s.ops.deploy({ env: "testing", commit: w.c2 });
    await s.ops.deploy({ env: "staging", commit: w.c1 });
    s.engine.drift("staging", "app", "update", ["desiredCapacity"]);
    await s.ops.drift({}).catch(() => undefined);
    return s;
  }

  it("shows production not deployed at its planned cost, staging behind testing, and the drift found", async () => {
    const s = await deployed();
    const app = render(
      <Dashboard
        loadStatus={() => s.ops.overview()}
        loadHistory={async () => []}
        recentCommits={async () => []}
        loadReleases={(input) => s.ops.releasesOf(input)}
        runAction={async () => undefined}
        describeError={(e) => `Error: ${(e as Error).message}`}
        onHardExit={() => undefined}
        clock={() => s.clock}
        color={false}
        refreshMs={60_000}
      />,
    );
    const frame = await until(app.lastFrame, /production/);
    // 100 columns (ink-testing-library's): the long columns move to the detail line.
    assert.match(frame, /\n {2}STACK +COMMIT +DRIFT\n/);
    assert.match(frame, /\n› production +not deployed +-\n/);
    assert.match(frame, /\n {2}previews +not deployed +-\n/);
    assert.match(frame, /\nproduction · not deployed yet \(planned cost \$120\.50\/day\)\n/);
    assert.match(frame, /\n {2}staging +[0-9a-f]{7} .*1 changed, 0s ago/);
    app.stdin.write(KEY.down);
    const staging = await until(app.lastFrame, /› staging/);
    assert.match(
      staging,
      /staging · commit [0-9a-f]{7} · 1 behind testing \(c lists them\) · drift: app changed/,
    );
    app.stdin.write("c");
    const list = await until(app.lastFrame, /What promoting testing to staging releases[\s\S]*feature B/);
    assert.ok(!/feature A/.test(list), `the commit staging runs is not released again:\n${list}`);
    app.stdin.write(KEY.esc);
    await until(app.lastFrame, /› staging/);
  });

  it("adds BEHIND and DRIFT columns only when a row has them", async () => {
    const s = await deployed();
    const rows = await s.ops.overview();
    const { header, cells } = matrix(rows, s.clock);
    assert.deepEqual(header.slice(-2), ["BEHIND", "DRIFT"]);
    const staging = cells[rows.findIndex((r) => r.stack === "staging")] ?? [];
    assert.deepEqual(staging.slice(-2), ["1 behind testing", "1 changed, 0s ago"]);
    const plain = matrix(
      rows.map(({ behind: _b, drift: _d, ...rest }) => rest),
      s.clock,
    );
    assert.ok(!plain.header.includes("BEHIND") && !plain.header.includes("DRIFT"));
    const testing = rows.find((r) => r.stack === "testing");
    assert.ok(testing);
    assert.equal(driftText(testing, s.clock), "none, 0s ago");
    assert.equal(driftText({ ...testing, drift: undefined }, s.clock), "-");
  });
});

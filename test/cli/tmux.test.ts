/**
 * ONE real-terminal test: tmux runs the dashboard (test/cli/fixtures/dashboard.ts,
 * in-memory engine with a few stacks), we send keys to move, open history and
 * quit, and assert on what `capture-pane` shows. Skipped, saying why, when tmux
 * is not installed (CI installs it through `.ci/run`).
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./build.js";

const hasTmux = spawnSync("tmux", ["-V"], { encoding: "utf8" }).status === 0;
const SESSION = `flightdeck-test-${process.pid}`;
const socket = join(mkdtempSync(join(tmpdir(), "flightdeck-tmux-")), "sock");

function tmux(...args: string[]): string {
  return execFileSync("tmux", ["-S", socket, ...args], { encoding: "utf8" });
}

function pane(): string {
  return tmux("capture-pane", "-p", "-t", SESSION);
}

async function waitForPane(pattern: RegExp, ms = 30_000): Promise<string> {
  const end = Date.now() + ms;
  let text = "";
  while (Date.now() < end) {
    text = pane();
    if (pattern.test(text)) return text;
    await new Promise((r) => setTimeout(r, 150));
  }
  assert.fail(`the pane never showed ${pattern}:\n${text}`);
}

describe("cli: the dashboard in a real terminal (tmux)", function () {
  this.timeout(120_000);

  before(function () {
    if (!hasTmux) {
      console.log("    skipped: tmux is not installed here (apt-get install tmux; .ci/run installs it)");
      this.skip();
    }
  });

  after(() => {
    if (hasTmux) spawnSync("tmux", ["-S", socket, "kill-server"]);
  });

  it("shows every stack, moves, opens history and quits", async () => {
    const exitFile = join(mkdtempSync(join(tmpdir(), "flightdeck-exit-")), "code");
    const command = [process.execPath, "--import", "tsx", "test/cli/fixtures/dashboard.ts", exitFile]
      .map((a) => `'${a}'`)
      .join(" ");
    // A wide window, a plain TERM and no CI: a person's terminal. `remain-on-exit` keeps the last screen.
    tmux(
      "-f",
      "/dev/null",
      "new-session",
      "-d",
      "-s",
      SESSION,
      "-x",
      "220",
      "-y",
      "50",
      "-c",
      ROOT,
      "-e",
      "CI=",
      "-e",
      "TERM=xterm-256color",
      `env -u CI ${command}; sleep 30`,
    );

    const first = await waitForPane(/preview-[0-9a-f]{7}/);
    assert.match(first, /flightdeck · refreshed \d{2}:\d{2}:\d{2}/);
    assert.match(
      first,
      /STACK +COMMIT +BRANCH +IMAGE +URL +LAST UPDATE +COST\/DAY +EXPIRES/,
      "every column at 220 columns",
    );
    assert.match(
      first,
      /\n {2}staging +[0-9a-f]{7} +- +ami-[0-9a-f]{17} +https:\/\/staging\.example\.com +succeeded \d+s ago by alice@example\.com/,
    );
    // Every environment in config is listed, deployed or not: production first, not deployed yet.
    assert.match(first, /› production +not deployed +- +- +- +never/);
    assert.match(first, /\n {2}testing +[0-9a-f]{7} /);
    assert.match(
      first,
      /preview-[0-9a-f]{7} +[0-9a-f]{7} +\S+ +ami-[0-9a-f]{17} +https:\/\/[0-9a-f]{7}\.preview\.example\.com .* (1d 23h|2d 0h) left/,
    );
    // Costs join on a later refresh (offline plans of each config, cached).
    const costed = await waitForPane(/\n {2}staging .* \$\d+\.\d{2}/, 60_000);
    assert.match(costed, /preview-[0-9a-f]{7} .* \$0\.\d{2} +(1d 23h|2d 0h) left/);
    assert.match(
      first,
      /↑\/↓ move · enter history · c commits · d deploy · p promote · r roll back · n new preview · x destroy preview · g refresh · q quit/,
    );

    tmux("send-keys", "-t", SESSION, "Down");
    await waitForPane(/› staging/);
    tmux("send-keys", "-t", SESSION, "Down");
    await waitForPane(/› testing/);
    tmux("send-keys", "-t", SESSION, "Enter");
    const history = await waitForPane(/History of testing\n#/);
    assert.match(history, /#\s+KIND\s+RESULT\s+CHECKS\s+COMMIT\s+IMAGE\s+BY\s+WHEN\s+TOOK/);
    assert.match(
      history,
      /\n1\s+update\s+succeeded\s+release ran, rollout verified\s+[0-9a-f]{7}\s+ami-[0-9a-f]{17}\s+alice@example\.com/,
    );

    tmux("send-keys", "-t", SESSION, "Escape");
    await waitForPane(/› testing/);
    tmux("send-keys", "-t", SESSION, "q");
    const closed = await waitForPane(/dashboard closed with exit code 0/);
    assert.doesNotMatch(closed, /Error|hit a bug/);
    assert.ok(existsSync(exitFile));
    assert.equal(readFileSync(exitFile, "utf8"), "0");
  });
});

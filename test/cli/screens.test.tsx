/**
 * Every Ink screen through ink-testing-library: the operation view, the
 * confirmation prompts and the dashboard (list, history, pickers, approval,
 * an operation run from it, quitting).
 */
import assert from "node:assert/strict";
import { cleanup, render } from "ink-testing-library";
import type { HistoryEntry, StackStatus } from "../../automation/api.js";
import type { FlightdeckEvent } from "../../automation/events.js";
import { fitTable, STATUS_HEADER, statusRow } from "../../cli/format.js";
import { answerApproves, ConfirmPrompt, ConfirmRoot, confirmKey, NO_ANSWER } from "../../cli/ui/Confirm.js";
import { rollbackChoices } from "../../cli/ui/choices.js";
import { Dashboard, type DashboardProps } from "../../cli/ui/Dashboard.js";
import { type DashboardAction, HELP_LINE, promotionTarget } from "../../cli/ui/dashboard-actions.js";
import { OperationApp, OperationView } from "../../cli/ui/OperationView.js";
import { reduceEvents } from "../../cli/ui/reducer.js";
import { createOperationStore } from "../../cli/ui/store.js";
import { deployStream } from "./events.js";

const tick = (ms = 60) => new Promise((r) => setTimeout(r, ms));
const KEY = { down: "\u001B[B", up: "\u001B[A", enter: "\r", esc: "\u001B", ctrlC: "\u0003" };
const NOW = new Date("2026-11-21T12:00:00Z");
const clock = () => NOW;

/**
 * Wait until the last frame matches (Ink renders asynchronously). Returns as soon as
 * it does; the long limit only matters on a loaded machine.
 */
async function until(frame: () => string | undefined, pattern: RegExp, ms = 10_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const text = frame() ?? "";
    if (pattern.test(text)) return text;
    if (Date.now() > end) assert.fail(`frame never matched ${pattern}:\n${text}`);
    await tick(20);
  }
}

afterEach(() => cleanup());

describe("cli: Ink screens", () => {
  describe("operation view", () => {
    it("shows in-flight resources with counts and elapsed time while running", () => {
      const state = reduceEvents(deployStream().slice(0, 6));
      const { lastFrame, frames } = render(
        <OperationView state={state} now={new Date("2026-11-21T10:00:21Z")} color={false} />,
      );
      const frame = lastFrame() ?? "";
      assert.match(
        frame,
        /deploy · staging · commit 1a2b3c4 · image ami-0123456789abcdef0 · by alice@example.com/,
      );
      assert.match(
        frame,
        /± aws:autoscaling\/group:Group web-app 16s/,
        "in flight with its own elapsed time",
      );
      assert.match(frame, /0 create {2}1 update {2}0 replace {2}0 delete · 20s/);
      assert.doesNotMatch(frame, /URL:/);
      const all = frames.join("\n");
      assert.match(
        all,
        /✔ ~ aws:lb\/loadBalancer:LoadBalancer web-alb 4s/,
        "finished resource printed in Static",
      );
      assert.match(all, /guard allowed-branch: 1a2b3c4 is on main/);
    });

    it("ends with a summary and the URL", () => {
      const state = reduceEvents(deployStream());
      const { lastFrame, frames } = render(<OperationView state={state} now={NOW} color={false} />);
      const frame = lastFrame() ?? "";
      assert.match(frame, /✔ deployed 1a2b3c4 to staging in 1m 05s/);
      assert.match(frame, /URL: https:\/\/staging\.example\.com/);
      assert.match(frame, /Log: \/p\/\.flightdeck\/logs\/deploy\.jsonl/);
      assert.match(frame, /0 create {2}1 update {2}1 replace {2}0 delete · 1m 05s/);
      assert.match(frames.join("\n"), /warning instance refresh is slow/);
    });

    it("shows a failure with what to try", () => {
      const events = deployStream().slice(0, 3);
      const failed: FlightdeckEvent = {
        type: "result",
        operation: "deploy",
        timestamp: "2026-11-21T10:00:09.000Z",
        ok: false,
        exitCode: 3,
        summary: "refused: alice wrote 1a2b3c4",
        durationMs: 8000,
        error: {
          name: "GuardError",
          message: "alice wrote it",
          tryMessage: "Ask someone else to deploy it.",
        },
      };
      const { lastFrame } = render(
        <OperationView state={reduceEvents([...events, failed])} now={NOW} color={false} />,
      );
      assert.match(
        lastFrame() ?? "",
        /✘ refused: alice wrote 1a2b3c4 in 8s\nTry: Ask someone else to deploy it\./,
      );
    });

    it("the app follows its store and exits once the operation ends", async () => {
      const store = createOperationStore();
      let interrupted = 0;
      const app = render(
        <OperationApp store={store} color={false} clock={clock} onInterrupt={() => interrupted++} />,
      );
      const events = deployStream();
      for (const e of events.slice(0, 4)) store.dispatch(e);
      await until(app.lastFrame, /web-alb/);
      app.stdin.write(KEY.ctrlC);
      await tick();
      assert.equal(interrupted, 1, "Ctrl-C is reported to the interrupter");
      for (const e of events.slice(4)) store.dispatch(e);
      await until(app.lastFrame, /URL: https:\/\/staging\.example\.com/);
    });

    it("an operation that throws before its result still ends the screen with the reason", async () => {
      const store = createOperationStore();
      const app = render(<OperationApp store={store} color={false} clock={clock} onInterrupt={() => {}} />);
      store.dispatch(deployStream()[0] as FlightdeckEvent);
      store.end("the Pulumi CLI is needed");
      await until(app.lastFrame, /✘ the Pulumi CLI is needed/);
    });
  });

  describe("confirmation", () => {
    it("approves a production action only when the stack name is typed", async () => {
      assert.equal(answerApproves({ typeToConfirm: "production" }, "production"), true);
      assert.equal(answerApproves({ typeToConfirm: "production" }, "prod"), false);
      assert.equal(answerApproves({}, "y"), true);
      assert.equal(answerApproves({}, ""), false);
      const answers: boolean[] = [];
      const app = render(
        <ConfirmRoot
          title="Deploy to PRODUCTION?"
          typeToConfirm="production"
          color={false}
          onDecided={(a) => answers.push(a)}
        />,
      );
      await until(app.lastFrame, /Type production to confirm/);
      app.stdin.write("prod");
      await tick();
      app.stdin.write(KEY.enter);
      await until(app.lastFrame, /That is not 'production'/);
      assert.deepEqual(answers, []);
      for (const ch of "production") app.stdin.write(ch);
      await until(app.lastFrame, /to confirm \(Esc to cancel\): production/);
      app.stdin.write(KEY.enter);
      await until(app.lastFrame, /Confirmed\./);
      assert.deepEqual(answers, [true]);
    });

    it("a y/N prompt approves on y only; keys are interpreted by a pure function", async () => {
      const k = { return: false, escape: false, backspace: false, delete: false, ctrl: false, meta: false };
      assert.equal(confirmKey({}, NO_ANSWER, "y", k).decision, true);
      assert.equal(confirmKey({}, NO_ANSWER, "n", k).decision, false);
      assert.equal(confirmKey({}, NO_ANSWER, "", { ...k, return: true }).decision, false);
      assert.equal(confirmKey({ typeToConfirm: "production" }, NO_ANSWER, "y", k).decision, undefined);
      assert.deepEqual(
        confirmKey({ typeToConfirm: "p" }, { answer: "px", mismatch: false }, "", { ...k, backspace: true })
          .state,
        { answer: "p", mismatch: false },
      );
      assert.equal(confirmKey({ typeToConfirm: "p" }, NO_ANSWER, "", { ...k, escape: true }).decision, false);
      const approval = { title: "Destroy preview-1a2b3c4?", onApprove: () => {}, onReject: () => {} };
      const { lastFrame } = render(<ConfirmPrompt approval={approval} answer={NO_ANSWER} color={false} />);
      assert.match(lastFrame() ?? "", /Destroy preview-1a2b3c4\?[\s│]*Continue\? \(y\/N\)/);
      const answers: boolean[] = [];
      const app = render(
        <ConfirmRoot title="Destroy it?" color={false} onDecided={(a) => answers.push(a)} />,
      );
      await until(app.lastFrame, /Continue/);
      app.stdin.write("n");
      await until(app.lastFrame, /Cancelled\./);
      assert.deepEqual(answers, [false]);
    });
  });

  describe("dashboard", () => {
    const rows: StackStatus[] = [
      {
        stack: "production",
        environment: "production",
        commit: "aaaaaaa1111111111111111111111111111111aa",
        branch: "main",
        imageId: "ami-0aaaaaaaaaaaaaaaa",
        url: "https://example.com",
        lastUpdate: {
          result: "succeeded",
          kind: "update",
          startTime: "2026-11-21T09:00:00Z",
          endTime: "2026-11-21T09:05:00Z",
          actor: "bob@example.com",
        },
        updateInProgress: false,
        costPerDayUsd: 48.5,
      },
      {
        stack: "staging",
        environment: "staging",
        commit: "bbbbbbb2222222222222222222222222222222bb",
        imageId: "ami-0bbbbbbbbbbbbbbbb",
        url: "https://staging.example.com",
        lastUpdate: {
          result: "succeeded",
          kind: "update",
          startTime: "2026-11-21T11:00:00Z",
          endTime: "2026-11-21T11:30:00Z",
          actor: "alice@example.com",
        },
        updateInProgress: false,
        costPerDayUsd: 14.47,
      },
      {
        stack: "preview-ccccccc",
        environment: "preview",
        commit: "ccccccc3333333333333333333333333333333cc",
        branch: "feature/login",
        url: "https://ccccccc.preview.example.com",
        updateInProgress: false,
        expiresAt: "2026-11-22T05:00:00Z",
        msLeft: 17 * 3600_000,
        costPerDayUsd: 0.11,
      },
    ];
    const history: HistoryEntry[] = [
      {
        version: 3,
        kind: "update",
        result: "succeeded",
        commit: "bbbbbbb2222222222222222222222222222222bb",
        imageId: "ami-0bbbbbbbbbbbbbbbb",
        actor: "alice@example.com",
        release: "ran",
        rollout: "verified",
        message: "",
        startTime: "2026-11-21T11:00:00Z",
        endTime: "2026-11-21T11:30:00Z",
        durationMs: 1_800_000,
      },
      {
        version: 2,
        kind: "update",
        result: "failed",
        commit: "ddddddd4444444444444444444444444444444dd",
        actor: "carol@example.com",
        message: "",
        startTime: "2026-11-21T08:00:00Z",
      },
      {
        version: 1,
        kind: "update",
        result: "succeeded",
        commit: "eeeeeee5555555555555555555555555555555ee",
        imageId: "ami-0eeeeeeeeeeeeeeee",
        actor: "carol@example.com",
        release: "skipped",
        rollout: "verified",
        message: "",
        startTime: "2026-11-20T08:00:00Z",
        endTime: "2026-11-20T08:10:00Z",
        durationMs: 600_000,
      },
    ];

    function setup(overrides: Partial<DashboardProps> = {}) {
      const actions: DashboardAction[] = [];
      const hardExits: (string | undefined)[] = [];
      let loads = 0;
      const props: DashboardProps = {
        loadStatus: async () => {
          loads++;
          return rows;
        },
        loadHistory: async (env) => (env === "staging" ? history : []),
        recentCommits: async () => [
          { sha: "fffffff6666666666666666666666666666666ff", subject: "Add login page", author: "dave" },
          { sha: "bbbbbbb2222222222222222222222222222222bb", subject: "Fix checkout", author: "alice" },
        ],
        runAction: async (action, onEvent) => {
          actions.push(action);
          for (const e of deployStream()) onEvent(e);
        },
        describeError: (e) => `Error: ${(e as Error).message}`,
        onHardExit: (stack) => hardExits.push(stack),
        clock,
        color: false,
        refreshMs: 60_000,
        ...overrides,
      };
      const app = render(<Dashboard {...props} />);
      return { app, actions, hardExits, loads: () => loads };
    }

    it("shows one row per environment and preview with the help line", async () => {
      const { app } = setup();
      const frame = await until(app.lastFrame, /preview-ccccccc/);
      // 100 columns (ink-testing-library's): image, branch and URL move to the detail line.
      assert.match(frame, /\n {2}STACK +COMMIT +LAST UPDATE +COST\/DAY +EXPIRES\n/);
      assert.match(frame, /\n› production +aaaaaaa +succeeded 2h ago by bob@example\.com +\$48\.50\n/);
      assert.match(frame, /\n {2}staging +bbbbbbb +succeeded 30m ago by alice@example\.com +\$14\.47\n/);
      assert.match(frame, /\n {2}preview-ccccccc +ccccccc +never +\$0\.11 +17h 00m left\n/);
      assert.match(
        frame,
        /\nproduction · commit aaaaaaa · branch main · image ami-0aaaaaaaaaaaaaaaa · https:\/\/example\.com\n/,
      );
      assert.ok(frame.replace(/\n/g, " ").includes(HELP_LINE));
      // On a wide terminal every column is there (the tmux test draws one).
      const wide = fitTable(
        STATUS_HEADER,
        rows.map((r) => statusRow(r, NOW)),
        200,
        [],
      );
      assert.deepEqual(wide.shown, [...STATUS_HEADER]);
      assert.match(
        wide.lines[1] ?? "",
        /^production +aaaaaaa +main +ami-0aaaaaaaaaaaaaaaa +https:\/\/example\.com +succeeded 2h ago by bob@example\.com +\$48\.50$/,
      );
    });

    it("moves with the arrow keys, opens history and goes back", async () => {
      const { app } = setup();
      await until(app.lastFrame, /preview-ccccccc/);
      app.stdin.write(KEY.down);
      await until(app.lastFrame, /› staging/);
      app.stdin.write(KEY.enter);
      const frame = await until(app.lastFrame, /History of staging/);
      assert.match(
        frame,
        /3 +update +succeeded +release ran, rollout verified +bbbbbbb +alice@example\.com +30m ago\n/,
      );
      assert.doesNotMatch(frame, /IMAGE|TOOK/, "fitted to 100 columns: the image and the duration go first");
      assert.match(frame, /2 +update +failed +- +ddddddd/);
      app.stdin.write(KEY.esc);
      await until(app.lastFrame, /› staging/);
    });

    it("rolls back through a picker of successfully deployed commits", async () => {
      assert.deepEqual(
        rollbackChoices(history, NOW, "bbbbbbb2222222222222222222222222222222bb").map((c) => c.value),
        ["eeeeeee5555555555555555555555555555555ee"],
        "only successful commits other than the running one",
      );
      assert.deepEqual(
        rollbackChoices(
          history.map((e) => (e.version === 1 ? { ...e, rollout: "unverified" as const } : e)),
          NOW,
          "bbbbbbb2222222222222222222222222222222bb",
        ),
        [],
        "a deploy whose rollout was never verified is no success to go back to",
      );
      const { app, actions } = setup();
      await until(app.lastFrame, /preview-ccccccc/);
      app.stdin.write("j");
      await until(app.lastFrame, /› staging/);
      app.stdin.write("r");
      await until(app.lastFrame, /Roll staging back to which commit\?/);
      assert.match(app.lastFrame() ?? "", /› eeeeeee +1d ago by carol@example\.com +ami-0eeeeeeeeeeeeeeee/);
      app.stdin.write(KEY.enter);
      await until(app.lastFrame, /Press any key to go back/);
      assert.deepEqual(actions, [
        { kind: "rollback", env: "staging", commit: "eeeeeee5555555555555555555555555555555ee" },
      ]);
      assert.match(app.lastFrame() ?? "", /URL: https:\/\/staging\.example\.com/);
      app.stdin.write(" ");
      await until(app.lastFrame, /› staging/);
    });

    it("a production deploy needs the stack name typed", async () => {
      const { app, actions } = setup();
      await until(app.lastFrame, /› production/);
      app.stdin.write("d");
      await until(app.lastFrame, /Deploy which commit to production\?/);
      app.stdin.write(KEY.enter);
      await until(app.lastFrame, /PRODUCTION: deploy fffffff to production\?/);
      assert.match(app.lastFrame() ?? "", /Type production to confirm/);
      for (const ch of "production") app.stdin.write(ch);
      await tick();
      app.stdin.write(KEY.enter);
      await until(app.lastFrame, /Press any key to go back/);
      assert.deepEqual(actions, [
        { kind: "deploy", env: "production", commit: "fffffff6666666666666666666666666666666ff" },
      ]);
    });

    it("promotes staging to production only after typed confirmation; Esc cancels", async () => {
      assert.equal(promotionTarget("staging"), "production");
      assert.equal(promotionTarget("production"), undefined);
      const { app, actions } = setup();
      await until(app.lastFrame, /preview-ccccccc/);
      app.stdin.write("j");
      await until(app.lastFrame, /› staging/);
      app.stdin.write("p");
      await until(app.lastFrame, /PRODUCTION: promote staging to production\?/);
      app.stdin.write(KEY.esc);
      await until(app.lastFrame, /Cancelled\./);
      assert.deepEqual(actions, []);
    });

    it("opens a preview for a commit from the recent log, and destroys a preview after y", async () => {
      const { app, actions } = setup();
      await until(app.lastFrame, /preview-ccccccc/);
      app.stdin.write("n");
      await until(app.lastFrame, /Open a preview of which commit\?/);
      assert.match(app.lastFrame() ?? "", /› fffffff {2}Add login page {2}\(dave\)/);
      app.stdin.write(KEY.down);
      await until(app.lastFrame, /› bbbbbbb {2}Fix checkout/);
      app.stdin.write(KEY.enter);
      await until(app.lastFrame, /Press any key to go back/);
      app.stdin.write("x");
      await until(app.lastFrame, /› production/);
      app.stdin.write("j");
      app.stdin.write("j");
      await until(app.lastFrame, /› preview-ccccccc/);
      app.stdin.write("x");
      await until(app.lastFrame, /destroy preview-ccccccc\?/);
      app.stdin.write("y");
      await until(app.lastFrame, /Press any key to go back/);
      assert.deepEqual(actions, [
        { kind: "preview up", commit: "bbbbbbb2222222222222222222222222222222bb" },
        { kind: "preview down", ref: "preview-ccccccc" },
      ]);
    });

    it("Ctrl-C during an operation cancels it; a second one leaves at once", async () => {
      let signal: AbortSignal | undefined;
      const { app, hardExits } = setup({
        runAction: (_action, onEvent, s) => {
          signal = s;
          onEvent(deployStream()[0] as FlightdeckEvent);
          return new Promise(() => {});
        },
      });
      await until(app.lastFrame, /preview-ccccccc/);
      app.stdin.write("n");
      await until(app.lastFrame, /Open a preview/);
      app.stdin.write(KEY.enter);
      await until(app.lastFrame, /Ctrl-C cancels the update/);
      app.stdin.write(KEY.ctrlC);
      await tick();
      assert.equal(signal?.aborted, true);
      assert.deepEqual(hardExits, []);
      app.stdin.write(KEY.ctrlC);
      await tick();
      assert.deepEqual(hardExits, ["staging"]);
    });

    it("shows an action's error and refuses keys that do not apply", async () => {
      const { app } = setup({
        runAction: async () => {
          throw new Error("stack 'staging' is locked by another update");
        },
      });
      await until(app.lastFrame, /› production/);
      app.stdin.write("x");
      await until(app.lastFrame, /Only previews are destroyed from here/);
      app.stdin.write("j");
      app.stdin.write("p");
      await until(app.lastFrame, /PRODUCTION: promote/);
      for (const ch of "production") app.stdin.write(ch);
      await tick();
      app.stdin.write(KEY.enter);
      await until(app.lastFrame, /✘ Error: stack 'staging' is locked by another update/);
    });

    it("refreshes on its interval and on g, and quits on q", async () => {
      const { app, loads } = setup({ refreshMs: 100 });
      await until(app.lastFrame, /preview-ccccccc/);
      await tick(350);
      assert.ok(loads() >= 3, `refreshed ${loads()} times`);
      const before = loads();
      app.stdin.write("g");
      await tick();
      assert.ok(loads() > before);
      app.stdin.write("q");
      await tick();
      const frames = app.frames.length;
      await tick(300);
      assert.equal(app.frames.length, frames, "no more frames once it has quit");
    });

    it("Esc on the list never quits (it is 'back' everywhere else); a notice clears on the next key", async () => {
      const { app } = setup({ loadHistory: async () => [] });
      await until(app.lastFrame, /› production/);
      app.stdin.write("x");
      await until(app.lastFrame, /Only previews are destroyed from here/);
      app.stdin.write(KEY.esc);
      await tick(150);
      const frame = app.lastFrame() ?? "";
      assert.match(frame, /› production/, "still running after Esc");
      assert.doesNotMatch(frame, /Only previews are destroyed/, "Esc dismissed the notice");
      // Back from history with Esc, then Esc again: still the list.
      app.stdin.write(KEY.enter);
      await until(app.lastFrame, /History of production/);
      app.stdin.write(KEY.esc);
      await until(app.lastFrame, /› production/);
      app.stdin.write(KEY.esc);
      await tick(150);
      assert.match(app.lastFrame() ?? "", /↑\/↓ move · enter history/);
      // Nothing to roll back to is said plainly.
      app.stdin.write("r");
      await until(
        app.lastFrame,
        /Nothing to roll production back to: no other commit was deployed there successfully\./,
      );
      app.stdin.write("j");
      await until(app.lastFrame, /› staging/);
      assert.doesNotMatch(app.lastFrame() ?? "", /Nothing to roll/);
      app.stdin.write("q");
      await tick();
      const frames = app.frames.length;
      await tick(200);
      assert.equal(app.frames.length, frames, "q still quits");
    });

    it("p on a non-production environment asks before promoting (one key never starts an update)", async () => {
      const testing: StackStatus = { ...(rows[1] as StackStatus), stack: "testing", environment: "testing" };
      const { app, actions } = setup({ loadStatus: async () => [testing, ...rows] });
      await until(app.lastFrame, /› testing/);
      app.stdin.write("p");
      await until(app.lastFrame, /promote testing to staging\?/);
      assert.doesNotMatch(app.lastFrame() ?? "", /PRODUCTION/);
      assert.deepEqual(actions, [], "nothing runs before the answer");
      app.stdin.write("n");
      await until(app.lastFrame, /Cancelled\./);
      assert.deepEqual(actions, []);
      app.stdin.write("p");
      await until(app.lastFrame, /promote testing to staging\?/);
      app.stdin.write("y");
      await until(app.lastFrame, /Press any key to go back/);
      assert.deepEqual(actions, [{ kind: "promote", from: "testing", to: "staging" }]);
    });

    it("SIGTERM cancels a running action like Ctrl-C (second one leaves at once), and quits when idle", async () => {
      let signal: AbortSignal | undefined;
      const handlers = new Set<() => void>();
      const send = () => {
        for (const h of [...handlers]) h();
      };
      const { app, hardExits } = setup({
        subscribeSignals: (handler) => {
          handlers.add(handler);
          return () => handlers.delete(handler);
        },
        runAction: (_action, onEvent, s) => {
          signal = s;
          onEvent(deployStream()[0] as FlightdeckEvent);
          return new Promise(() => {});
        },
      });
      await until(app.lastFrame, /preview-ccccccc/);
      assert.equal(handlers.size, 1, "listening while the dashboard is up");
      app.stdin.write("n");
      await until(app.lastFrame, /Open a preview/);
      app.stdin.write(KEY.enter);
      await until(app.lastFrame, /Ctrl-C cancels the update/);
      send();
      await tick();
      assert.equal(signal?.aborted, true, "the first signal cancels the update");
      assert.deepEqual(hardExits, []);
      send();
      await tick();
      assert.deepEqual(hardExits, ["staging"]);

      const idle = setup({
        subscribeSignals: (handler) => {
          handlers.clear();
          handlers.add(handler);
          return () => handlers.delete(handler);
        },
      });
      await until(idle.app.lastFrame, /preview-ccccccc/);
      send();
      await tick();
      const frames = idle.app.frames.length;
      await tick(200);
      assert.equal(idle.app.frames.length, frames, "quit on a signal when no action runs");
      assert.equal(handlers.size, 0, "stopped listening once it quit");
    });

    it("says so when there are no stacks yet", async () => {
      const { app } = setup({ loadStatus: async () => [] });
      await until(app.lastFrame, /No stacks yet: press n to open a preview/);
    });
  });
});

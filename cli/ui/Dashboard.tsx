/**
 * The dashboard: one row per environment and preview, refreshing, with keys to
 * deploy, promote, roll back, open a preview for a recent commit, destroy a
 * preview, show history and quit.
 *
 * Screens are one piece of state (`Screen`); approvals and pickers carry their
 * own callbacks; every async result lands through functional updates or refs,
 * so nothing reads stale state. The only `exit()` is in `Dashboard`'s effect.
 * What the keys start and what the pickers offer are pure functions beside it
 * (`dashboard-actions.ts`, `choices.ts`); each screen is its own component.
 */

import { Box, Text, useApp, useInput, useStdin } from "ink";
import { useCallback, useEffect, useRef, useState } from "react";
import type { HistoryEntry, Releases, ReleasesInput, StackStatus } from "../../automation/api.js";
import type { FlightdeckEvent } from "../../automation/events.js";
import { clockTime } from "../format.js";
import { type CommitChoice, commitChoices, type PickerChoice, rollbackChoices } from "./choices.js";
import { type AnswerState, type Approval, ConfirmPrompt, confirmKey, NO_ANSWER } from "./Confirm.js";
import {
  actionStack,
  actionTitle,
  type DashboardAction,
  HELP_LINE,
  isProduction,
  PROMOTION_CHAIN,
  promotionTarget,
  releasesRequest,
} from "./dashboard-actions.js";
import { HistoryView } from "./HistoryView.js";
import { OperationScreen } from "./OperationScreen.js";
import { tint, useNow } from "./OperationView.js";
import { Picker } from "./Picker.js";
import { ReleasesView } from "./ReleasesView.js";
import { StatusTable } from "./StatusTable.js";
import { createOperationStore, type OperationStore } from "./store.js";

export interface DashboardProps {
  loadStatus: () => Promise<StackStatus[]>;
  loadHistory: (env: string) => Promise<HistoryEntry[]>;
  recentCommits: () => Promise<CommitChoice[]>;
  /** The commits a promotion or deploy would release (the `c` key; absent: no such key). */
  loadReleases?: (input: ReleasesInput) => Promise<Releases>;
  /** Runs an operation, reporting its events; rejects with its error. */
  runAction: (
    action: DashboardAction,
    onEvent: (event: FlightdeckEvent) => void,
    signal: AbortSignal,
  ) => Promise<unknown>;
  /** One or a few lines for an error (the top-level handler's wording). */
  describeError: (error: unknown) => string;
  /** Second Ctrl-C while an operation runs: leave at once (the caller says what may be pending). */
  onHardExit: (stack: string | undefined) => void;
  /**
   * Subscribe to the process's SIGINT / SIGTERM (returns the unsubscribe): they
   * cancel a running action like Ctrl-C does, and quit the dashboard otherwise.
   */
  subscribeSignals?: (handler: () => void) => () => void;
  /**
   * How the dashboard ended, told once just before it exits: `q` quits (exit 0),
   * Ctrl-C or a signal interrupts (130, as the exit code table says).
   */
  onExit?: (how: "quit" | "interrupted") => void;
  clock: () => Date;
  color: boolean;
  refreshMs: number;
}

export type Screen =
  | { name: "list" }
  | { name: "history"; env: string; entries?: HistoryEntry[]; error?: string }
  | { name: "releases"; title: string; releases?: Releases; error?: string }
  | { name: "pick"; title: string; choices: PickerChoice[]; index: number; onPick: (value: string) => void }
  | { name: "confirm"; approval: Approval; answer: AnswerState }
  | { name: "operation"; title: string; store: OperationStore; controller: AbortController; done: boolean };

export function Dashboard(props: DashboardProps) {
  const {
    loadStatus,
    loadHistory,
    recentCommits,
    loadReleases,
    runAction,
    describeError,
    onHardExit,
    subscribeSignals,
    onExit,
    clock,
    color,
    refreshMs,
  } = props;
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const [loaded, setLoaded] = useState(false);
  const [refreshedAt, setRefreshedAt] = useState<Date | undefined>(undefined);
  // Rows, selection and screen live in refs as well as state: keys can arrive faster than renders,
  // and the input handler must act on the latest values, never on those of an older render.
  const rowsRef = useRef<StackStatus[]>([]);
  const selectedRef = useRef(0);
  const screenRef = useRef<Screen>({ name: "list" });
  const [rows, setRowsState] = useState<StackStatus[]>([]);
  const [selected, setSelectedState] = useState(0);
  const [screen, setScreenState] = useState<Screen>({ name: "list" });
  const setRows = useCallback((next: StackStatus[]) => {
    rowsRef.current = next;
    setRowsState(next);
  }, []);
  const setSelected = useCallback((update: (i: number) => number) => {
    selectedRef.current = update(selectedRef.current);
    setSelectedState(selectedRef.current);
  }, []);
  const setScreen = useCallback((update: Screen | ((s: Screen) => Screen)) => {
    screenRef.current = typeof update === "function" ? update(screenRef.current) : update;
    setScreenState(screenRef.current);
  }, []);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [quitting, setQuitting] = useState<false | "quit" | "interrupted">(false);
  const mounted = useRef(true);
  const loading = useRef(false);
  const interrupts = useRef(0);
  const now = useNow(true, clock, 1000);

  const refresh = useCallback(async () => {
    if (loading.current) return;
    loading.current = true;
    try {
      const next = await loadStatus();
      if (!mounted.current) return;
      setRows(next);
      setSelected((i) => Math.min(i, Math.max(0, next.length - 1)));
      setRefreshedAt(clock());
      setLoaded(true);
    } catch (error) {
      if (mounted.current) setNotice(describeError(error));
    } finally {
      loading.current = false;
    }
  }, [loadStatus, clock, describeError, setRows, setSelected]);

  useEffect(() => {
    mounted.current = true;
    void refresh();
    const timer = setInterval(() => void refresh(), refreshMs);
    return () => {
      mounted.current = false;
      clearInterval(timer);
    };
  }, [refresh, refreshMs]);

  /** Ctrl-C on the operation screen, or a signal: first cancels the update, second leaves at once. */
  const interruptOperation = useCallback(
    (screen: Extract<Screen, { name: "operation" }>) => {
      interrupts.current++;
      if (interrupts.current === 1) return screen.controller.abort();
      return onHardExit(screen.store.getSnapshot().view.stack);
    },
    [onHardExit],
  );

  // SIGTERM (and SIGINT from outside the terminal) never kill a running update: they cancel it cleanly.
  useEffect(() => {
    if (!subscribeSignals) return undefined;
    return subscribeSignals(() => {
      const screen = screenRef.current;
      if (screen.name === "operation" && !screen.done) return interruptOperation(screen);
      setQuitting("interrupted");
    });
  }, [subscribeSignals, interruptOperation]);

  // The one place the dashboard ends.
  useEffect(() => {
    if (!quitting) return;
    onExit?.(quitting);
    exit();
  }, [quitting, exit, onExit]);

  const back = useCallback(() => setScreen({ name: "list" }), [setScreen]);

  const start = useCallback(
    (action: DashboardAction) => {
      const store = createOperationStore();
      const controller = new AbortController();
      interrupts.current = 0;
      setNotice(undefined);
      setScreen({ name: "operation", title: actionTitle(action), store, controller, done: false });
      const finish = () =>
        setScreen((s) => (s.name === "operation" && s.store === store ? { ...s, done: true } : s));
      runAction(action, store.dispatch, controller.signal).then(
        () => {
          store.end();
          finish();
        },
        (error: unknown) => {
          store.end(describeError(error));
          finish();
        },
      );
    },
    [runAction, describeError, setScreen],
  );

  /** Run now, or first ask: production actions need the stack name typed, others a y. */
  const confirmThenStart = useCallback(
    (action: DashboardAction, production: boolean, destroys: boolean, ask = false) => {
      if (!production && !destroys && !ask) return start(action);
      const stack = actionStack(action);
      setScreen({
        name: "confirm",
        answer: NO_ANSWER,
        approval: {
          title: `${production ? "PRODUCTION: " : ""}${actionTitle(action)}?`,
          ...(destroys ? { details: ["Its resources and data are destroyed and the stack removed."] } : {}),
          ...(production && stack ? { typeToConfirm: stack } : {}),
          onApprove: () => start(action),
          onReject: () => {
            setNotice("Cancelled.");
            setScreen({ name: "list" });
          },
        },
      });
    },
    [start, setScreen],
  );

  const pick = useCallback(
    async (
      title: string,
      load: () => Promise<PickerChoice[]>,
      onPick: (value: string) => void,
      empty = `${title}: nothing to choose from.`,
    ) => {
      try {
        const choices = await load();
        if (!mounted.current) return;
        if (choices.length === 0) return setNotice(empty);
        setScreen({ name: "pick", title, choices, index: 0, onPick });
      } catch (error) {
        if (mounted.current) setNotice(describeError(error));
      }
    },
    [describeError, setScreen],
  );

  const showHistory = useCallback(
    (env: string) => {
      setScreen({ name: "history", env });
      loadHistory(env).then(
        (entries) => setScreen((s) => (s.name === "history" && s.env === env ? { ...s, entries } : s)),
        (error: unknown) =>
          setScreen((s) =>
            s.name === "history" && s.env === env ? { ...s, error: describeError(error) } : s,
          ),
      );
    },
    [loadHistory, describeError, setScreen],
  );

  const onListKey = (
    input: string,
    key: { upArrow: boolean; downArrow: boolean; return: boolean; escape: boolean; ctrl: boolean },
  ) => {
    const rows = rowsRef.current;
    const row = rows[selectedRef.current];
    // A notice answers the last key; the next key clears it.
    setNotice(undefined);
    if (key.ctrl && input === "c") return setQuitting("interrupted");
    if (input === "q") return setQuitting("quit");
    // Esc only dismisses here: it is the "back" key everywhere else, and pressed once too often it must not quit.
    if (key.escape) return;
    if (key.upArrow || input === "k") return setSelected((i) => Math.max(0, i - 1));
    if (key.downArrow || input === "j") return setSelected((i) => Math.min(rows.length - 1, i + 1));
    if (input === "g") return void refresh();
    if (input === "n") {
      return void pick(
        "Open a preview of which commit?",
        async () => commitChoices(await recentCommits()),
        (sha) => start({ kind: "preview up", commit: sha }),
      );
    }
    if (!row) return setNotice("No stack selected.");
    const env = row.stack;
    const preview = row.environment === "preview";
    if (key.return || input === "h") return showHistory(env);
    if (input === "c" && loadReleases) {
      const request = releasesRequest(row);
      if (!request) return setNotice("Previews release one commit: see its row.");
      const { title } = request;
      setScreen({ name: "releases", title });
      const land = (done: Partial<Extract<Screen, { name: "releases" }>>) =>
        setScreen((s) => (s.name === "releases" && s.title === title ? { ...s, ...done } : s));
      return void loadReleases(request.input).then(
        (releases) => land({ releases }),
        (error: unknown) => land({ error: describeError(error) }),
      );
    }
    if (input === "d") {
      if (preview || row.environment === "previews")
        return setNotice("Previews are opened with n, not deployed.");
      return void pick(
        `Deploy which commit to ${env}?`,
        async () => commitChoices(await recentCommits()),
        (sha) => confirmThenStart({ kind: "deploy", env, commit: sha }, isProduction(row, env), false),
      );
    }
    if (input === "p") {
      const to = promotionTarget(env);
      if (!to) return setNotice(`Nothing to promote ${env} to (order: ${PROMOTION_CHAIN.join(" → ")}).`);
      const target = rows.find((r) => r.stack === to);
      // One key, and no commit to pick: a promotion is always asked for (y, or the name for production).
      return confirmThenStart({ kind: "promote", from: env, to }, isProduction(target, to), false, true);
    }
    if (input === "r") {
      if (preview) return setNotice("Previews are not rolled back: open a preview of the other commit.");
      return void pick(
        `Roll ${env} back to which commit?`,
        async () => rollbackChoices(await loadHistory(env), clock(), row.commit),
        (sha) => confirmThenStart({ kind: "rollback", env, commit: sha }, isProduction(row, env), false),
        `Nothing to roll ${env} back to: no other commit was deployed there successfully.`,
      );
    }
    if (input === "x") {
      if (!preview) return setNotice("Only previews are destroyed from here (x on a preview row).");
      return confirmThenStart({ kind: "preview down", ref: env }, false, true);
    }
  };

  useInput(
    (input, key) => {
      const screen = screenRef.current;
      switch (screen.name) {
        case "list":
          return onListKey(input, key);
        case "history":
        case "releases":
          if (key.escape || key.return || input === "q" || input === "h" || key.backspace) return back();
          if (key.ctrl && input === "c") return setQuitting("interrupted");
          return;
        case "pick":
          if (key.escape || input === "q") return back();
          if (key.upArrow || input === "k") {
            return setScreen({ ...screen, index: Math.max(0, screen.index - 1) });
          }
          if (key.downArrow || input === "j") {
            return setScreen({ ...screen, index: Math.min(screen.choices.length - 1, screen.index + 1) });
          }
          if (key.return) {
            const choice = screen.choices[screen.index];
            if (choice) screen.onPick(choice.value);
          }
          return;
        case "confirm": {
          const next = confirmKey(screen.approval, screen.answer, input, key);
          if (next.decision === true) return screen.approval.onApprove();
          if (next.decision === false) return screen.approval.onReject();
          return setScreen({ ...screen, answer: next.state });
        }
        case "operation":
          if (key.ctrl && input === "c") return interruptOperation(screen);
          if (screen.done) {
            back();
            void refresh();
          }
          return;
      }
    },
    { isActive: isRawModeSupported === true },
  );

  if (screen.name === "operation") {
    return <OperationScreen store={screen.store} done={screen.done} clock={clock} color={color} />;
  }
  return (
    <Box flexDirection="column">
      <Text bold>
        flightdeck{" "}
        <Text dimColor>
          {refreshedAt ? `· refreshed ${clockTime(refreshedAt.toISOString())}` : "· loading…"}
        </Text>
      </Text>
      {screen.name === "releases" ? (
        <ReleasesView title={screen.title} releases={screen.releases} error={screen.error} color={color} />
      ) : screen.name === "history" ? (
        <HistoryView env={screen.env} now={now} color={color} entries={screen.entries} error={screen.error} />
      ) : screen.name === "pick" ? (
        <Picker title={screen.title} choices={screen.choices} index={screen.index} />
      ) : screen.name === "confirm" ? (
        <ConfirmPrompt approval={screen.approval} answer={screen.answer} color={color} />
      ) : loaded && rows.length === 0 ? (
        <Text>{"No stacks yet: press n to open a preview, or run `flightdeck deploy <env>`."}</Text>
      ) : (
        <StatusTable rows={rows} selected={selected} now={now} color={color} />
      )}
      {notice ? <Text color={tint(color, "yellow")}>{notice}</Text> : null}
      {screen.name === "list" ? <Text dimColor>{HELP_LINE}</Text> : null}
      {!isRawModeSupported ? <Text dimColor>(keys need a terminal)</Text> : null}
    </Box>
  );
}

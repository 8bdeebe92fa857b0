/**
 * An operation, live: finished lines in `<Static>` (printed once, so the
 * scrollback keeps the whole log), in-flight resources with spinners below,
 * the change counts and elapsed time, and at the end a summary with the URL.
 */
import { Box, Static, Text, useApp, useInput, useStdin } from "ink";
import Spinner from "ink-spinner";
import { useEffect, useState, useSyncExternalStore } from "react";
import { clockTime, formatDuration, short } from "../format.js";
import { COUNTED_OPS, elapsedMs, type LogLine, type OperationViewState } from "./reducer.js";
import type { OperationStore } from "./store.js";

/** A colour name, or none when colour is off (NO_COLOR, no TTY). */
export function tint(color: boolean, name: string): string | undefined {
  return color ? name : undefined;
}

const OP_SIGN: Record<string, string> = { create: "+", update: "~", replace: "±", delete: "-" };

function LogLineView({ line, color }: { line: LogLine; color: boolean }) {
  const at = <Text dimColor>{clockTime(line.timestamp)} </Text>;
  switch (line.kind) {
    case "step":
      return (
        <Text>
          {at}
          {line.message}
        </Text>
      );
    case "guard":
      return (
        <Text>
          {at}
          <Text color={tint(color, line.allowed ? "green" : "red")}>
            {line.allowed ? "✔" : "✘"}
          </Text> guard {line.guard}: {line.reason}
        </Text>
      );
    case "resource": {
      const r = line.row;
      const failed = r.status === "failed";
      return (
        <Text>
          {at}
          <Text color={tint(color, failed ? "red" : "green")}>{failed ? "✘" : "✔"}</Text>{" "}
          {OP_SIGN[r.op] ?? " "} {r.resourceType} {r.name}
          {r.durationMs === undefined ? "" : <Text dimColor> {formatDuration(r.durationMs)}</Text>}
          {failed && r.error ? <Text color={tint(color, "red")}> {r.error}</Text> : null}
        </Text>
      );
    }
    case "diagnostic":
      return (
        <Text>
          {at}
          <Text color={tint(color, line.severity === "error" ? "red" : "yellow")}>{line.severity}</Text>{" "}
          {line.message}
        </Text>
      );
    case "rollout":
      return (
        <Box flexDirection="column">
          <Text>
            {at}
            <Text
              color={tint(
                color,
                line.status === "failed" ? "red" : line.status === "done" ? "green" : "gray",
              )}
            >
              {line.status === "failed" ? "✘" : line.status === "done" ? "✔" : "–"}
            </Text>{" "}
            {line.phase}: {line.message}
          </Text>
          {(line.logTail ?? []).map((l, i) => (
            <Text key={i} dimColor>
              {"    "}
              {l}
            </Text>
          ))}
        </Box>
      );
    case "item":
      return (
        <Text>
          {at}
          <Text color={tint(color, line.status === "failed" ? "red" : "green")}>
            {line.status === "failed" ? "✘" : "✔"}
          </Text>{" "}
          {line.stack} {line.status}
          {line.message ? `: ${line.message}` : ""}
        </Text>
      );
  }
}

/** `[██████░░░░] 60%`: a refresh's progress in 10 cells. */
export function progressBar(percentage: number): string {
  const p = Math.max(0, Math.min(100, Math.round(percentage)));
  const full = Math.round(p / 10);
  return `[${"█".repeat(full)}${"░".repeat(10 - full)}] ${String(p).padStart(3)}%`;
}

export function Counts({ state }: { state: OperationViewState }) {
  return <Text>{COUNTED_OPS.map((op) => `${state.counts[op]} ${op}`).join("  ")}</Text>;
}

function Header({ state }: { state: OperationViewState }) {
  const parts = [
    state.operation ?? "operation",
    state.stack,
    state.commit ? `commit ${short(state.commit)}` : undefined,
    state.imageId ? `image ${state.imageId}` : undefined,
    state.actor ? `by ${state.actor}` : undefined,
  ].filter(Boolean);
  return <Text bold>{parts.join(" · ")}</Text>;
}

function Summary({ state, color, error }: { state: OperationViewState; color: boolean; error?: string }) {
  const r = state.result;
  if (!r) {
    return error ? <Text color={tint(color, "red")}>✘ {error}</Text> : null;
  }
  return (
    <Box flexDirection="column">
      <Text color={tint(color, r.ok ? "green" : "red")} bold>
        {r.ok ? "✔" : "✘"} {r.summary} in {formatDuration(r.durationMs)}
      </Text>
      {r.url ? <Text>URL: {r.url}</Text> : null}
      {!r.ok && r.error?.tryMessage ? <Text>Try: {r.error.tryMessage}</Text> : null}
      {state.logFile ? <Text dimColor>Log: {state.logFile}</Text> : null}
    </Box>
  );
}

export interface OperationViewProps {
  state: OperationViewState;
  now: Date;
  color: boolean;
  /** Why the operation ended without a result, if it did. */
  error?: string;
}

/** Pure presentation of one operation's state. */
export function OperationView({ state, now, color, error }: OperationViewProps) {
  const finished = state.result !== undefined || error !== undefined;
  return (
    <>
      <Static items={state.log}>{(line) => <LogLineView key={line.id} line={line} color={color} />}</Static>
      <Box flexDirection="column">
        <Header state={state} />
        {state.inFlight.map((r) => (
          <Text key={r.urn}>
            <Text color={tint(color, "cyan")}>
              <Spinner type="dots" />
            </Text>{" "}
            {OP_SIGN[r.op] ?? " "} {r.resourceType} {r.name}{" "}
            <Text dimColor>{formatDuration(Math.max(0, now.getTime() - Date.parse(r.startedAt)))}</Text>
          </Text>
        ))}
        {state.checks.map((c) => (
          <Text key={c.key}>
            <Text color={tint(color, "cyan")}>
              <Spinner type="dots" />
            </Text>{" "}
            {c.percentage === undefined ? "" : `${progressBar(c.percentage)} `}
            {c.message}{" "}
            <Text dimColor>{formatDuration(Math.max(0, now.getTime() - Date.parse(c.since)))}</Text>
          </Text>
        ))}
        <Text>
          <Counts state={state} />
          <Text dimColor> · {formatDuration(elapsedMs(state, now))}</Text>
        </Text>
        {finished ? (
          <Summary state={state} color={color} {...(error === undefined ? {} : { error })} />
        ) : null}
      </Box>
    </>
  );
}

/** The current time, ticking every `ms` while `active`. */
export function useNow(active: boolean, clock: () => Date, ms = 1000): Date {
  const [now, setNow] = useState(() => clock());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(clock()), ms);
    return () => clearInterval(timer);
  }, [active, clock, ms]);
  return now;
}

export interface OperationAppProps {
  store: OperationStore;
  color: boolean;
  clock: () => Date;
  /** Ctrl-C pressed (raw mode swallows the terminal's SIGINT, so Ink reports it as a key). */
  onInterrupt: () => void;
}

/** A whole command's operation screen: exits the Ink app once the operation has ended. */
export function OperationApp({ store, color, clock, onInterrupt }: OperationAppProps) {
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const done = snapshot.view.result !== undefined || snapshot.ended;
  const now = useNow(!done, clock);
  useInput(
    (input, key) => {
      if (key.ctrl && input === "c") onInterrupt();
    },
    { isActive: isRawModeSupported === true && !done },
  );
  // The one place this app ends: after the final frame with the summary is drawn.
  useEffect(() => {
    if (done) exit();
  }, [done, exit]);
  return (
    <OperationView
      state={snapshot.view}
      now={done ? clock() : now}
      color={color}
      {...(snapshot.error === undefined ? {} : { error: snapshot.error })}
    />
  );
}

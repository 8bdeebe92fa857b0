/**
 * Mounting the Ink screens for a command. Loaded only on the interactive
 * paths (`cli/run.ts` imports it dynamically), so CI and `--help` never load
 * ink or react.
 */
import { render } from "ink";
import { ConfirmRoot } from "./Confirm.js";
import { Dashboard, type DashboardProps } from "./Dashboard.js";
import { OperationApp } from "./OperationView.js";
import type { OperationStore } from "./store.js";

export interface InkStreams {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
}

function options(streams: InkStreams) {
  // Ctrl-C is ours (first cancels, second quits), and console output must not be captured.
  return { ...streams, exitOnCtrlC: false, patchConsole: false };
}

/** Ask for confirmation: approved, rejected (n, Esc, a wrong name) or interrupted (Ctrl-C). */
export async function askConfirmation(
  streams: InkStreams,
  prompt: { title: string; details?: string[]; typeToConfirm?: string; color: boolean },
): Promise<"approved" | "rejected" | "interrupted"> {
  let answer: "approved" | "rejected" | "interrupted" = "rejected";
  const app = render(
    <ConfirmRoot
      {...prompt}
      onDecided={(decision, interrupted) => {
        answer = decision ? "approved" : interrupted ? "interrupted" : "rejected";
      }}
    />,
    options(streams),
  );
  await app.waitUntilExit();
  return answer;
}

/** Show an operation live until its store ends; returns once the final frame is drawn. */
export function renderOperation(
  streams: InkStreams,
  props: { store: OperationStore; color: boolean; clock: () => Date; onInterrupt: () => void },
): { done: Promise<void> } {
  const app = render(<OperationApp {...props} />, options(streams));
  return { done: app.waitUntilExit().then(() => undefined) };
}

/** The dashboard until it ends: `quit` (q) or `interrupted` (Ctrl-C, a signal). */
export async function renderDashboard(
  streams: InkStreams,
  props: DashboardProps,
): Promise<"quit" | "interrupted"> {
  let how: "quit" | "interrupted" = "quit";
  const onExit = (h: "quit" | "interrupted") => {
    how = h;
    props.onExit?.(h);
  };
  const app = render(<Dashboard {...props} onExit={onExit} />, options(streams));
  await app.waitUntilExit();
  return how;
}

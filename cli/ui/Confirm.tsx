/**
 * Confirmation prompts. An approval is plain state that carries its own
 * callbacks, so whoever shows it (a command, the dashboard) decides what
 * approving and rejecting do. Keys are interpreted by the pure `confirmKey`,
 * so the dashboard can route keys to a prompt through its one input handler
 * (no keystroke is lost while a second handler subscribes).
 *
 * A production action needs the stack name typed; other actions a `y`.
 */
import { Box, Text, useApp, useInput, useStdin } from "ink";
import { useEffect, useRef, useState } from "react";
import type { Operations, Releases, ReleasesInput } from "../../automation/api.js";
import { releasedCommitLine, releasesSummary } from "../../automation/changes.js";
import { tint } from "./OperationView.js";

export interface Approval {
  /** What will happen, one line. */
  title: string;
  /** Further lines (what changes, what is destroyed). */
  details?: string[];
  /** When set, this exact text (the stack name) must be typed; otherwise `y` approves. */
  typeToConfirm?: string;
  onApprove: () => void;
  onReject: () => void;
}

/** What has been typed so far. */
export interface AnswerState {
  answer: string;
  mismatch: boolean;
}

export const NO_ANSWER: AnswerState = { answer: "", mismatch: false };

export interface KeyInfo {
  return: boolean;
  escape: boolean;
  backspace: boolean;
  delete: boolean;
  ctrl: boolean;
  meta: boolean;
}

/** Pure decision: does the typed answer approve? */
export function answerApproves(approval: Pick<Approval, "typeToConfirm">, answer: string): boolean {
  if (approval.typeToConfirm !== undefined) return answer.trim() === approval.typeToConfirm;
  return /^y(es)?$/i.test(answer.trim());
}

/** Pure: the next answer state after a key, and the decision when the key makes one. */
export function confirmKey(
  approval: Pick<Approval, "typeToConfirm">,
  state: AnswerState,
  input: string,
  key: KeyInfo,
): { state: AnswerState; decision?: boolean; interrupted?: true } {
  if (key.ctrl && input === "c") return { state, decision: false, interrupted: true };
  if (key.escape) return { state, decision: false };
  if (approval.typeToConfirm === undefined) {
    if (input.toLowerCase() === "y") return { state, decision: true };
    if (input.toLowerCase() === "n" || key.return) return { state, decision: false };
    return { state };
  }
  if (key.return) {
    return answerApproves(approval, state.answer)
      ? { state, decision: true }
      : { state: { answer: "", mismatch: true } };
  }
  if (key.backspace || key.delete) return { state: { answer: state.answer.slice(0, -1), mismatch: false } };
  if (input && !key.ctrl && !key.meta) return { state: { answer: state.answer + input, mismatch: false } };
  return { state };
}

/** Pure presentation of a prompt and what has been typed. */
export function ConfirmPrompt({
  approval,
  answer,
  color,
}: {
  approval: Approval;
  answer: AnswerState;
  color: boolean;
}) {
  const typed = approval.typeToConfirm !== undefined;
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold color={tint(color, "yellow")}>
        {approval.title}
      </Text>
      {(approval.details ?? []).map((d, i) => (
        // Two commits may share a subject: the position is the key.
        <Text key={i}>{d}</Text>
      ))}
      {typed ? (
        <>
          <Text>
            Type <Text bold>{approval.typeToConfirm}</Text> to confirm (Esc to cancel): {answer.answer}
            <Text inverse> </Text>
          </Text>
          {answer.mismatch ? (
            <Text color={tint(color, "red")}>That is not '{approval.typeToConfirm}'. Try again, or Esc.</Text>
          ) : null}
        </>
      ) : (
        <Text>Continue? (y/N)</Text>
      )}
    </Box>
  );
}

export interface ConfirmRootProps {
  title: string;
  details?: string[];
  typeToConfirm?: string;
  color: boolean;
  /** `interrupted`: the answer was Ctrl-C (the command then ends with 130, not as a plain "no"). */
  onDecided: (approved: boolean, interrupted?: boolean) => void;
}

/** A standalone prompt for a command: the answer is reported, then the one `exit()` ends the app. */
export function ConfirmRoot({ title, details, typeToConfirm, color, onDecided }: ConfirmRootProps) {
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const [decision, setDecision] = useState<boolean | undefined>(undefined);
  // A ref as well as state: a pasted name and Enter arrive before React re-renders.
  const answerRef = useRef<AnswerState>(NO_ANSWER);
  const [answer, setAnswer] = useState<AnswerState>(NO_ANSWER);
  const interrupted = useRef(false);
  const approval: Approval = {
    title,
    ...(details === undefined ? {} : { details }),
    ...(typeToConfirm === undefined ? {} : { typeToConfirm }),
    onApprove: () => setDecision(true),
    onReject: () => setDecision(false),
  };
  useInput(
    (input, key) => {
      const next = confirmKey(approval, answerRef.current, input, key);
      answerRef.current = next.state;
      setAnswer(next.state);
      if (next.interrupted) interrupted.current = true;
      if (next.decision !== undefined) setDecision(next.decision);
    },
    { isActive: isRawModeSupported === true && decision === undefined },
  );
  const reported = useRef(false);
  useEffect(() => {
    if (decision === undefined || reported.current) return;
    reported.current = true;
    onDecided(decision, interrupted.current);
    exit();
  }, [decision, exit, onDecided]);
  if (decision !== undefined) return <Text>{decision ? "Confirmed." : "Cancelled."}</Text>;
  return <ConfirmPrompt approval={approval} answer={answer} color={color} />;
}

/** How many commits a prompt lists (the rest are counted; the operation's log lists them all). */
export const PROMPT_COMMITS = 15;

/** A prompt's lines for what a release brings (`+`) and takes away (`-`). */
export function releaseDetails(r: Releases, max = PROMPT_COMMITS): string[] {
  const shown = r.commits.slice(0, max);
  const rest = r.commits.length - shown.length + r.more;
  return [
    releasesSummary(r),
    ...shown.map(releasedCommitLine),
    ...(rest > 0 ? [`... and ${rest} more commit${rest === 1 ? "" : "s"}`] : []),
  ];
}

interface ReleasingCommand {
  command: string;
  env?: string;
  commit?: string;
  ref?: string;
  from?: string;
  to?: string;
}

/** What a deploy, promotion or rollback command releases, as the automation layer is asked it. */
export function releasesInputOf(cmd: ReleasingCommand): ReleasesInput | undefined {
  if (cmd.command === "deploy" && cmd.env) {
    return { operation: "deploy", stack: cmd.env, ...(cmd.commit ? { commit: cmd.commit } : {}) };
  }
  if (cmd.command === "rollback" && cmd.env && cmd.ref) {
    return { operation: "rollback", stack: cmd.env, commit: cmd.ref };
  }
  if (cmd.command === "promote" && cmd.to && cmd.from) {
    return { operation: "promote", stack: cmd.to, from: cmd.from };
  }
  return undefined;
}

/** The prompt's lines for a command's release; a line saying why when they cannot be read (the prompt still asks). */
export async function releaseDetailsFor(
  cmd: ReleasingCommand,
  ops: () => Promise<Operations>,
): Promise<string[]> {
  const input = releasesInputOf(cmd);
  if (!input) return [];
  try {
    return releaseDetails(await (await ops()).releasesOf(input));
  } catch (error) {
    return [
      `(cannot list the commits it releases: ${error instanceof Error ? error.message : String(error)})`,
    ];
  }
}

/**
 * The command line, parsed and validated without running anything.
 *
 * `parseCommandLine(argv)` is pure: it returns what to run (or the help text to
 * print) and throws a usage `UserError` (exit 2) on anything it does not
 * accept, with commander's "did you mean" suggestion as what to try. The
 * delivery-pipeline test validates every flightdeck invocation of
 * `bitbucket-pipelines.yml` through it, so it must stay free of side effects
 * and of heavy imports (`flightdeck --help` loads only this, `program.ts` and
 * commander).
 */
import { type Command, CommanderError } from "commander";
import { ExitCode, UserError } from "../infra/errors.js";
import type { ParsedCommand } from "./parsed-command.js";
import { buildProgram } from "./program.js";

export type { CommandName, GlobalOptions, ParsedCommand } from "./parsed-command.js";
export { EXIT_CODE_TABLE } from "./program.js";

/** Global options that take a value: needed to tell `flightdeck --cwd dir` (no command) apart. */
const VALUE_OPTIONS = new Set(["--actor", "--cwd"]);
const HELP_FLAGS = new Set(["-h", "--help"]);

/** True when argv names no command (only global options), so the default command runs. */
function namesNoCommand(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (HELP_FLAGS.has(arg)) return false;
    if (VALUE_OPTIONS.has(arg)) {
      i++;
      continue;
    }
    if (arg === "--" || !arg.startsWith("-")) return false;
  }
  return true;
}

/** Turn commander's "error: unknown option '--jsno'\n(Did you mean --json?)" into a usage error. */
function usageError(error: CommanderError, argv: readonly string[]): UserError {
  const lines = error.message
    .replace(/^error: /, "")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const suggestion = lines.find((l) => l.startsWith("(Did you mean"));
  // commander: "argument '5x' is invalid. must be a duration ..." reads better as one sentence.
  const what = lines
    .filter((l) => l !== suggestion)
    .join(" ")
    .replace(/ is invalid\. /, " is invalid: it ");
  const words = argv.filter((a) => !a.startsWith("-"));
  const command = words[0];
  const sub = command === "preview" && PREVIEW_COMMANDS.has(words[1] ?? "") ? ` ${words[1]}` : "";
  const helpFor =
    command && KNOWN_COMMANDS.has(command) ? `flightdeck ${command}${sub} --help` : "flightdeck --help";
  return new UserError(what, {
    tryMessage: suggestion ? suggestion.replace(/^\(|\)$/g, "") : `Run \`${helpFor}\` for usage.`,
    nextSteps: suggestion ? [`Run \`${helpFor}\` for usage.`] : [],
    exitCode: ExitCode.usage,
  });
}

const PREVIEW_COMMANDS = new Set(["up", "down", "list", "sleep", "wake", "comment"]);

const KNOWN_COMMANDS = new Set([
  "status",
  "plan",
  "deploy",
  "promote",
  "rollback",
  "history",
  "preview",
  "reap",
  "where",
  "drift",
  "sweep",
]);

/**
 * Parse flightdeck's arguments (without `node` and the script). Returns the
 * command to run, or `{ command: "help" }` with the text to print; throws a
 * usage `UserError` (exit code 2) for anything else. Runs nothing.
 */
export function parseCommandLine(argv: readonly string[]): ParsedCommand {
  let parsed: ParsedCommand | undefined;
  let out = "";
  const program = buildProgram((p) => {
    parsed = p;
  });
  const append = (s: string) => {
    out += s;
  };
  const capture = { writeOut: append, writeErr: append };
  for (const command of allCommands(program)) command.exitOverride().configureOutput(capture);

  const args = namesNoCommand(argv) ? ["dashboard", ...argv] : [...argv];
  try {
    program.parse(args, { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (
      error.code === "commander.helpDisplayed" ||
      (error.code === "commander.help" && error.exitCode === 0)
    ) {
      return { command: "help", text: out };
    }
    if (error.code === "commander.help") {
      // A command group (`flightdeck preview`) without its sub-command.
      return usageErrorForGroup(argv);
    }
    throw usageError(error, argv);
  }
  if (!parsed) throw new UserError("no command given", { exitCode: ExitCode.usage });
  return parsed;
}

function usageErrorForGroup(argv: readonly string[]): never {
  const group = argv.find((a) => !a.startsWith("-")) ?? "";
  throw new UserError(`'flightdeck ${group}' needs a sub-command`, {
    tryMessage:
      group === "preview"
        ? "Use one of: preview up [--branch B], preview down <ref>, preview list, preview sleep <ref>, preview wake <ref>, preview comment."
        : undefined,
    nextSteps: [`Run \`flightdeck ${group} --help\` for usage.`],
    exitCode: ExitCode.usage,
  });
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap((c) => allCommands(c))];
}

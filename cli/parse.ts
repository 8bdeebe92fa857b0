/**
 * The command line, parsed and validated without running anything.
 *
 * `parseCommandLine(argv)` is pure: it returns what to run (or the help text to
 * print) and throws a usage `UserError` (exit 2) on anything it does not
 * accept, with commander's "did you mean" suggestion as what to try. The
 * delivery-pipeline test validates every flightdeck invocation of
 * `bitbucket-pipelines.yml` through it, so it must stay free of side effects
 * and of heavy imports (`flightdeck --help` loads only this and commander).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { ExitCode, UserError } from "../infra/errors.js";

/** Options every command accepts. */
export interface GlobalOptions {
  /** Machine output: JSON lines of events for operations, one JSON document for queries. */
  json: boolean;
  /** Never prompt and never draw the dashboard, even on a terminal. */
  nonInteractive: boolean;
  /** Answer yes to every confirmation (required for confirmations without a terminal). */
  yes: boolean;
  /** Who runs this (default: FLIGHTDECK_ACTOR, the CI's variables, git's user.email). */
  actor?: string;
  /** The project directory (default: the current directory). */
  cwd?: string;
}

export type ParsedCommand =
  | { command: "help"; text: string }
  /** No command: the dashboard on a terminal, `status` otherwise. */
  | { command: "default"; globals: GlobalOptions }
  | { command: "status"; globals: GlobalOptions }
  | { command: "plan"; stack: string; offline: boolean; commit?: string; globals: GlobalOptions }
  | { command: "deploy"; env: string; commit?: string; globals: GlobalOptions }
  | { command: "promote"; from: string; to: string; globals: GlobalOptions }
  | { command: "rollback"; env: string; ref: string; globals: GlobalOptions }
  | { command: "history"; env: string; limit?: number; globals: GlobalOptions }
  | { command: "preview up"; commit?: string; ttl?: string; globals: GlobalOptions }
  | { command: "preview down"; ref: string; globals: GlobalOptions }
  | { command: "preview list"; globals: GlobalOptions }
  | {
      command: "reap";
      olderThan?: string;
      dryRun: boolean;
      concurrency?: number;
      globals: GlobalOptions;
    };

export type CommandName = ParsedCommand["command"];

/** Exit codes, as `--help` and the README show them. */
export const EXIT_CODE_TABLE: readonly (readonly [number, string])[] = [
  [ExitCode.ok, "ok"],
  [ExitCode.failed, "the operation failed (update error, failed destroy, mandatory policy violation)"],
  [
    ExitCode.usage,
    "usage or config error (bad input, unknown env/commit/image, no Pulumi CLI, missing --yes)",
  ],
  [ExitCode.refused, "refused by a guard (production rules, rollback history, promotion source)"],
  [ExitCode.busy, "the stack is locked by another update"],
  [ExitCode.interrupted, "interrupted (Ctrl-C / SIGTERM), also at a confirmation prompt"],
];

function exitCodeHelp(): string {
  const rows = EXIT_CODE_TABLE.map(([code, meaning]) => `  ${String(code).padEnd(4)}${meaning}`);
  return `\nExit codes:\n${rows.join("\n")}\n`;
}

function examplesHelp(examples: string[]): string {
  return `\nExamples:\n${examples.map((e) => `  $ ${e}`).join("\n")}\n`;
}

/** A duration such as 30m, 24h or 7d (the same form the stack config's TTL takes). */
const DURATION = /^[1-9]\d*(m|h|d)$/;

function durationArg(value: string): string {
  if (!DURATION.test(value)) throw new InvalidArgumentError("must be a duration like 30m, 24h or 7d.");
  return value;
}

function positiveIntArg(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || n > max) {
      throw new InvalidArgumentError(`must be a whole number from 1 to ${max}.`);
    }
    return n;
  };
}

/** A name of a stack or environment: what Pulumi allows, and no option-looking text. */
function stackArg(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(value)) {
    throw new InvalidArgumentError("must be a stack name (letters, digits, '-', '_', '.').");
  }
  return value;
}

function refArg(value: string): string {
  if (value.length === 0 || value.startsWith("-") || /\s/.test(value)) {
    throw new InvalidArgumentError("must be a commit SHA, short SHA, branch or tag.");
  }
  return value;
}

type Sink = (parsed: ParsedCommand) => void;

interface RawGlobals {
  json?: boolean;
  nonInteractive?: boolean;
  yes?: boolean;
  actor?: string;
  cwd?: string;
}

function globalsOf(command: Command): GlobalOptions {
  const raw = command.optsWithGlobals<RawGlobals>();
  return {
    json: raw.json === true,
    nonInteractive: raw.nonInteractive === true,
    yes: raw.yes === true,
    ...(raw.actor === undefined ? {} : { actor: raw.actor }),
    ...(raw.cwd === undefined ? {} : { cwd: raw.cwd }),
  };
}

/** Drop undefined values so results compare and serialise cleanly. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function leaf(parent: Command, name: string, description: string, examples: string[]): Command {
  return parent
    .command(name)
    .description(description)
    .addHelpText("after", examplesHelp(examples) + exitCodeHelp());
}

/** The program: every command, option and help text. Built fresh per parse (commander keeps state). */
export function buildProgram(sink: Sink): Command {
  const program = new Command("flightdeck")
    .description(
      "Fearless deploys for web platforms on AWS: deploy, promote, roll back and preview commits.\n" +
        "With no command: the dashboard on a terminal, `status` otherwise.",
    )
    .option("--json", "machine output: JSON lines of events for operations, one JSON document for queries")
    .option("--non-interactive", "never prompt or draw the dashboard (also when CI is set or not a terminal)")
    .option("-y, --yes", "confirm without asking (needed for confirmations without a terminal)")
    .option("--actor <id>", "who runs this (default: FLIGHTDECK_ACTOR, the CI's variables, git user.email)")
    .option("--cwd <dir>", "the flightdeck project directory (default: the current directory)")
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true })
    .addHelpText(
      "after",
      examplesHelp([
        "flightdeck",
        "flightdeck status --json",
        "flightdeck plan staging --offline",
        "flightdeck deploy staging --commit main",
        "flightdeck promote staging production",
        "flightdeck preview up --commit HEAD --ttl 48h",
        "flightdeck preview down 1a2b3c4 --yes",
        "CI=true flightdeck reap --yes --json",
      ]) + exitCodeHelp(),
    );

  // Hidden: what `flightdeck` with no command runs (the dashboard, or status without a terminal).
  program
    .command("dashboard", { hidden: true })
    .description("the dashboard on a terminal, `status` otherwise")
    .action((_opts, cmd: Command) => sink({ command: "default", globals: globalsOf(cmd) }));

  leaf(program, "status", "the deployment matrix: what runs where, since when, by whom, at what cost", [
    "flightdeck status",
    "flightdeck status --json",
  ]).action((_opts, cmd: Command) => sink({ command: "status", globals: globalsOf(cmd) }));

  leaf(program, "plan", "every resource a stack would have, its estimated cost and the policy results", [
    "flightdeck plan staging --offline",
    "flightdeck plan production --offline --json",
    "flightdeck plan preview --commit 1a2b3c4 --offline",
    "flightdeck plan staging",
  ])
    .argument("<stack>", "production, staging, testing, previews, or preview (with --commit)", stackArg)
    .option("--offline", "evaluate the program with Pulumi's mock runtime: no cloud account, no Pulumi CLI")
    .option("--commit <ref>", "the commit to plan (a preview plan needs one)", refArg)
    .action((stack: string, opts: { offline?: boolean; commit?: string }, cmd: Command) =>
      sink(
        defined({
          command: "plan",
          stack,
          offline: opts.offline === true,
          commit: opts.commit,
          globals: globalsOf(cmd),
        }),
      ),
    );

  leaf(program, "deploy", "deploy a commit to an environment (its universal image, rolling refresh)", [
    "flightdeck deploy staging",
    "flightdeck deploy staging --commit 1a2b3c4",
    "CI=true flightdeck deploy production --commit main --yes",
  ])
    .argument("<env>", "the environment stack", stackArg)
    .option("--commit <ref>", "SHA, short SHA, branch or tag (default: HEAD)", refArg)
    .action((env: string, opts: { commit?: string }, cmd: Command) =>
      sink(defined({ command: "deploy", env, commit: opts.commit, globals: globalsOf(cmd) })),
    );

  leaf(program, "promote", "deploy exactly the image and commit one environment runs to another", [
    "flightdeck promote staging production",
    "flightdeck promote staging production --yes --non-interactive",
  ])
    .argument("<from>", "the environment to take the image from", stackArg)
    .argument("<to>", "the environment to deploy it to", stackArg)
    .action((from: string, to: string, _opts, cmd: Command) =>
      sink({ command: "promote", from, to, globals: globalsOf(cmd) }),
    );

  leaf(program, "rollback", "redeploy a commit that was deployed successfully to this environment before", [
    "flightdeck rollback staging 1a2b3c4",
    "flightdeck rollback production 1a2b3c4 --yes",
  ])
    .argument("<env>", "the environment stack", stackArg)
    .argument("<ref>", "the commit to go back to (from `flightdeck history <env>`)", refArg)
    .action((env: string, ref: string, _opts, cmd: Command) =>
      sink({ command: "rollback", env, ref, globals: globalsOf(cmd) }),
    );

  leaf(program, "history", "an environment's updates: commit, image, result, who, when, how long", [
    "flightdeck history production",
    "flightdeck history staging --limit 5 --json",
  ])
    .argument("<env>", "the environment stack", stackArg)
    .option("--limit <n>", "at most this many entries", positiveIntArg(1000))
    .action((env: string, opts: { limit?: number }, cmd: Command) =>
      sink(defined({ command: "history", env, limit: opts.limit, globals: globalsOf(cmd) })),
    );

  const preview = program
    .command("preview")
    .description("throw-away environments, one per commit, served at https://<sha7>.<preview domain>")
    .addHelpText(
      "after",
      examplesHelp([
        "flightdeck preview up --commit HEAD",
        "flightdeck preview list",
        "flightdeck preview down 1a2b3c4 --yes",
      ]) + exitCodeHelp(),
    );

  leaf(preview, "up", "create or update the preview of a commit", [
    "flightdeck preview up",
    "flightdeck preview up --commit feature/login --ttl 48h",
  ])
    .option("--commit <ref>", "SHA, short SHA, branch or tag (default: HEAD)", refArg)
    .option(
      "--ttl <duration>",
      "time to live, like 30m, 24h or 7d (default: the previews config's)",
      durationArg,
    )
    .action((opts: { commit?: string; ttl?: string }, cmd: Command) =>
      sink(defined({ command: "preview up", commit: opts.commit, ttl: opts.ttl, globals: globalsOf(cmd) })),
    );

  leaf(preview, "down", "destroy a commit's preview and remove its stack", [
    "flightdeck preview down 1a2b3c4",
    "flightdeck preview down preview-1a2b3c4 --yes",
  ])
    .argument("<ref>", "a commit (SHA, branch, tag) or the preview stack name", refArg)
    .action((ref: string, _opts, cmd: Command) =>
      sink({ command: "preview down", ref, globals: globalsOf(cmd) }),
    );

  leaf(preview, "list", "every preview: commit, branch, author, URL, expiry", [
    "flightdeck preview list",
    "flightdeck preview list --json",
  ]).action((_opts, cmd: Command) => sink({ command: "preview list", globals: globalsOf(cmd) }));

  leaf(program, "reap", "destroy and remove every preview past its TTL (nightly in CI)", [
    "flightdeck reap --dry-run",
    "flightdeck reap --yes",
    "flightdeck reap --older-than 72h --concurrency 8 --yes",
  ])
    .option("--older-than <duration>", "also previews created longer ago than this, like 72h", durationArg)
    .option("--dry-run", "list what would be destroyed and touch nothing")
    .addOption(
      new Option("--concurrency <n>", "destroys running at once (default 4)").argParser(positiveIntArg(64)),
    )
    .action((opts: { olderThan?: string; dryRun?: boolean; concurrency?: number }, cmd: Command) =>
      sink(
        defined({
          command: "reap",
          olderThan: opts.olderThan,
          dryRun: opts.dryRun === true,
          concurrency: opts.concurrency,
          globals: globalsOf(cmd),
        }),
      ),
    );

  return program;
}

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

const PREVIEW_COMMANDS = new Set(["up", "down", "list"]);

const KNOWN_COMMANDS = new Set([
  "status",
  "plan",
  "deploy",
  "promote",
  "rollback",
  "history",
  "preview",
  "reap",
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
    tryMessage: group === "preview" ? "Use one of: preview up, preview down <ref>, preview list." : undefined,
    nextSteps: [`Run \`flightdeck ${group} --help\` for usage.`],
    exitCode: ExitCode.usage,
  });
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap((c) => allCommands(c))];
}

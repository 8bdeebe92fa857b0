/**
 * The program: every command, option and help text (commander), and the
 * checks of each argument's form. It runs nothing: each command's action hands
 * its parsed form to the sink (`parse.ts` collects it).
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { ExitCode } from "../infra/errors.js";
import type { GlobalOptions, ParsedCommand } from "./parsed-command.js";
import { addCheckCommands } from "./program-checks.js";

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
  [ExitCode.interrupted, "interrupted (Ctrl-C / SIGTERM), also at a confirmation prompt or the dashboard"],
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

/** The longest stack name Pulumi accepts. */
const MAX_STACK_NAME = 100;

/** A name of a stack or environment: what Pulumi allows, and no option-looking text. */
function stackArg(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(value) || value.length > MAX_STACK_NAME) {
    throw new InvalidArgumentError(
      `must be a stack name of at most ${MAX_STACK_NAME} characters (letters, digits, '-', '_', '.').`,
    );
  }
  return value;
}

/** Control characters (git refuses them in a ref name; no name or path flightdeck takes needs them). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The longest ref accepted (git's own limit for a ref name is the file system's, about 255). */
const MAX_REF = 255;

function refArg(value: string): string {
  if (
    value.length === 0 ||
    value.length > MAX_REF ||
    value.startsWith("-") ||
    /\s/.test(value) ||
    CONTROL.test(value)
  ) {
    throw new InvalidArgumentError(
      `must be a commit SHA, short SHA, branch or tag (at most ${MAX_REF} characters, no spaces or control characters).`,
    );
  }
  return value;
}

/** `--cwd`: a directory; empty would silently mean the current one. */
function dirArg(value: string): string {
  if (value.trim().length === 0 || CONTROL.test(value)) {
    throw new InvalidArgumentError(
      "must be the path of the project directory (not empty; for the current directory, leave --cwd out or give '.').",
    );
  }
  return value;
}

/** `--actor`: an identity (an e-mail, a CI user name), never empty. */
function actorArg(value: string): string {
  if (value.trim().length === 0 || value.length > 320 || CONTROL.test(value)) {
    throw new InvalidArgumentError(
      "must be who runs this, like an e-mail address (not empty, at most 320 characters, no control characters).",
    );
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
    .option(
      "--actor <id>",
      "who runs this (default: FLIGHTDECK_ACTOR, the CI's variables, git user.email)",
      actorArg,
    )
    .option("--cwd <dir>", "the flightdeck project directory (default: the current directory)", dirArg)
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

  leaf(program, "where", "every environment and preview whose running commit contains a change", [
    "flightdeck where 1a2b3c4",
    "flightdeck where feature/ABC-123-login",
    "flightdeck where ABC-123 --json",
  ])
    .argument(
      "<change>",
      "a commit, a branch or tag (also a merged, deleted branch), or an issue key",
      refArg,
    )
    .action((query: string, _opts, cmd: Command) =>
      sink({ command: "where", query, globals: globalsOf(cmd) }),
    );

  const preview = program
    .command("preview")
    .description(
      "throw-away environments, one per commit (https://<sha7>.<preview domain>) or per branch (https://<slug>.<preview domain>)",
    )
    .addHelpText(
      "after",
      examplesHelp([
        "flightdeck preview up --commit HEAD",
        "flightdeck preview up --branch feature/login",
        "flightdeck preview list",
        "flightdeck preview wake feature/login",
        "flightdeck preview down 1a2b3c4 --yes",
      ]) + exitCodeHelp(),
    );

  leaf(
    preview,
    "up",
    "create or update the preview of a commit, or of a branch (following its newest commit)",
    [
      "flightdeck preview up",
      "flightdeck preview up --commit feature/login --ttl 48h",
      "flightdeck preview up --branch feature/login",
    ],
  )
    .option("--commit <ref>", "SHA, short SHA, branch or tag (default: HEAD)", refArg)
    .option(
      "--branch <name>",
      "a branch preview (stack preview-b-<slug>): the branch's newest commit at a URL that stays; removed by reap once the branch is merged or deleted",
      refArg,
    )
    .option(
      "--ttl <duration>",
      "time to live, like 30m, 24h or 7d (default: the previews config's)",
      durationArg,
    )
    .action((opts: { commit?: string; branch?: string; ttl?: string }, cmd: Command) => {
      if (opts.commit !== undefined && opts.branch !== undefined) {
        cmd.error("error: give --commit or --branch, not both", { exitCode: ExitCode.usage });
      }
      sink(
        defined({
          command: "preview up",
          commit: opts.commit,
          branch: opts.branch,
          ttl: opts.ttl,
          globals: globalsOf(cmd),
        }),
      );
    });

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

  for (const [name, description] of [
    ["sleep", "put a preview to sleep now (capacity 0, the sleeping page) until it is woken"],
    ["wake", "wake a preview now, until the next scheduled sleep"],
  ] as const) {
    leaf(preview, name, description, [
      `flightdeck preview ${name} feature/login`,
      `flightdeck preview ${name} 1a2b3c4`,
    ])
      .argument("<ref>", "the preview: its stack name, a branch with a branch preview, or a commit", refArg)
      .action((ref: string, _opts, cmd: Command) =>
        sink({ command: `preview ${name}`, ref, globals: globalsOf(cmd) }),
      );
  }

  leaf(
    preview,
    "comment",
    "post the preview's URL on its open Bitbucket pull request(s), updating the one comment it keeps there",
    ["BITBUCKET_PR_TOKEN=... flightdeck preview comment feature/login"],
  )
    .argument("<ref>", "the preview: its stack name, a branch with a branch preview, or a commit", refArg)
    .action((ref: string, _opts, cmd: Command) =>
      sink({ command: "preview comment", ref, globals: globalsOf(cmd) }),
    );

  leaf(
    program,
    "reap",
    "destroy every preview past its TTL, and branch previews whose branch is merged or deleted (nightly in CI)",
    [
      "flightdeck reap --dry-run",
      "flightdeck reap --yes",
      "flightdeck reap --older-than 72h --concurrency 8 --yes",
    ],
  )
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

  addCheckCommands(program, sink, { leaf, globalsOf, stackArg });
  return program;
}

/**
 * The commands that check environments rather than change them: `drift` and
 * `sweep` (part of the program of `program.ts`, which hands over its helpers).
 */
import type { Command } from "commander";
import { ExitCode } from "../infra/errors.js";
import type { GlobalOptions, ParsedCommand } from "./parsed-command.js";

export interface ProgramHelpers {
  leaf(parent: Command, name: string, description: string, examples: string[]): Command;
  globalsOf(command: Command): GlobalOptions;
  stackArg(value: string): string;
}

export function addCheckCommands(
  program: Command,
  sink: (parsed: ParsedCommand) => void,
  h: ProgramHelpers,
): void {
  h.leaf(
    program,
    "drift",
    "a refresh preview of each environment: resources changed outside flightdeck (exit 1 on drift; nightly in CI)",
    ["flightdeck drift", "flightdeck drift production staging --json"],
  )
    .argument(
      "[env...]",
      "environment stacks (default: every environment stack that exists)",
      (value, all) => [...((all as string[] | undefined) ?? []), h.stackArg(value)],
    )
    .action((envs: string[] | undefined, _opts, cmd: Command) =>
      sink({ command: "drift", envs: envs ?? [], globals: h.globalsOf(cmd) }),
    );

  h.leaf(
    program,
    "sweep",
    "AWS resources tagged flightdeck:stack=<stack> whose stack is gone or whose state does not hold them",
    ["flightdeck sweep", "flightdeck sweep --json", "flightdeck sweep --delete --yes"],
  )
    .option("--dry-run", "list the leftovers and touch nothing (the default)")
    .option("--delete", "delete them, in dependency order, reporting every failure")
    .action((opts: { dryRun?: boolean; delete?: boolean }, cmd: Command) => {
      if (opts.dryRun === true && opts.delete === true) {
        cmd.error("error: give --dry-run or --delete, not both", { exitCode: ExitCode.usage });
      }
      sink({ command: "sweep", delete: opts.delete === true, globals: h.globalsOf(cmd) });
    });
}

/**
 * What the command line asks for, as `parseCommandLine` returns it: one
 * command with its arguments and the global options. Shared by the parser,
 * `main.ts` and every module of `commands/`.
 */

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
  /** Every stack whose running commit contains a commit, branch or issue key's commits. */
  | { command: "where"; query: string; globals: GlobalOptions }
  | { command: "preview up"; commit?: string; branch?: string; ttl?: string; globals: GlobalOptions }
  | { command: "preview down"; ref: string; globals: GlobalOptions }
  | { command: "preview list"; globals: GlobalOptions }
  | { command: "preview sleep"; ref: string; globals: GlobalOptions }
  | { command: "preview wake"; ref: string; globals: GlobalOptions }
  | { command: "preview comment"; ref: string; globals: GlobalOptions }
  /** A refresh preview of environments (none: every environment stack that exists). */
  | { command: "drift"; envs: string[]; globals: GlobalOptions }
  | { command: "sweep"; delete: boolean; globals: GlobalOptions }
  | {
      command: "reap";
      olderThan?: string;
      dryRun: boolean;
      concurrency?: number;
      globals: GlobalOptions;
    };

export type CommandName = ParsedCommand["command"];

/** The parsed form of one command, e.g. `CommandOf<"deploy">`. */
export type CommandOf<N extends CommandName> = Extract<ParsedCommand, { command: N }>;

/**
 * Everything the CLI touches comes in through `CliDeps` (streams, environment,
 * terminal detection, clock, signals, the engine and operations), so tests run
 * whole commands in-process against the in-memory engine. `main.ts` fills in
 * the real ones (`wiring.ts`); every command reads them from its run context.
 */
import type { ImageResolver, OperationDeps, Operations } from "../automation/api.js";
import type { Cloud } from "../automation/cloud.js";
import type { Engine } from "../automation/engine.js";
import type { SignalSource } from "./interrupt.js";
import type { CommitChoice } from "./ui/choices.js";
import type { EngineOptions, OfflinePlanner } from "./wiring.js";

export interface CliDeps {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  env: Record<string, string | undefined>;
  /** stdout is a terminal (default: `stdout.isTTY`). */
  isTTY: boolean;
  /** stdin is a terminal (default: `stdin.isTTY`): keys and answers can be read. */
  stdinIsTTY: boolean;
  cwd: string;
  clock: () => Date;
  signals: SignalSource;
  /** Ends the process at once (a second Ctrl-C). */
  exit: (code: number) => void;
  /** The engine for a project; the default is the Automation API's, which needs `pulumi` on PATH. */
  createEngine: (
    projectDir: string,
    env: Record<string, string | undefined>,
    options?: EngineOptions,
  ) => Promise<Engine>;
  createOperations: (deps: OperationDeps) => Promise<Operations>;
  /** AWS beside the engine, for the release phase and rollout checks (default: the AWS SDK's). */
  cloud: (engine: Engine) => Promise<Cloud>;
  /** The image resolver (default: the automation layer's, which asks AWS). */
  images: () => Promise<ImageResolver>;
  planOffline: OfflinePlanner;
  /**
   * A ref as a full SHA, resolved as the automation layer resolves it (every
   * command's ref goes through this before any engine); a directory that is not
   * a git repository is said to be one.
   */
  resolveCommit: (projectDir: string, ref: string) => Promise<string>;
  /** Recent commits for the dashboard's pickers. */
  recentCommits: (projectDir: string, limit: number) => Promise<CommitChoice[]>;
  /** How often the dashboard refreshes. */
  refreshMs: number;
}

/**
 * What every command shares: its run context (deps, project, output mode,
 * colours), printing through the redactor, the operations of the run, the
 * input checks that need no engine, confirmation, and running an operation
 * with its events rendered as the output mode chose (Ink, plain lines, JSON
 * lines). Queries print one document: a table, or JSON with `--json`.
 *
 * Confirmations: production deploy / promote / rollback, destroying a preview
 * and reaping (without --dry-run) ask first. At a terminal a production action
 * needs the stack name typed, the others a `y`; without a terminal (CI,
 * `--non-interactive`, `--json`) nothing ever prompts: those actions need
 * `--yes`, otherwise they stop with exit code 2 saying so.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { OperationDeps, Operations } from "../automation/api.js";
import type { FlightdeckEvent, ResultEvent } from "../automation/events.js";
import type { StackConfig } from "../infra/config.js";
import { ExitCode, UserError } from "../infra/errors.js";
import { createRedactor } from "../infra/redact.js";
import type { CostPerDay } from "./cost.js";
import type { CliDeps } from "./deps.js";
import { createInterrupter, type Interrupter } from "./interrupt.js";
import { type Colors, jsonEventLine, type OutputMode, plainEventLine } from "./output.js";
import type { GlobalOptions, ParsedCommand } from "./parsed-command.js";
import { escapeControls, escapeControlsDeep, shortenEchoes, terminalText } from "./terminal-text.js";

export interface RunContext {
  deps: CliDeps;
  projectDir: string;
  mode: OutputMode;
  colors: Colors;
  /** The running operation's log file, from its start event (for the bug report). */
  logFile?: string;
  /** The operation emitted its result event (in JSON mode, no second error document is printed). */
  resultEmitted: boolean;
  result?: ResultEvent;
  costPerDay?: CostPerDay;
  redact?: (text: string) => string;
  /** The engine and image resolver of this run, made once: every operation of the run shares them. */
  backends?: Promise<Pick<OperationDeps, "engine" | "images" | "cloud">>;
  /** Each committed stack config this run validated, read once (the input check and the confirmation both need it). */
  configs?: Map<string, Promise<StackConfig>>;
  /** Arguments too long to echo in full: messages on stderr show them cut short. */
  longArgs: readonly string[];
  /** Warnings and notices this run printed (each is printed once). */
  warned: Set<string>;
  /**
   * Something that handles Ctrl-C / SIGTERM itself is running (an operation's
   * interrupter, the dashboard); otherwise the run's own handler says what was
   * interrupted and ends the run with 130.
   */
  signalsOwned: number;
}

export function createRunContext(
  deps: CliDeps,
  projectDir: string,
  mode: OutputMode,
  colors: Colors,
  longArgs: readonly string[] = [],
): RunContext {
  return {
    deps,
    projectDir,
    mode,
    colors,
    resultEmitted: false,
    longArgs,
    warned: new Set(),
    signalsOwned: 0,
  };
}

/**
 * Everything a command prints passes here: no secret of the environment is ever
 * shown, and no control character of a value reaches the terminal (terminal-text.ts).
 */
function safe(ctx: RunContext, text: string): string {
  ctx.redact ??= createRedactor(ctx.deps.env);
  const line = terminalText(ctx.redact(text));
  return line.endsWith("\n") ? line : `${line}\n`;
}

export function out(ctx: RunContext, text: string): void {
  ctx.deps.stdout.write(safe(ctx, text));
}

/** Messages for people (stderr): an echo of a too-long argument is cut short. */
export function err(ctx: RunContext, text: string): void {
  ctx.deps.stderr.write(safe(ctx, shortenEchoes(text, ctx.longArgs)));
}

/**
 * A warning (or a notice of the engine's set-up), printed once per run on stderr:
 * `Warning: …` lines, or with `--json` a `{"type":"warning",…}` JSON line, so
 * stdout keeps its one document or its event lines.
 */
export function warn(ctx: RunContext, message: string, kind: "warning" | "notice" = "warning"): void {
  if (ctx.warned.has(message)) return;
  ctx.warned.add(message);
  if (ctx.mode === "json") {
    err(ctx, JSON.stringify({ type: kind, timestamp: ctx.deps.clock().toISOString(), message }));
    return;
  }
  const label = kind === "warning" ? "Warning:" : "Notice:";
  err(ctx, `${ctx.colors.yellow(label)} ${message}`);
}

export function json(ctx: RunContext, value: unknown): void {
  out(ctx, JSON.stringify(value, null, 2));
}

/** A query's one document: `document` as JSON with `--json`, else the text. */
export function printDocument(ctx: RunContext, document: unknown, text: () => string): void {
  if (ctx.mode === "json") json(ctx, document);
  else out(ctx, text());
}

/** Fail early, before any engine, when the directory is not a flightdeck project. */
export function requireProject(projectDir: string): void {
  if (!existsSync(projectDir) || !statSync(projectDir).isDirectory()) {
    throw new UserError(`the project directory ${projectDir} does not exist or is not a directory`, {
      tryMessage: "Run flightdeck in the project's checkout, or point to it with --cwd <dir>.",
      exitCode: ExitCode.usage,
    });
  }
  if (!existsSync(join(projectDir, "Pulumi.yaml"))) {
    throw new UserError(`not a flightdeck project: Pulumi.yaml: no such file in ${projectDir}`, {
      tryMessage: "Run flightdeck in the project's checkout, or point to it with --cwd <dir>.",
      exitCode: ExitCode.usage,
    });
  }
}

/** Track what the top-level handler needs from the stream. */
function observe(ctx: RunContext, event: FlightdeckEvent): void {
  if (event.type === "start" && event.logFile) ctx.logFile = event.logFile;
  if (event.type === "result") {
    ctx.resultEmitted = true;
    ctx.result = event;
  }
}

export async function operations(
  ctx: RunContext,
  extra: Pick<OperationDeps, "onEvent" | "signal" | "costPerDay"> = {},
): Promise<Operations> {
  requireProject(ctx.projectDir);
  // The dashboard runs many operations; the real engine keeps what it learned (the
  // Automation API, the `pulumi` version check, the project file) for all of them.
  ctx.backends ??= (async () => {
    // The stack secrets' passphrase matters once an engine encrypts or decrypts them.
    const { weakPassphraseWarning } = await import("../infra/redact.js");
    const weak = weakPassphraseWarning(ctx.deps.env);
    if (weak) warn(ctx, weak);
    const engine = await ctx.deps.createEngine(ctx.projectDir, ctx.deps.env, {
      onNotice: (message) => warn(ctx, message, "notice"),
    });
    return { engine, images: await ctx.deps.images(), cloud: await ctx.deps.cloud(engine) };
  })();
  const { engine, images, cloud } = await ctx.backends;
  return ctx.deps.createOperations({
    engine,
    projectDir: ctx.projectDir,
    images,
    cloud,
    now: ctx.deps.clock,
    env: ctx.deps.env,
    ...extra,
  });
}

/** Diagnostics of a query (warnings, failed items) go to stderr; its data is the document on stdout. */
export function queryListener(ctx: RunContext) {
  return (event: FlightdeckEvent) => {
    observe(ctx, event);
    if (ctx.mode === "json") return;
    if (
      (event.type === "diagnostic" && event.severity !== "debug" && event.severity !== "info") ||
      (event.type === "item" && event.status === "failed")
    ) {
      const line = plainEventLine(event, ctx.colors);
      if (line) err(ctx, line);
    }
  };
}

/** One cost estimator per run, so its cache serves every refresh. */
export async function costPerDay(ctx: RunContext): Promise<CostPerDay> {
  if (!ctx.costPerDay) {
    const { createCostPerDay } = await import("./cost.js");
    ctx.costPerDay = createCostPerDay(ctx.deps.planOffline, ctx.projectDir, ctx.deps.clock);
  }
  return ctx.costPerDay;
}

/**
 * `Pulumi.<stack>.yaml`, read and validated once per run; its warnings (secrets
 * kept in plain text) are printed then.
 */
export function committedConfig(ctx: RunContext, stack: string): Promise<StackConfig> {
  ctx.configs ??= new Map();
  let config = ctx.configs.get(stack);
  if (!config) {
    config = import("../infra/config.js").then(async ({ loadStackConfigWithWarnings }) => {
      const loaded = await loadStackConfigWithWarnings(ctx.projectDir, stack);
      for (const warning of loaded.warnings) warn(ctx, warning);
      return loaded.config;
    });
    ctx.configs.set(stack, config);
  }
  return config;
}

/** A name that must be an environment of the project (a committed `Pulumi.<env>.yaml`). */
export async function requireEnvironment(ctx: RunContext, stack: string): Promise<void> {
  const { requireEnvironmentFile } = await import("../automation/environments.js");
  await requireEnvironmentFile(ctx.projectDir, stack);
}

/**
 * An environment of this flightdeck project, its config checked before any engine: a typo or a broken
 * file is the person's to fix first.
 */
export async function checkEnvironment(ctx: RunContext, stack: string): Promise<void> {
  requireProject(ctx.projectDir);
  await requireEnvironment(ctx, stack);
  await committedConfig(ctx, stack);
}

/**
 * A ref the person gave (or HEAD, the default), checked before any engine and
 * resolved as every command resolves one (`deps.resolveCommit`, the automation
 * layer's): the full SHA.
 */
export function checkRef(ctx: RunContext, ref: string): Promise<string> {
  return ctx.deps.resolveCommit(ctx.projectDir, ref);
}

export interface ConfirmationNeed {
  /** What will happen. */
  title: string;
  /** The stack name to type, for production actions. */
  typeToConfirm?: string;
  details?: string[];
}

type CommandWithGlobals = Exclude<ParsedCommand, { command: "help" }>;

/** Whether a stack is production: by name, or by its config's `environment`. */
async function isProductionStack(ctx: RunContext, stack: string): Promise<boolean> {
  if (stack === "production") return true;
  if (!existsSync(join(ctx.projectDir, `Pulumi.${stack}.yaml`))) return false;
  // A broken config is reported now, every problem at once, before anything is touched.
  const config = await committedConfig(ctx, stack);
  return config.environment === "production";
}

/** Ask, or require --yes where nobody can be asked. Throws when not confirmed. */
export async function confirm(ctx: RunContext, cmd: CommandWithGlobals, need: ConfirmationNeed) {
  if (cmd.globals.yes) return;
  if (ctx.mode !== "ink") {
    const flags = cmd.command === "default" ? "" : cmd.command;
    throw new UserError(
      `'flightdeck ${flags}' needs confirmation, and flightdeck never prompts without a terminal`,
      {
        tryMessage: `Add --yes to confirm: ${need.title.replace(/\?$/, "")}.`,
        nextSteps: [
          "Prompts appear only at a terminal, without CI set and without --json or --non-interactive.",
        ],
        exitCode: ExitCode.usage,
      },
    );
  }
  const { askConfirmation } = await import("./ui/render.js");
  const answer = await askConfirmation(ctx.deps, {
    title: escapeControls(need.title),
    ...(need.details === undefined ? {} : { details: escapeControlsDeep(need.details) }),
    ...(need.typeToConfirm === undefined ? {} : { typeToConfirm: need.typeToConfirm }),
    color: ctx.colors.isColorSupported,
  });
  if (answer === "interrupted") {
    // Ctrl-C is an interrupt wherever it is pressed: 130, as the exit code table says.
    throw new UserError("interrupted at the confirmation: nothing was changed", {
      exitCode: ExitCode.interrupted,
    });
  }
  if (answer !== "approved") {
    throw new UserError("cancelled: nothing was changed", { exitCode: ExitCode.usage });
  }
}

/** A production stack's action needs its name typed (or --yes); any other stack's runs at once. */
export async function confirmIfProduction(
  ctx: RunContext,
  cmd: CommandWithGlobals,
  stack: string,
  title: string,
): Promise<void> {
  if (!(await isProductionStack(ctx, stack))) return;
  // The prompt lists what it releases (read only when someone is asked: a terminal, no --yes).
  const { releaseDetailsFor } = await import("./ui/Confirm.js");
  const details =
    ctx.mode === "ink" && !cmd.globals.yes ? await releaseDetailsFor(cmd, () => operations(ctx)) : [];
  await confirm(ctx, cmd, { title, typeToConfirm: stack, ...(details.length > 0 ? { details } : {}) });
}

/** The `actor` input of an operation: the --actor flag, when given. */
export function actorInput(globals: GlobalOptions): { actor?: string } {
  return globals.actor === undefined ? {} : { actor: globals.actor };
}

/**
 * Run one operation with its events rendered as the output mode says; Ctrl-C
 * and SIGTERM cancel it. `stack` names the stack for the interrupt messages
 * until the start event says.
 */
export async function runOperation(
  ctx: RunContext,
  stack: string | undefined,
  invoke: (ops: Operations) => Promise<unknown>,
): Promise<number> {
  const interrupter = createInterrupter({
    signals: ctx.deps.signals,
    say: (text) => err(ctx, text),
    exit: ctx.deps.exit,
  });
  interrupter.setStack(stack);
  ctx.signalsOwned++;
  try {
    if (ctx.mode === "ink") return await runOperationInk(ctx, invoke, interrupter);
    const write =
      ctx.mode === "json"
        ? (event: FlightdeckEvent) => out(ctx, jsonEventLine(event))
        : (event: FlightdeckEvent) => {
            const line = plainEventLine(event, ctx.colors);
            if (line) out(ctx, line);
          };
    const ops = await operations(ctx, {
      onEvent: (event) => {
        observe(ctx, event);
        if (event.type === "start") interrupter.setStack(event.stack);
        write(event);
      },
      signal: interrupter.signal,
    });
    await invoke(ops);
    return exitCodeOfResult(ctx);
  } finally {
    ctx.signalsOwned--;
    interrupter.dispose();
  }
}

function exitCodeOfResult(ctx: RunContext): number {
  if (ctx.result && !ctx.result.ok) return ctx.result.exitCode || ExitCode.failed;
  return ExitCode.ok;
}

async function runOperationInk(
  ctx: RunContext,
  invoke: (ops: Operations) => Promise<unknown>,
  interrupter: Interrupter,
): Promise<number> {
  const [{ renderOperation }, { createOperationStore }] = await Promise.all([
    import("./ui/render.js"),
    import("./ui/store.js"),
  ]);
  const store = createOperationStore();
  // The engine is built before the screen, so a missing Pulumi CLI is a plain error message.
  const ops = await operations(ctx, {
    onEvent: (event) => {
      observe(ctx, event);
      if (event.type === "start") interrupter.setStack(event.stack);
      // Ink prints what it is given: values' control characters are made visible first.
      store.dispatch(escapeControlsDeep(event));
    },
    signal: interrupter.signal,
  });
  const screen = renderOperation(ctx.deps, {
    store,
    color: ctx.colors.isColorSupported,
    clock: ctx.deps.clock,
    onInterrupt: interrupter.interrupt,
  });
  try {
    await invoke(ops);
    store.end();
  } catch (error) {
    store.end(escapeControls(error instanceof Error ? error.message : String(error)));
    await screen.done;
    throw error;
  }
  await screen.done;
  return exitCodeOfResult(ctx);
}

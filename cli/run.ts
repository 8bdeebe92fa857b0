/**
 * Running one parsed command: queries print one document (a table, or JSON
 * with `--json`); operations stream their events through the renderer the
 * output mode chose (Ink, plain lines, JSON lines) and end with the result.
 *
 * Confirmations: production deploy / promote / rollback, destroying a preview
 * and reaping (without --dry-run) ask first. At a terminal a production action
 * needs the stack name typed, the others a `y`; without a terminal (CI,
 * `--non-interactive`, `--json`) nothing ever prompts: those actions need
 * `--yes`, otherwise they stop with exit code 2 saying so.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { OperationDeps, Operations } from "../automation/api.js";
import type { FlightdeckEvent, ResultEvent } from "../automation/events.js";
import { ExitCode, UserError } from "../infra/errors.js";
import { createRedactor } from "../infra/redact.js";
import type { StackConfig } from "../infra/config.js";
import type { CostPerDay } from "./cost.js";
import { renderError } from "./errors.js";
import { formatDuration, formatHistory, formatPreviews, formatStatus } from "./format.js";
import { createInterrupter, pendingMessage } from "./interrupt.js";
import type { CliDeps } from "./main.js";
import { type Colors, jsonEventLine, type OutputMode, plainEventLine } from "./output.js";
import type { GlobalOptions, ParsedCommand } from "./parse.js";
import type { DashboardAction } from "./ui/Dashboard.js";
import type { OfflinePlan } from "./wiring.js";

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
  backends?: Promise<Pick<OperationDeps, "engine" | "images">>;
  /** Each committed stack config this run validated, read once (the input check and the confirmation both need it). */
  configs?: Map<string, Promise<StackConfig>>;
}

export function createRunContext(
  deps: CliDeps,
  projectDir: string,
  mode: OutputMode,
  colors: Colors,
): RunContext {
  return { deps, projectDir, mode, colors, resultEmitted: false };
}

/** Everything this module prints passes here: no secret of the environment is ever shown. */
function safe(ctx: RunContext, text: string): string {
  ctx.redact ??= createRedactor(ctx.deps.env);
  const line = ctx.redact(text);
  return line.endsWith("\n") ? line : `${line}\n`;
}

function out(ctx: RunContext, text: string): void {
  ctx.deps.stdout.write(safe(ctx, text));
}

function err(ctx: RunContext, text: string): void {
  ctx.deps.stderr.write(safe(ctx, text));
}

/** Fail early, before any engine, when the directory is not a flightdeck project. */
function requireProject(projectDir: string): void {
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

async function operations(
  ctx: RunContext,
  extra: Pick<OperationDeps, "onEvent" | "signal" | "costPerDay"> = {},
): Promise<Operations> {
  requireProject(ctx.projectDir);
  // The dashboard runs many operations; the real engine keeps what it learned (the
  // Automation API, the `pulumi` version check, the project file) for all of them.
  ctx.backends ??= (async () => ({
    engine: await ctx.deps.createEngine(ctx.projectDir, ctx.deps.env),
    images: await ctx.deps.images(),
  }))();
  const { engine, images } = await ctx.backends;
  return ctx.deps.createOperations({
    engine,
    projectDir: ctx.projectDir,
    images,
    now: ctx.deps.clock,
    env: ctx.deps.env,
    ...extra,
  });
}

/** Diagnostics of a query (warnings, failed items) go to stderr; its data is the document on stdout. */
function queryListener(ctx: RunContext) {
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

// ---------------------------------------------------------------------------
// Confirmation

export interface ConfirmationNeed {
  /** What will happen. */
  title: string;
  /** The stack name to type, for production actions. */
  typeToConfirm?: string;
  details?: string[];
}

/** Whether a stack is production: by name, or by its config's `environment`. */
async function isProductionStack(ctx: RunContext, stack: string): Promise<boolean> {
  if (stack === "production") return true;
  if (!existsSync(join(ctx.projectDir, `Pulumi.${stack}.yaml`))) return false;
  // A broken config is reported now, every problem at once, before anything is touched.
  const config = await committedConfig(ctx, stack);
  return config.environment === "production";
}

/** `Pulumi.<stack>.yaml`, read and validated once per run. */
function committedConfig(ctx: RunContext, stack: string): Promise<StackConfig> {
  ctx.configs ??= new Map();
  let config = ctx.configs.get(stack);
  if (!config) {
    config = import("../infra/config.js").then(({ loadStackConfig }) =>
      loadStackConfig(ctx.projectDir, stack),
    );
    ctx.configs.set(stack, config);
  }
  return config;
}

/** What this command needs confirmed, if anything. */
export async function confirmationFor(
  ctx: RunContext,
  cmd: ParsedCommand,
): Promise<ConfirmationNeed | undefined> {
  switch (cmd.command) {
    case "deploy":
      return (await isProductionStack(ctx, cmd.env))
        ? { title: `Deploy ${cmd.commit ?? "HEAD"} to PRODUCTION (${cmd.env})?`, typeToConfirm: cmd.env }
        : undefined;
    case "promote":
      return (await isProductionStack(ctx, cmd.to))
        ? { title: `Promote what ${cmd.from} runs to PRODUCTION (${cmd.to})?`, typeToConfirm: cmd.to }
        : undefined;
    case "rollback":
      return (await isProductionStack(ctx, cmd.env))
        ? { title: `Roll PRODUCTION (${cmd.env}) back to ${cmd.ref}?`, typeToConfirm: cmd.env }
        : undefined;
    case "preview down":
      return {
        title: `Destroy the preview ${cmd.ref}?`,
        details: ["Its resources and data are destroyed and its stack removed."],
      };
    case "reap":
      return cmd.dryRun
        ? undefined
        : {
            title: `Destroy every preview past its TTL${cmd.olderThan ? ` or older than ${cmd.olderThan}` : ""}?`,
          };
    default:
      return undefined;
  }
}

function flagsFor(cmd: ParsedCommand): string {
  return cmd.command === "default" || cmd.command === "help" ? "" : cmd.command;
}

/** Ask, or require --yes where nobody can be asked. Throws when not confirmed. */
async function confirm(
  ctx: RunContext,
  cmd: ParsedCommand & { globals: GlobalOptions },
  need: ConfirmationNeed,
) {
  if (cmd.globals.yes) return;
  if (ctx.mode !== "ink") {
    throw new UserError(
      `'flightdeck ${flagsFor(cmd)}' needs confirmation, and flightdeck never prompts without a terminal`,
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
    title: need.title,
    ...(need.details === undefined ? {} : { details: need.details }),
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

// ---------------------------------------------------------------------------
// Operations

type OperationCommand = Extract<
  ParsedCommand,
  { command: "deploy" | "promote" | "rollback" | "preview up" | "preview down" | "reap" }
>;

function invoke(ops: Operations, cmd: OperationCommand): Promise<unknown> {
  const actor = cmd.globals.actor === undefined ? {} : { actor: cmd.globals.actor };
  switch (cmd.command) {
    case "deploy":
      return ops.deploy({
        env: cmd.env,
        ...(cmd.commit === undefined ? {} : { commit: cmd.commit }),
        ...actor,
      });
    case "promote":
      return ops.promote({ from: cmd.from, to: cmd.to, ...actor });
    case "rollback":
      return ops.rollback({ env: cmd.env, commit: cmd.ref, ...actor });
    case "preview up":
      return ops.previewUp({
        ...(cmd.commit === undefined ? {} : { commit: cmd.commit }),
        ...(cmd.ttl === undefined ? {} : { ttl: cmd.ttl }),
        ...actor,
      });
    case "preview down":
      return ops.previewDown({ ref: cmd.ref });
    case "reap":
      return ops.reap({
        dryRun: cmd.dryRun,
        ...(cmd.olderThan === undefined ? {} : { olderThan: cmd.olderThan }),
        ...(cmd.concurrency === undefined ? {} : { concurrency: cmd.concurrency }),
      });
  }
}

function stackOf(cmd: OperationCommand): string | undefined {
  switch (cmd.command) {
    case "deploy":
    case "rollback":
      return cmd.env;
    case "promote":
      return cmd.to;
    case "preview down":
      return cmd.ref;
    default:
      return undefined;
  }
}

/** An interactive reap first lists what it would destroy, so the question names the stacks. */
async function reapCandidates(ctx: RunContext, cmd: Extract<ParsedCommand, { command: "reap" }>) {
  const ops = await operations(ctx);
  const dry = await ops.reap({
    dryRun: true,
    ...(cmd.olderThan === undefined ? {} : { olderThan: cmd.olderThan }),
  });
  return dry.candidates;
}

/** An environment's config, checked before any engine: a typo or a broken file is the person's to fix first. */
async function checkEnvironment(ctx: RunContext, stack: string): Promise<void> {
  const { requireEnvironmentFile } = await import("../automation/environments.js");
  await requireEnvironmentFile(ctx.projectDir, stack);
  await committedConfig(ctx, stack);
}

/**
 * What can be said about the person's own input without an engine (which may
 * be missing): unknown environments, invalid configs. Cheap: no Pulumi, no git.
 */
async function checkInput(ctx: RunContext, cmd: OperationCommand): Promise<void> {
  switch (cmd.command) {
    case "deploy":
      await checkEnvironment(ctx, cmd.env);
      // A mistyped ref is the person's to fix, whatever the engine (one `git rev-parse`).
      if (cmd.commit !== undefined) await ctx.deps.resolveCommit(ctx.projectDir, cmd.commit);
      return;
    case "rollback":
      // No ref check here: a shallow clone may lack an old commit that the stack's history knows.
      return checkEnvironment(ctx, cmd.env);
    case "promote": {
      if (cmd.from === cmd.to) {
        throw new UserError(`cannot promote ${cmd.from} to itself`, {
          tryMessage: "Name two environments: `flightdeck promote <from> <to>`, like staging production.",
        });
      }
      await checkEnvironment(ctx, cmd.to);
      const { requireEnvironmentFile } = await import("../automation/environments.js");
      return requireEnvironmentFile(ctx.projectDir, cmd.from);
    }
    case "preview up":
      await checkEnvironment(ctx, "previews");
      if (cmd.commit !== undefined) await ctx.deps.resolveCommit(ctx.projectDir, cmd.commit);
      return;
    default:
      return;
  }
}

async function runOperation(ctx: RunContext, cmd: OperationCommand): Promise<number> {
  requireProject(ctx.projectDir);
  await checkInput(ctx, cmd);
  const need = await confirmationFor(ctx, cmd);
  if (need && cmd.command === "reap" && ctx.mode === "ink" && !cmd.globals.yes) {
    const candidates = await reapCandidates(ctx, cmd);
    if (candidates.length === 0) {
      out(ctx, "Nothing to reap: no preview is past its TTL.");
      return ExitCode.ok;
    }
    need.details = [`${candidates.length} preview(s): ${candidates.join(", ")}`];
  }
  if (need) await confirm(ctx, cmd, need);

  const interrupter = createInterrupter({
    signals: ctx.deps.signals,
    say: (text) => err(ctx, text),
    exit: ctx.deps.exit,
  });
  interrupter.setStack(stackOf(cmd));
  try {
    if (ctx.mode === "ink") return await runOperationInk(ctx, cmd, interrupter);
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
    await invoke(ops, cmd);
    return exitCodeOfResult(ctx);
  } finally {
    interrupter.dispose();
  }
}

function exitCodeOfResult(ctx: RunContext): number {
  if (ctx.result && !ctx.result.ok) return ctx.result.exitCode || ExitCode.failed;
  return ExitCode.ok;
}

async function runOperationInk(
  ctx: RunContext,
  cmd: OperationCommand,
  interrupter: ReturnType<typeof createInterrupter>,
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
      store.dispatch(event);
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
    await invoke(ops, cmd);
    store.end();
  } catch (error) {
    store.end(error instanceof Error ? error.message : String(error));
    await screen.done;
    throw error;
  }
  await screen.done;
  return exitCodeOfResult(ctx);
}

// ---------------------------------------------------------------------------
// Queries

function json(ctx: RunContext, value: unknown): void {
  out(ctx, JSON.stringify(value, null, 2));
}

/** One cost estimator per run, so its cache serves every refresh. */
async function costPerDay(ctx: RunContext): Promise<CostPerDay> {
  if (!ctx.costPerDay) {
    const { createCostPerDay } = await import("./cost.js");
    ctx.costPerDay = createCostPerDay(ctx.deps.planOffline, ctx.projectDir, ctx.deps.clock);
  }
  return ctx.costPerDay;
}

async function runStatus(ctx: RunContext): Promise<number> {
  const ops = await operations(ctx, { onEvent: queryListener(ctx), costPerDay: await costPerDay(ctx) });
  const stacks = await ops.status();
  if (ctx.mode === "json") json(ctx, { stacks });
  else out(ctx, formatStatus(stacks, ctx.deps.clock()));
  return ExitCode.ok;
}

async function runHistory(
  ctx: RunContext,
  cmd: Extract<ParsedCommand, { command: "history" }>,
): Promise<number> {
  const ops = await operations(ctx, { onEvent: queryListener(ctx) });
  const history = await ops.history({
    env: cmd.env,
    ...(cmd.limit === undefined ? {} : { limit: cmd.limit }),
  });
  if (ctx.mode === "json") json(ctx, { stack: cmd.env, history });
  else out(ctx, formatHistory(cmd.env, history, ctx.deps.clock()));
  return ExitCode.ok;
}

async function runPreviewList(ctx: RunContext): Promise<number> {
  const ops = await operations(ctx, { onEvent: queryListener(ctx) });
  const previews = await ops.previewList();
  if (ctx.mode === "json") json(ctx, { previews });
  else out(ctx, formatPreviews(previews, ctx.deps.clock()));
  return ExitCode.ok;
}

function isOfflinePlan(value: unknown): value is OfflinePlan {
  const v = value as Partial<OfflinePlan> | null;
  return typeof v === "object" && v !== null && Array.isArray(v.resources) && typeof v.cost === "object";
}

export { formatPlan, keyInputs } from "./plan-format.js";

async function runPlan(ctx: RunContext, cmd: Extract<ParsedCommand, { command: "plan" }>): Promise<number> {
  requireProject(ctx.projectDir);
  const started = ctx.deps.clock().getTime();
  // The offline plan wants a full SHA; a branch, tag or short SHA is resolved here (as deploy does).
  const { isFullSha, isPreviewStackName } = await import("../infra/naming.js");
  const commit =
    cmd.commit === undefined || !cmd.offline || isFullSha(cmd.commit)
      ? cmd.commit
      : await ctx.deps.resolveCommit(ctx.projectDir, cmd.commit);
  const input = { stack: cmd.stack, ...(commit === undefined ? {} : { commit }) };
  if (!cmd.offline && !isPreviewStackName(cmd.stack)) await checkEnvironment(ctx, cmd.stack);
  const plan = cmd.offline
    ? await ctx.deps.planOffline({ projectDir: ctx.projectDir, now: ctx.deps.clock(), ...input })
    : await (await operations(ctx, { onEvent: queryListener(ctx) })).plan(input);
  if (ctx.mode === "json") json(ctx, plan);
  else if (isOfflinePlan(plan)) {
    const [{ formatPlan }, { PRICES }] = await Promise.all([
      import("./plan-format.js"),
      import("../infra/cost/prices.js"),
    ]);
    out(ctx, formatPlan(plan, ctx.colors, PRICES.asOf));
    out(ctx, ctx.colors.dim(`planned in ${formatDuration(ctx.deps.clock().getTime() - started)}`));
  } else out(ctx, JSON.stringify(plan, null, 2));
  if (isOfflinePlan(plan)) {
    const { mandatoryViolations } = await import("../infra/plan.js");
    const violations = mandatoryViolations(plan);
    if (violations.length > 0) {
      err(ctx, `${violations.length} mandatory policy violation(s): the plan fails.`);
      return ExitCode.failed;
    }
  }
  return ExitCode.ok;
}

// ---------------------------------------------------------------------------
// Dashboard

async function runDashboard(ctx: RunContext, globals: GlobalOptions): Promise<number> {
  // Fail before drawing anything when there is no engine (no `pulumi` on PATH). The first screen
  // comes at once: costs (offline plans, a few seconds each) join on a later refresh, when estimated.
  const { costWhenKnown } = await import("./cost.js");
  const ops = await operations(ctx, { costPerDay: costWhenKnown(await costPerDay(ctx)) });
  const { renderDashboard } = await import("./ui/render.js");
  const describe = (error: unknown) =>
    renderError(error, {
      colors: ctx.colors,
      env: ctx.deps.env,
      logDir: join(ctx.projectDir, ".flightdeck", "logs"),
    }).text;
  await renderDashboard(ctx.deps, {
    loadStatus: () => ops.status(),
    loadHistory: (env) => ops.history({ env, limit: 20 }),
    recentCommits: () => ctx.deps.recentCommits(ctx.projectDir, 15),
    runAction: async (action, onEvent, signal) => {
      const actionOps = await operations(ctx, { onEvent, signal });
      return invoke(actionOps, dashboardCommand(action, globals));
    },
    describeError: describe,
    onHardExit: (stack) => {
      err(ctx, pendingMessage(stack));
      ctx.deps.exit(ExitCode.interrupted);
    },
    subscribeSignals: (handler) => {
      ctx.deps.signals.on("SIGINT", handler);
      ctx.deps.signals.on("SIGTERM", handler);
      return () => {
        ctx.deps.signals.off("SIGINT", handler);
        ctx.deps.signals.off("SIGTERM", handler);
      };
    },
    clock: ctx.deps.clock,
    color: ctx.colors.isColorSupported,
    refreshMs: ctx.deps.refreshMs,
  });
  return ExitCode.ok;
}

/** A dashboard action as the command it stands for (already confirmed on screen). */
export function dashboardCommand(action: DashboardAction, globals: GlobalOptions): OperationCommand {
  const DASHBOARD_GLOBALS: GlobalOptions = { ...globals, yes: true };
  switch (action.kind) {
    case "deploy":
      return { command: "deploy", env: action.env, commit: action.commit, globals: DASHBOARD_GLOBALS };
    case "promote":
      return { command: "promote", from: action.from, to: action.to, globals: DASHBOARD_GLOBALS };
    case "rollback":
      return { command: "rollback", env: action.env, ref: action.commit, globals: DASHBOARD_GLOBALS };
    case "preview up":
      return { command: "preview up", commit: action.commit, globals: DASHBOARD_GLOBALS };
    case "preview down":
      return { command: "preview down", ref: action.ref, globals: DASHBOARD_GLOBALS };
  }
}

// ---------------------------------------------------------------------------

export async function runCommand(cmd: ParsedCommand, ctx: RunContext): Promise<number> {
  switch (cmd.command) {
    case "help":
      out(ctx, cmd.text);
      return ExitCode.ok;
    case "default":
      return ctx.mode === "ink" ? runDashboard(ctx, cmd.globals) : runStatus(ctx);
    case "status":
      return runStatus(ctx);
    case "history":
      return runHistory(ctx, cmd);
    case "preview list":
      return runPreviewList(ctx);
    case "plan":
      return runPlan(ctx, cmd);
    case "deploy":
    case "promote":
    case "rollback":
    case "preview up":
    case "preview down":
    case "reap":
      return runOperation(ctx, cmd);
  }
}

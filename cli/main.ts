/**
 * flightdeck's entry: `main(argv, deps)` parses, runs one command and returns
 * the exit code; `bin/flightdeck` sets `process.exitCode` from it.
 *
 * Everything the CLI touches comes in through `CliDeps` (`deps.ts`: streams,
 * environment, terminal detection, clock, signals, the engine and operations),
 * so tests run whole commands in-process against the in-memory engine.
 *
 * Start-up speed: this file imports only the parser (commander) and the error
 * types. The commands (`commands.ts`), the automation layer, Pulumi, ink and react are
 * loaded with `import()` on the paths that need them, so `--help` and usage
 * errors never load them.
 */
import { resolve } from "node:path";
import type { CliDeps } from "./deps.js";
import { type RenderedError, renderError } from "./errors.js";
import { colorEnabled, colors, outputMode } from "./output.js";
import { type ParsedCommand, parseCommandLine } from "./parse.js";
import { longArguments, shortenEchoes, terminalText } from "./terminal-text.js";

export type { CliDeps } from "./deps.js";
export { EXIT_CODE_TABLE, type ParsedCommand, parseCommandLine } from "./parse.js";

async function defaultDeps(overrides: Partial<CliDeps>): Promise<CliDeps> {
  const wiring = await import("./wiring.js");
  const stdout = overrides.stdout ?? process.stdout;
  const stdin = overrides.stdin ?? process.stdin;
  return {
    stdout,
    stderr: process.stderr,
    stdin,
    env: process.env,
    isTTY: stdout.isTTY === true,
    stdinIsTTY: stdin.isTTY === true,
    cwd: process.cwd(),
    clock: () => new Date(),
    signals: process,
    exit: (code) => process.exit(code),
    createEngine: wiring.createEngine,
    createOperations: wiring.createOperations,
    images: wiring.imageResolver,
    cloud: () => wiring.awsCloud(process.env),
    planOffline: wiring.planOffline,
    resolveCommit: wiring.resolveCommit,
    recentCommits: wiring.recentCommits,
    refreshMs: 10_000,
    ...overrides,
  };
}

const pipeGuarded = new WeakSet<object>();

/**
 * `flightdeck plan staging --offline | head`: once the reader has gone, writes
 * fail with EPIPE, which Node raises as an unhandled 'error' (a stack trace).
 * The rest of the output has nowhere to go; the command still finishes and
 * ends with its own exit code.
 */
export function ignoreClosedPipe(stream: NodeJS.WritableStream): void {
  if (pipeGuarded.has(stream) || typeof stream.on !== "function") return;
  pipeGuarded.add(stream);
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
}

/**
 * An error as printed: echoes of too-long arguments cut short, control
 * characters of any value made visible (terminal-text.ts).
 */
function printError(
  rendered: RenderedError,
  longArgs: readonly string[],
  streams: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
  json: boolean,
): number {
  const short = (text: string) => shortenEchoes(text, longArgs);
  if (json) {
    const e = rendered.json;
    const doc = {
      ...e,
      message: short(e.message),
      ...(e.tryMessage === undefined ? {} : { tryMessage: short(e.tryMessage) }),
      ...(e.nextSteps === undefined ? {} : { nextSteps: e.nextSteps.map(short) }),
    };
    streams.stdout.write(`${terminalText(JSON.stringify({ ok: false, error: doc }))}\n`);
  }
  streams.stderr.write(`${terminalText(short(rendered.text))}\n`);
  return rendered.exitCode;
}

/** What a run is, as the interrupt message names it: `flightdeck plan staging`. */
function describeRun(parsed: Exclude<ParsedCommand, { command: "help" }>): string {
  const { command, globals: _globals, ...args } = parsed;
  const words = Object.values(args).filter((v): v is string => typeof v === "string");
  return command === "default" ? "flightdeck" : `flightdeck ${[command, ...words].join(" ")}`;
}

/** Run flightdeck with these arguments; resolves to the exit code. Never throws. */
export async function main(argv: string[], overrides: Partial<CliDeps> = {}): Promise<number> {
  const stdout = overrides.stdout ?? process.stdout;
  const stderr = overrides.stderr ?? process.stderr;
  ignoreClosedPipe(stdout);
  ignoreClosedPipe(stderr);
  const env = overrides.env ?? process.env;
  // The AWS SDK warns once per process that its releases after January 2027 need Node 22: a note
  // for whoever upgrades the pinned SDK (README, Development), not for every command's stderr.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const isTTY = overrides.isTTY ?? stdout.isTTY === true;
  const c = colors(colorEnabled(isTTY, env));
  const longArgs = longArguments(argv);
  let parsed: ParsedCommand;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    const rendered = renderError(error, { colors: c, env, logDir: logDirOf(overrides.cwd ?? process.cwd()) });
    return printError(rendered, longArgs, { stdout, stderr }, argv.includes("--json"));
  }
  if (parsed.command === "help") {
    stdout.write(parsed.text);
    return 0;
  }

  const deps = await defaultDeps(overrides);
  const projectDir = resolve(deps.cwd, parsed.globals.cwd ?? ".");
  const mode = outputMode({
    stdoutIsTTY: deps.isTTY,
    stdinIsTTY: deps.stdinIsTTY,
    env: deps.env,
    json: parsed.globals.json,
    nonInteractive: parsed.globals.nonInteractive,
  });
  const [{ runCommand }, { createRunContext }, { guardInterrupts }] = await Promise.all([
    import("./commands.js"),
    import("./run.js"),
    import("./interrupted.js"),
  ]);
  const ctx = createRunContext(deps, projectDir, mode, c, longArgs);
  const stopGuard = guardInterrupts(ctx, describeRun(parsed));
  try {
    return await runCommand(parsed, ctx);
  } catch (error) {
    // The one top-level handler.
    const rendered = renderError(error, {
      colors: c,
      env: deps.env,
      logDir: logDirOf(projectDir),
      ...(ctx.logFile === undefined ? {} : { logFile: ctx.logFile }),
    });
    return printError(rendered, longArgs, deps, mode === "json" && !ctx.resultEmitted);
  } finally {
    stopGuard();
  }
}

function logDirOf(projectDir: string): string {
  return resolve(projectDir, ".flightdeck", "logs");
}

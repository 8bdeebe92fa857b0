/**
 * The `pulumi` processes of the Automation API, each in a process group of
 * its own.
 *
 * Why: Ctrl-C at a terminal sends SIGINT to the whole foreground process
 * group. The Automation API starts `pulumi` in flightdeck's group (execa,
 * automation/cmd.js) and, when flightdeck cancels, sends it SIGINT as well:
 * two interrupts, and Pulumi takes the second as "terminate now" instead of a
 * graceful cancel, leaving its lock and pending operations behind. In a group
 * of its own, `pulumi` hears only flightdeck, which sends exactly one SIGINT
 * per cancel (and a second only when the user asks twice).
 *
 * Everything else is the Automation API's own `PulumiCommand.run`: the same
 * arguments, `--non-interactive`, the CLI's folder first on PATH (for its
 * bundled plugins), `PULUMI_AUTOMATION_API`, and its `CommandResult` and
 * error classes (`createCommandError` turns Pulumi's messages into
 * `ConcurrentUpdateError`, `StackNotFoundError`, ...).
 */
import { spawn } from "node:child_process";
import { basename, delimiter, dirname, isAbsolute } from "node:path";
import type * as Auto from "@pulumi/pulumi/automation/index.js";
import { EngineUnavailableError } from "../engine.js";

interface CommandResultLike {
  stdout: string;
  stderr: string;
  code: number;
}
interface AutomationInternals {
  CommandResult: new (stdout: string, stderr: string, code: number, err?: Error) => CommandResultLike;
  createCommandError: (result: CommandResultLike) => Error;
}

type Run = (
  args: string[],
  cwd: string,
  additionalEnv: Record<string, string>,
  onOutput?: (data: string) => void,
  onError?: (data: string) => void,
  signal?: AbortSignal,
) => Promise<CommandResultLike>;

let internals: Promise<AutomationInternals> | undefined;

function automationInternals(): Promise<AutomationInternals> {
  // Not part of the typed surface of @pulumi/pulumi, but exported by the modules the Automation API itself uses.
  internals ??= Promise.all([
    import("@pulumi/pulumi/automation/cmd.js" as string),
    import("@pulumi/pulumi/automation/errors.js" as string),
  ]).then(([cmd, errors]) => ({
    CommandResult: (cmd as { CommandResult: AutomationInternals["CommandResult"] }).CommandResult,
    createCommandError: (errors as { createCommandError: AutomationInternals["createCommandError"] })
      .createCommandError,
  }));
  return internals;
}

/**
 * The Automation API's own error for a `pulumi` run that printed `stderr`
 * (`createCommandError`: "no stack named 'x' found" is its `StackNotFoundError`),
 * for an answer flightdeck read from the backend's files instead of running it.
 */
export async function commandErrorOf(stderr: string): Promise<Error> {
  const { CommandResult, createCommandError } = await automationInternals();
  return createCommandError(new CommandResult("", stderr, 255));
}

/** The same `PulumiCommand`, whose processes each run in a process group of their own. */
export async function inOwnProcessGroup(command: Auto.PulumiCommand): Promise<Auto.PulumiCommand> {
  const { CommandResult, createCommandError } = await automationInternals();
  const run: Run = (args, cwd, additionalEnv, onOutput, onError, signal) =>
    new Promise((resolvePromise, reject) => {
      const fullArgs = args.includes("--non-interactive") ? [...args] : [...args, "--non-interactive"];
      const env: Record<string, string | undefined> = { ...process.env, ...additionalEnv };
      if (isAbsolute(command.command)) {
        env.PATH = `${dirname(command.command)}${delimiter}${additionalEnv.PATH ?? process.env.PATH ?? ""}`;
      }
      env.PULUMI_AUTOMATION_API = "true";
      const child = spawn(command.command, fullArgs, {
        cwd,
        env,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (data: string) => {
        stdout += data;
        onOutput?.(data);
      });
      child.stderr.setEncoding("utf8").on("data", (data: string) => {
        stderr += data;
        onError?.(data);
      });
      const interrupt = () => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
      };
      signal?.addEventListener("abort", interrupt, { once: true });
      child.on("error", (error) => {
        signal?.removeEventListener("abort", interrupt);
        reject(createCommandError(new CommandResult("", error.message, -2, error)));
      });
      child.on("close", (code, signalName) => {
        signal?.removeEventListener("abort", interrupt);
        const exitCode = code ?? (signalName ? -1 : 0);
        const result = new CommandResult(stdout, stderr, exitCode);
        if (exitCode !== 0) reject(createCommandError(result));
        else resolvePromise(result);
      });
    });
  const wrapped = Object.create(command) as Auto.PulumiCommand & { run: Run };
  wrapped.run = run;
  return wrapped;
}

/**
 * The Automation API's command for the `pulumi` at `path`, in a process group
 * of its own. `PulumiCommand.get` runs `<root>/bin/pulumi version` (or `pulumi`
 * from PATH) and checks the version is one the SDK supports.
 */
export async function pulumiCommandAt(auto: typeof Auto, path: string): Promise<Auto.PulumiCommand> {
  try {
    const binDir = dirname(path);
    const root = basename(binDir) === "bin" ? dirname(binDir) : undefined;
    return await inOwnProcessGroup(await auto.PulumiCommand.get(root ? { root } : {}));
  } catch (error) {
    throw new EngineUnavailableError(
      `\`${path}\` could not be used: ${(error as Error).message.split("\n")[0]}`,
    );
  }
}

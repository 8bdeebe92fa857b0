/**
 * Where flightdeck's Pulumi engine comes from, so that users never install or
 * mismatch it (SST's way).
 *
 * 1. A `pulumi` on PATH is used as it is; at another version than the
 *    `@pulumi/pulumi` the program is built with, a notice names both.
 * 2. Else the per-user install `<FLIGHTDECK_HOME or ~/.flightdeck>/pulumi/<version>/bin/pulumi`,
 *    made by `npm run engine:install` (built from the Go module proxy) or by
 *    3. the Automation API's `PulumiCommand.install`, which downloads Pulumi's
 *    release into that folder on first use. Offline, that is one clear error
 *    (exit 2) naming both ways to install it by hand.
 *
 * The program's resource plugins (`aws`, `awsx`) are installed up front at the
 * versions in the lockfile, unless a plugin of that name is on PATH: the engine
 * prefers such an "ambient" plugin whatever version the program asks for
 * (`GetPluginPath` in sdk/go/common/workspace/plugins.go), which is how the
 * sandbox's stand-ins are found.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { access, constants } from "node:fs/promises";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { ExitCode, UserError } from "../../infra/errors.js";
import { EngineUnavailableError } from "../engine.js";

const run = promisify(execFile);
type Env = Record<string, string | undefined>;

/** The resource plugins the program loads, by npm package. */
export const PROGRAM_PLUGINS = [
  { name: "aws", npmPackage: "@pulumi/aws" },
  { name: "awsx", npmPackage: "@pulumi/awsx" },
] as const;

/** `FLIGHTDECK_OFFLINE=1`: never download the engine or plugins (air-gapped machines, tests). */
export function isOffline(env: Env): boolean {
  const value = env.FLIGHTDECK_OFFLINE?.trim().toLowerCase();
  return value !== undefined && value !== "" && value !== "0" && value !== "false";
}

/** The version of an installed npm package of the project (the lockfile's, after `npm ci`). */
export function installedPackageVersion(projectDir: string, npmPackage: string): string {
  const path = join(projectDir, "node_modules", npmPackage, "package.json");
  if (!existsSync(path)) {
    throw new UserError(`${npmPackage} is not installed in ${projectDir}`, {
      tryMessage: "Run `npm ci` in the flightdeck checkout first.",
      exitCode: ExitCode.usage,
    });
  }
  return String((JSON.parse(readFileSync(path, "utf8")) as { version: unknown }).version);
}

/** The Pulumi CLI version that matches the program's SDK. */
export function engineVersion(projectDir: string): string {
  return installedPackageVersion(projectDir, "@pulumi/pulumi");
}

/** `<FLIGHTDECK_HOME or ~/.flightdeck>/pulumi/<version>`: the install root (`bin/pulumi` inside). */
export function engineRoot(version: string, env: Env, home: string = homedir()): string {
  const base = env.FLIGHTDECK_HOME?.trim() || join(home, ".flightdeck");
  return join(base, "pulumi", version);
}

/** The full path of an executable on PATH, or undefined. */
export async function findOnPath(name: string, env: Env): Promise<string | undefined> {
  const dirs = (env.PATH ?? "").split(delimiter).filter((d) => d.length > 0);
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      await access(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `pulumi version` prints `v3.248.0`; undefined when the binary cannot run. */
export async function pulumiVersionOf(path: string, env: Env): Promise<string | undefined> {
  try {
    const { stdout } = await run(path, ["version"], {
      env: { ...env, PULUMI_SKIP_UPDATE_CHECK: "true" },
      timeout: 30_000,
    });
    return stdout.trim().replace(/^v/, "");
  } catch {
    return undefined;
  }
}

export interface LocatedEngine {
  /** The `pulumi` binary. */
  path: string;
  source: "path" | "flightdeck";
  /** A notice for the user (another version on PATH), never an error. */
  notice?: string;
}

export interface LocateOptions {
  /** Download the CLI when it is nowhere (default: the Automation API's installer). */
  download?: (root: string, version: string) => Promise<void>;
  home?: string;
}

/** The message for a CLI that could not be installed, with both ways to do it by hand. */
export function engineInstallError(version: string, root: string, reason: string): EngineUnavailableError {
  return new EngineUnavailableError(
    `Pulumi CLI ${version} is not installed and could not be downloaded (${reason})`,
    {
      tryMessage: `Install Pulumi ${version} by hand and put it on PATH (https://www.pulumi.com/docs/install/), or build it from the Go module proxy with \`npm run engine:install\` (it installs into ${root}).`,
    },
  );
}

/** Find or install the Pulumi CLI for this project (see the module comment for the order). */
export async function locateEngine(
  projectDir: string,
  env: Env,
  options: LocateOptions = {},
): Promise<LocatedEngine> {
  const version = engineVersion(projectDir);
  const onPath = await findOnPath("pulumi", env);
  if (onPath) {
    const found = await pulumiVersionOf(onPath, env);
    if (found === undefined) {
      throw new EngineUnavailableError(`\`${onPath}\` is on PATH but \`pulumi version\` failed`);
    }
    return {
      path: onPath,
      source: "path",
      ...(found !== version
        ? {
            notice: `Using Pulumi CLI ${found} from ${onPath}; flightdeck is built with Pulumi ${version}. Remove it from PATH to let flightdeck use its own ${version}.`,
          }
        : {}),
    };
  }
  const root = engineRoot(version, env, options.home);
  const path = join(root, "bin", "pulumi");
  if (!(await isExecutable(path)) || (await pulumiVersionOf(path, env)) !== version) {
    if (isOffline(env))
      throw engineInstallError(version, root, "FLIGHTDECK_OFFLINE is set, so nothing is downloaded");
    const download = options.download ?? downloadWithAutomationApi;
    try {
      await download(root, version);
    } catch (error) {
      throw engineInstallError(version, root, firstLine(error));
    }
    if ((await pulumiVersionOf(path, env)) !== version) {
      throw engineInstallError(version, root, `no working ${path} after the install`);
    }
  }
  return { path, source: "flightdeck" };
}

/**
 * Pulumi's own installer through the Automation API. Without `version` it
 * installs the SDK's own version (`withDefaults` in automation/cmd.js), which
 * is `engineVersion()`.
 */
async function downloadWithAutomationApi(root: string): Promise<void> {
  const { PulumiCommand } = await import("@pulumi/pulumi/automation/index.js");
  await PulumiCommand.install({ root });
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (
    text
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? "unknown error"
  ).slice(0, 300);
}

/** The plugin cache: `$PULUMI_HOME/plugins`, else `~/.pulumi/plugins` (workspace.GetPluginDir). */
export function pluginDir(env: Env, home: string = homedir()): string {
  return join(env.PULUMI_HOME?.trim() || join(home, ".pulumi"), "plugins");
}

/**
 * Install the resource plugins of the program's dependencies at the lockfile's versions, unless
 * installed already (`<plugin dir>/resource-<name>-v<version>/`, the cache's
 * layout: PluginDescriptor.Dir in plugins.go) or found on PATH (ambient).
 * Returns the plugins it installed.
 */
export async function ensurePlugins(
  projectDir: string,
  pulumiPath: string,
  env: Env,
  home?: string,
): Promise<string[]> {
  const installed: string[] = [];
  const manifest = JSON.parse(readFileSync(join(projectDir, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  for (const plugin of PROGRAM_PLUGINS) {
    // Only the plugins of packages the program depends on.
    if (!manifest.dependencies?.[plugin.npmPackage]) continue;
    if (await findOnPath(`pulumi-resource-${plugin.name}`, env)) continue;
    const version = installedPackageVersion(projectDir, plugin.npmPackage);
    if (existsSync(join(pluginDir(env, home), `resource-${plugin.name}-v${version}`))) continue;
    try {
      if (isOffline(env)) throw new Error("FLIGHTDECK_OFFLINE is set, so nothing is downloaded");
      await run(pulumiPath, ["plugin", "install", "resource", plugin.name, version, "--non-interactive"], {
        env: { ...env, PULUMI_SKIP_UPDATE_CHECK: "true" },
        timeout: 600_000,
      });
    } catch (error) {
      throw new EngineUnavailableError(
        `the Pulumi plugin ${plugin.name} ${version} is not installed and could not be downloaded (${firstLine(error)})`,
        {
          tryMessage: `Run \`pulumi plugin install resource ${plugin.name} ${version}\` where the internet is reachable, or copy its folder into ${pluginDir(env, home)}.`,
        },
      );
    }
    installed.push(`${plugin.name} ${version}`);
  }
  return installed;
}

/**
 * `ensurePlugins` as a function that runs once (again after a failure), telling
 * `onNotice` what it installed: the real engine's `prepareUpdates`.
 */
export function pluginsOnce(
  projectDir: string,
  pulumiPath: string,
  env: Env,
  options: { home?: string; onNotice?: (message: string) => void },
): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= (async () => {
      for (const plugin of await ensurePlugins(projectDir, pulumiPath, env, options.home)) {
        options.onNotice?.(`Installed the Pulumi plugin ${plugin}.`);
      }
    })().catch((error: unknown) => {
      done = undefined;
      throw error;
    });
    return done;
  };
}

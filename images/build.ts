/**
 * `npm run image:build -- --commit REF`: build the universal image of one commit.
 *
 *   --commit REF      commit, branch or tag (required); resolved to the full SHA
 *   --branch NAME     branch tag of the image (default: the current branch when it
 *                     points at the commit, else "unknown")
 *   --artifact PATH   the application artifact (.tar.gz); default: `git archive`
 *                     of the commit, written to images/.build/
 *   --region NAME     AWS region (default: defaults.pkrvars.hcl)
 *   --repo DIR        the application's git repository (default: the current folder)
 *
 * Runs `packer init` and `packer build` in images/ with defaults.pkrvars.hcl and
 * the commit's variables. It needs a modern Packer (>= 1.10; Debian's 1.6.6 can
 * only validate) and AWS credentials; without them it stops before building,
 * says what is missing and exits 2. It cannot run on a machine without AWS
 * access: nothing here pretends to build.
 *
 * An entry point like cli/ (nothing imports it), so it may use infra/errors and
 * resolve a ref exactly as `flightdeck deploy` does (automation/git.ts: also
 * `origin/<branch>`, which is all a CI clone may have).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { simpleGit } from "simple-git";
import { resolveCommit } from "../automation/git.js";
import { ExitCode, isUserError, UserError } from "../infra/errors.js";

const IMAGES_DIR = dirname(fileURLToPath(import.meta.url));
/** The oldest Packer that reads plugins.pkr.hcl (required_plugins, `packer init` of HCL2). */
export const MIN_PACKER: readonly [number, number] = [1, 10];

export interface BuildOptions {
  ref: string;
  branch?: string;
  artifact?: string;
  region?: string;
  repo: string;
}

export interface BuildPlan {
  commit: string;
  branch: string;
  artifact: string;
  region?: string;
}

const USAGE =
  "npm run image:build -- --commit REF [--branch NAME] [--artifact PATH] [--region NAME] [--repo DIR]";

/** Command-line arguments to options, or a usage error. */
export function parseBuildArgs(argv: string[], cwd: string): BuildOptions {
  let values: ReturnType<typeof parseBuildArgsRaw>["values"];
  try {
    values = parseBuildArgsRaw(argv).values;
  } catch (error) {
    throw new UserError(`image:build: ${(error as Error).message}`, { tryMessage: USAGE });
  }
  if (!values.commit) {
    throw new UserError("image:build needs the commit to build: --commit REF", { tryMessage: USAGE });
  }
  return {
    ref: values.commit,
    branch: values.branch,
    artifact: values.artifact === undefined ? undefined : resolve(cwd, values.artifact),
    region: values.region,
    repo: resolve(cwd, values.repo ?? "."),
  };
}

function parseBuildArgsRaw(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      commit: { type: "string" },
      branch: { type: "string" },
      artifact: { type: "string" },
      region: { type: "string" },
      repo: { type: "string" },
    },
  });
}

/** `Packer v1.6.6` (or `1.11.2`, the first line of `packer version`) to [major, minor], or undefined. */
export function packerVersion(text: string): [number, number] | undefined {
  const m = /(?:^|\s|v)(\d+)\.(\d+)\.\d+/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** The two Packer invocations, run in images/. */
export function packerCommands(plan: BuildPlan): string[][] {
  const vars = [
    "-var-file=defaults.pkrvars.hcl",
    `-var=commit=${plan.commit}`,
    `-var=branch=${plan.branch}`,
    `-var=artifact_path=${plan.artifact}`,
    ...(plan.region ? [`-var=region=${plan.region}`] : []),
  ];
  return [
    ["init", "."],
    ["build", ...vars, "."],
  ];
}

async function branchOf(repo: string, commit: string, given?: string): Promise<string> {
  if (given) return given;
  const git = simpleGit({ baseDir: repo, trimmed: true });
  const [head, name] = await Promise.all([
    git.revparse(["HEAD"]).catch(() => ""),
    git.revparse(["--abbrev-ref", "HEAD"]).catch(() => ""),
  ]);
  return head === commit && name !== "" && name !== "HEAD" ? name : "unknown";
}

/** Packer on PATH and new enough, or a usage error saying what to install. */
export function requireModernPacker(): void {
  const probe = spawnSync("packer", ["version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    throw new UserError("image:build: packer was not found on PATH.", {
      tryMessage: `Install Packer ${MIN_PACKER.join(".")} or newer from HashiCorp (https://developer.hashicorp.com/packer/install).`,
      nextSteps: ["Then run this again; it runs `packer init` and `packer build` in images/."],
      exitCode: ExitCode.usage,
    });
  }
  const version = packerVersion(probe.stdout);
  const [major, minor] = MIN_PACKER;
  if (!version || version[0] < major || (version[0] === major && version[1] < minor)) {
    throw new UserError(
      `image:build: ${probe.stdout.split("\n")[0] ?? "this Packer"} is too old to build; it needs Packer ${major}.${minor} or newer.`,
      {
        tryMessage: `Install Packer ${major}.${minor} or newer from HashiCorp (https://developer.hashicorp.com/packer/install).`,
        nextSteps: [
          "Debian's packer package (1.6.6) has no `packer init` or required_plugins: it can only validate (npm run image:check).",
        ],
        exitCode: ExitCode.usage,
      },
    );
  }
}

/** The application artifact: the one given, or a `git archive` of the commit. */
async function artifactFor(options: BuildOptions, commit: string): Promise<string> {
  if (options.artifact) {
    if (!existsSync(options.artifact)) {
      throw new UserError(`image:build: the artifact ${options.artifact} does not exist.`, {
        tryMessage: "Pass --artifact with an existing .tar.gz, or leave it out to archive the commit.",
        exitCode: ExitCode.usage,
      });
    }
    return options.artifact;
  }
  const out = join(IMAGES_DIR, ".build", `app-${commit.slice(0, 7)}.tar.gz`);
  mkdirSync(dirname(out), { recursive: true });
  await simpleGit({ baseDir: options.repo }).raw(["archive", "--format=tar.gz", "-o", out, commit]);
  return out;
}

function run(args: string[]): void {
  console.log(`image:build: packer ${args.join(" ")}`);
  const result = spawnSync("packer", args, { cwd: IMAGES_DIR, stdio: "inherit" });
  if (result.status !== 0) {
    throw new UserError(`image:build: packer ${args[0]} failed (exit ${result.status ?? result.signal}).`, {
      tryMessage:
        "Read Packer's output above; AWS credentials come from the usual chain (AWS_PROFILE, env, SSO).",
      exitCode: ExitCode.failed,
    });
  }
}

/** The AMI id Packer's manifest post-processor recorded for the last build. */
function builtImage(): string | undefined {
  const file = join(IMAGES_DIR, ".build/manifest.json");
  if (!existsSync(file)) return undefined;
  const manifest = JSON.parse(readFileSync(file, "utf8")) as { builds?: { artifact_id?: string }[] };
  return manifest.builds?.at(-1)?.artifact_id;
}

export async function buildImage(options: BuildOptions): Promise<string | undefined> {
  const commit = await resolveCommit(options.repo, options.ref);
  const branch = await branchOf(options.repo, commit, options.branch);
  requireModernPacker();
  const artifact = await artifactFor(options, commit);
  const plan: BuildPlan = {
    commit,
    branch,
    artifact: isAbsolute(artifact) ? artifact : resolve(artifact),
    region: options.region,
  };
  console.log(`image:build: commit ${commit} (branch ${branch}), artifact ${plan.artifact}`);
  for (const args of packerCommands(plan)) run(args);
  return builtImage();
}

function report(error: unknown): number {
  if (isUserError(error)) {
    console.error(error.message);
    if (error.tryMessage) console.error(`Try: ${error.tryMessage}`);
    for (const step of error.nextSteps) console.error(`  - ${step}`);
    return error.exitCode;
  }
  console.error(error);
  return ExitCode.failed;
}

async function main(): Promise<void> {
  try {
    const image = await buildImage(parseBuildArgs(process.argv.slice(2), process.cwd()));
    console.log(`image:build: done${image ? `: ${image}` : ""}`);
  } catch (error) {
    process.exitCode = report(error);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}

/**
 * `npm run engine:install`: build the Pulumi CLI and its Node.js language host
 * from the Go module proxy into flightdeck's engine folder
 * (`<FLIGHTDECK_HOME or ~/.flightdeck>/pulumi/<version>/bin`), for machines
 * that cannot download Pulumi's release. The last line printed is the bin folder.
 *
 * - The CLI is `github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` at the version of
 *   `@pulumi/pulumi` in the lockfile, built in the small module `build/cli/`
 *   (its go.mod carries the clipboard replace that pkg/v3's own go.mod has).
 * - The language host: since sdk v3.69 it is its own module,
 *   `github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3`, which
 *   the Go module proxy does not serve ("403 This module version is not
 *   available" for every version, tagged or pseudo). So `build/language-host/`
 *   builds Pulumi's Node.js language host from `sdk/v3` v3.68.0, the newest
 *   release that still contains it. It speaks the same LanguageRuntime
 *   protocol; today's CLI falls back for the calls it predates (Handshake,
 *   GetRequiredPackages: sdk/go/common/resource/plugin/langruntime_plugin.go).
 *   It reads runtime options as flags, which today's CLI no longer passes, so
 *   `Pulumi.yaml`'s `runtime.options` are not applied by it (flightdeck's
 *   program is plain JavaScript, which runs the same either way).
 *
 * Idempotent: a build whose stamp (the go.mod and go.sum it was built from)
 * matches, with a `pulumi` that reports the version, is reused.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { engineRoot, engineVersion, pulumiVersionOf } from "../install.js";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const projectDir = resolve(here, "..", "..", "..");

interface Target {
  /** The Go module folder. */
  module: string;
  /** The `package main` to build. */
  importPath: string;
  binary: string;
  ldflags?: string;
}

function targets(version: string): Target[] {
  return [
    {
      module: join(here, "cli"),
      importPath: "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
      binary: "pulumi",
      // The CLI reports this as its version (sdk/go/common/version/version.go).
      ldflags: `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${version}`,
    },
    {
      module: join(here, "language-host"),
      importPath: "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs",
      binary: "pulumi-language-nodejs",
    },
  ];
}

/** The CLI module must require pkg/v3 at the SDK's version, or the built engine would not match. */
export async function checkPinnedVersion(version: string, goModPath: string): Promise<void> {
  const goMod = await readFile(goModPath, "utf8");
  const pinned = /github\.com\/pulumi\/pulumi\/pkg\/v3 v(\S+)/.exec(goMod)?.[1];
  if (pinned !== version) {
    throw new Error(
      `${goModPath} requires github.com/pulumi/pulumi/pkg/v3 ${pinned ?? "(none)"}, but @pulumi/pulumi is ${version}: update the go.mod (and go.sum with \`go mod tidy\`) to v${version}.`,
    );
  }
}

async function stampOf(list: Target[]): Promise<string> {
  const hash = createHash("sha256");
  for (const target of list) {
    for (const file of ["go.mod", "go.sum"]) hash.update(await readFile(join(target.module, file)));
  }
  return hash.digest("hex");
}

async function main(): Promise<void> {
  const started = Date.now();
  const env = process.env;
  const version = engineVersion(projectDir);
  const list = targets(version);
  await checkPinnedVersion(version, join(here, "cli", "go.mod"));
  const bin = join(engineRoot(version, env), "bin");
  const stampFile = join(bin, ".flightdeck-build");
  const stamp = await stampOf(list);

  const built =
    existsSync(stampFile) &&
    (await readFile(stampFile, "utf8")).trim() === stamp &&
    list.every((t) => existsSync(join(bin, t.binary))) &&
    (await pulumiVersionOf(join(bin, "pulumi"), env)) === version;
  if (built) {
    process.stdout.write(
      `engine: Pulumi ${version} already built (${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
    );
  } else {
    try {
      await run("go", ["version"], { env });
    } catch {
      throw new Error(
        "`go` is not on PATH: install Go 1.25 or newer (it builds the engine from the Go module proxy).",
      );
    }
    await mkdir(bin, { recursive: true });
    const staging = await mkdtemp(join(bin, ".build-"));
    try {
      for (const target of list) {
        process.stdout.write(`engine: building ${target.importPath} (a first build takes minutes)\n`);
        const args = ["build", "-trimpath", "-o", join(staging, target.binary)];
        if (target.ldflags) args.push("-ldflags", target.ldflags);
        args.push(target.importPath);
        await run("go", args, {
          cwd: target.module,
          // The committed go.sum decides every module: nothing is resolved anew.
          env: { ...env, GOFLAGS: "-mod=readonly" },
          maxBuffer: 64 * 1024 * 1024,
        });
      }
      for (const target of list) await rename(join(staging, target.binary), join(bin, target.binary));
      await writeFile(stampFile, `${stamp}\n`);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    const reported = await pulumiVersionOf(join(bin, "pulumi"), env);
    if (reported !== version)
      throw new Error(`the built pulumi reports ${reported ?? "nothing"}, not ${version}`);
    process.stdout.write(
      `engine: built Pulumi ${version} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  }
  process.stdout.write(`${bin}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`engine:install failed: ${message}\n`);
    process.exitCode = 1;
  });
}

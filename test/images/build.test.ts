/**
 * `npm run image:build`: the commit is resolved in a real git repository made in
 * a temporary folder; Packer is whatever is on PATH (none, a stand-in reporting
 * Debian's 1.6.6, or a stand-in modern Packer that records its arguments).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simpleGit } from "simple-git";
import { packerCommands, packerVersion, parseBuildArgs } from "../../images/build.js";
import { ExitCode, UserError } from "../../infra/errors.js";
import { IMAGES, type ScriptRun } from "./harness.js";

const BUILD = join(IMAGES, "build.ts");

function runBuild(args: string[], env: Record<string, string>): Promise<ScriptRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ["--import", "tsx", BUILD, ...args],
      { env: { HOME: process.env.HOME ?? "/tmp", ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

async function which(tool: string): Promise<string> {
  const run = await new Promise<string>((done) =>
    execFile("bash", ["-c", `command -v ${tool}`], (_e, stdout) => done(stdout.trim())),
  );
  assert.ok(run, `${tool} is needed by this test`);
  return run;
}

describe("images: image:build", () => {
  let dir: string;
  let repo: string;
  let bin: string;
  let sha: string;
  let artifact: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "flightdeck-build-"));
    repo = join(dir, "app");
    bin = join(dir, "bin");
    await mkdir(repo);
    await mkdir(bin);
    const git = simpleGit(repo);
    await git.init(["--initial-branch=main"]);
    await git.addConfig("user.email", "dev@example.com").addConfig("user.name", "Dev");
    await writeFile(join(repo, "requirements.txt"), "gunicorn==23.0.0\n");
    await git.add(".").commit("first");
    sha = (await git.revparse(["HEAD"])).trim();
    artifact = join(dir, "app.tar.gz");
    await writeFile(artifact, "stand-in artifact");
    // A PATH with git (and bash for the stand-ins) but without any packer.
    await symlink(await which("git"), join(bin, "git"));
    await symlink(await which("bash"), join(bin, "bash"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function standInPacker(version: string, buildExit = 0): Promise<string> {
    const log = join(dir, "packer.log");
    await writeFile(log, "");
    await writeFile(
      join(bin, "packer"),
      [
        "#!/usr/bin/env bash",
        `if [[ "$1" == version ]]; then echo '${version}'; exit 0; fi`,
        `printf '%s\\n' "$PWD $*" >> '${log}'`,
        `if [[ "$1" == build ]]; then exit ${buildExit}; fi`,
        "exit 0",
        "",
      ].join("\n"),
    );
    await chmod(join(bin, "packer"), 0o755);
    return log;
  }

  it("refuses an unknown ref with exit 2, before looking for Packer", async () => {
    await rm(join(bin, "packer"), { force: true });
    const run = await runBuild(["--commit", "no-such-branch", "--repo", repo], { PATH: bin });
    assert.equal(run.code, ExitCode.usage);
    assert.match(run.stderr, /'no-such-branch' is not a commit, branch or tag/);
    assert.doesNotMatch(run.stderr, /packer/i);
  });

  it("resolves a branch that exists only as origin/<branch>, as deploy does (a CI clone)", async () => {
    await rm(join(bin, "packer"), { force: true });
    await simpleGit(repo).raw(["update-ref", "refs/remotes/origin/release", sha]);
    const run = await runBuild(["--commit", "release", "--repo", repo], { PATH: bin });
    assert.equal(run.code, ExitCode.usage);
    assert.doesNotMatch(run.stderr, /is not a commit/);
    assert.match(run.stderr, /packer was not found on PATH/);
  });

  it("without Packer: says so and exits 2", async () => {
    await rm(join(bin, "packer"), { force: true });
    const run = await runBuild(["--commit", "main", "--repo", repo], { PATH: bin });
    assert.equal(run.code, ExitCode.usage);
    assert.match(run.stderr, /packer was not found on PATH/);
  });

  it("with Debian's Packer 1.6.6: says it is too old to build and exits 2, running nothing", async () => {
    const log = await standInPacker("Packer v1.6.6");
    const run = await runBuild(["--commit", "main", "--repo", repo, "--artifact", artifact], { PATH: bin });
    assert.equal(run.code, ExitCode.usage);
    assert.match(run.stderr, /Packer v1\.6\.6 is too old to build; it needs Packer 1\.10 or newer/);
    assert.equal(await readFile(log, "utf8"), "");
  });

  it("with a modern Packer: packer init, then packer build with the full SHA, branch and artifact", async () => {
    const log = await standInPacker("Packer v1.11.2");
    const run = await runBuild(["--commit", sha.slice(0, 7), "--repo", repo, "--artifact", artifact], {
      PATH: bin,
    });
    assert.equal(run.code, 0, run.stderr);
    const calls = (await readFile(log, "utf8")).trim().split("\n");
    assert.deepEqual(calls, [
      `${IMAGES} init .`,
      `${IMAGES} build -var-file=defaults.pkrvars.hcl -var=commit=${sha} -var=branch=main -var=artifact_path=${artifact} .`,
    ]);
  });

  it("without --artifact: archives the commit itself (git archive) and builds from that", async () => {
    const log = await standInPacker("Packer v1.11.2");
    const out = join(IMAGES, ".build", `app-${sha.slice(0, 7)}.tar.gz`);
    try {
      const run = await runBuild(["--commit", "main", "--repo", repo], { PATH: bin });
      assert.equal(run.code, 0, run.stderr);
      assert.match(
        await readFile(log, "utf8"),
        new RegExp(`-var=artifact_path=${out.replaceAll(".", "\\.")} `),
      );
      const listing = await new Promise<string>((done) =>
        execFile("tar", ["-tzf", out], (_e, stdout) => done(stdout)),
      );
      assert.deepEqual(listing.trim().split("\n"), ["requirements.txt"]);
    } finally {
      await rm(out, { force: true });
    }
  });

  it("a failed packer build fails the command (exit 1)", async () => {
    await standInPacker("Packer v1.11.2", 1);
    const run = await runBuild(["--commit", "main", "--repo", repo, "--artifact", artifact], { PATH: bin });
    assert.equal(run.code, ExitCode.failed);
    assert.match(run.stderr, /packer build failed/);
  });

  it("refuses a missing artifact with exit 2", async () => {
    await standInPacker("Packer v1.11.2");
    const run = await runBuild(["--commit", "main", "--repo", repo, "--artifact", join(dir, "nope.tar.gz")], {
      PATH: bin,
    });
    assert.equal(run.code, ExitCode.usage);
    assert.match(run.stderr, /nope\.tar\.gz does not exist/);
  });

  describe("pure parts", () => {
    it("reads Packer's version line", () => {
      assert.deepEqual(packerVersion("Packer v1.6.6\n"), [1, 6]);
      assert.deepEqual(packerVersion("Packer v1.11.2\n\nYour version of Packer is out of date!"), [1, 11]);
      assert.deepEqual(packerVersion("1.10.0"), [1, 10]);
      assert.equal(packerVersion("not packer"), undefined);
    });

    it("passes the region only when given", () => {
      const plan = { commit: "a".repeat(40), branch: "main", artifact: "/x.tar.gz" };
      assert.ok(!packerCommands(plan)[1]?.some((a) => a.startsWith("-var=region=")));
      assert.ok(packerCommands({ ...plan, region: "eu-west-1" })[1]?.includes("-var=region=eu-west-1"));
    });

    it("needs --commit and refuses unknown options as usage errors", () => {
      assert.throws(
        () => parseBuildArgs([], "/"),
        (e: unknown) => e instanceof UserError && e.exitCode === 2,
      );
      assert.throws(
        () => parseBuildArgs(["--commit", "x", "--nope"], "/"),
        (e: unknown) => e instanceof UserError && /--nope/.test(e.message),
      );
      assert.deepEqual(parseBuildArgs(["--commit", "abc", "--artifact", "a.tgz"], "/work"), {
        ref: "abc",
        branch: undefined,
        artifact: "/work/a.tgz",
        region: undefined,
        repo: "/work",
      });
    });
  });
});

/**
 * The real bin (`node bin/flightdeck`, compiled JavaScript) spawned as a
 * process, with CI=true and no terminal, on the paths that need no engine:
 * help, usage errors, config errors, the offline plan and the missing-CLI
 * message. `dist/` is rebuilt first when it is older than the sources.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, ensureBuilt, ROOT } from "./build.js";

/** A PATH with no `pulumi` on it (wherever this runs). */
const EMPTY_PATH = mkdtempSync(join(tmpdir(), "flightdeck-nopath-"));

/** A PATH holding git and nothing else (commands resolve their commit with git before the engine). */
function gitOnlyPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "flightdeck-gitpath-"));
  const git = spawnSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).stdout.trim();
  symlinkSync(git, join(dir, "git"));
  return dir;
}

/** No `pulumi` on PATH, none installed by flightdeck (an empty FLIGHTDECK_HOME), and no downloads. */
const NO_ENGINE = {
  PATH: gitOnlyPath(),
  FLIGHTDECK_HOME: mkdtempSync(join(tmpdir(), "flightdeck-noengine-")),
  FLIGHTDECK_OFFLINE: "1",
};

function flightdeck(args: string[], env: Record<string, string> = {}, cwd = ROOT) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { HOME: process.env.HOME ?? "/root", CI: "true", PATH: EMPTY_PATH, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("cli: the real bin, spawned", function () {
  this.timeout(240_000);

  before(function () {
    this.timeout(600_000);
    ensureBuilt();
  });

  it("--help prints every command, examples and the exit codes, loading no heavy module", () => {
    const log = join(mkdtempSync(join(tmpdir(), "flightdeck-loads-")), "loads.txt");
    writeFileSync(log, "");
    const hook = new URL("./fixtures/record-loads.mjs", import.meta.url).href;
    const result = spawnSync(process.execPath, ["--import", hook, BIN, "--help"], {
      cwd: ROOT,
      env: { HOME: process.env.HOME ?? "/root", CI: "true", PATH: EMPTY_PATH, FLIGHTDECK_LOAD_LOG: log },
      encoding: "utf8",
    });
    assert.equal(result.status, 0, result.stderr);
    for (const command of ["status", "plan", "deploy", "promote", "rollback", "history", "preview", "reap"]) {
      assert.match(result.stdout, new RegExp(`\\n {2}${command} `), command);
    }
    assert.match(result.stdout, /Exit codes:\n {2}0 {3}ok\n {2}1 {3}the operation failed/);
    assert.match(result.stdout, /130 interrupted/);
    const loaded = readFileSync(log, "utf8");
    assert.match(loaded, /dist\/cli\/main\.js/, "the hook saw the CLI load");
    assert.match(loaded, /commander/);
    for (const heavy of [
      "@pulumi",
      "/ink/",
      "/react/",
      "@aws-sdk",
      "/automation/",
      "dist/cli/run.js",
      "dist/cli/commands",
      "zod",
      "simple-git",
    ]) {
      assert.ok(!loaded.includes(heavy), `--help loaded ${heavy}`);
    }
  });

  it("every command's --help works", () => {
    const deploy = flightdeck(["deploy", "--help"]);
    assert.equal(deploy.code, 0);
    assert.match(deploy.stdout, /Usage: flightdeck deploy \[options\] <env>/);
    assert.match(deploy.stdout, /\$ flightdeck deploy staging --commit 1a2b3c4/);
    assert.match(flightdeck(["preview", "up", "--help"]).stdout, /--ttl <duration>/);
  });

  it("an unknown command or flag is a usage error (exit 2) with a suggestion", () => {
    const command = flightdeck(["deplyo", "staging"]);
    assert.equal(command.code, 2);
    assert.equal(command.stdout, "");
    assert.match(command.stderr, /^Error: unknown command 'deplyo'\nTry: Did you mean deploy\?/);
    const flag = flightdeck(["reap", "--dryrun"]);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown option '--dryrun'\nTry: Did you mean --dry-run\?/);
    assert.ok(!(command.stderr + flag.stderr).includes("\u001b["), "no colour without a terminal");
  });

  it("a config error lists every problem (exit 2)", () => {
    const dir = mkdtempSync(join(tmpdir(), "flightdeck-badcfg-"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: flightdeck\nruntime: nodejs\n");
    writeFileSync(
      join(dir, "Pulumi.staging.yaml"),
      "config:\n  aws:region: mars-1\n  flightdeck:environment: staging\n  flightdeck:typo: 1\n  flightdeck:network:\n    cidr: 10.0.0.0/8\n    azs: 2\n    nat: single\n",
    );
    const result = flightdeck(["plan", "staging", "--offline", "--cwd", dir]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^Error: Pulumi\.staging\.yaml is not a valid flightdeck configuration:/);
    for (const problem of [
      /aws:region: must be an AWS region/,
      /flightdeck:network\.cidr: /,
      /flightdeck:typo: is not a flightdeck option/,
      /flightdeck:database: is required/,
    ]) {
      assert.match(result.stderr, problem);
    }
    const notProject = flightdeck(["status", "--cwd", tmpdir()]);
    assert.equal(notProject.code, 2);
    assert.match(notProject.stderr, /Pulumi\.yaml: no such file in/);
  });

  it("plan staging --offline needs no Pulumi CLI: text and one JSON document, exit 1 only on a mandatory violation", () => {
    const json = flightdeck(["plan", "staging", "--offline", "--json"]);
    const doc = JSON.parse(json.stdout) as {
      stack: string;
      offline: boolean;
      resources: { type: string; name: string }[];
      cost: { currency: string; daily: number };
      policies: { level: string }[];
    };
    assert.equal(doc.stack, "staging");
    assert.equal(doc.offline, true);
    assert.ok(doc.resources.length > 10);
    assert.equal(doc.cost.currency, "USD");
    assert.ok(doc.cost.daily > 0);
    const mandatory = doc.policies.filter((p) => p.level === "mandatory").length;
    assert.equal(json.code, mandatory > 0 ? 1 : 0, json.stderr);

    const text = flightdeck(["plan", "staging", "--offline"]);
    assert.equal(text.code, json.code);
    assert.match(text.stdout, new RegExp(`^Plan of staging .*: ${doc.resources.length} resources\\n`));
    assert.match(
      text.stdout,
      /\nEstimated cost: \$\d+\.\d{2}\/hour, \$\d+\.\d{2}\/day, \$\d+\.\d{2}\/month \(USD\)/,
    );
    assert.match(text.stdout, /aws:autoscaling\/group:Group +staging-fleet-app-asg/);
  });

  it("without a Pulumi CLI every engine command says so clearly (exit 2)", () => {
    for (const args of [
      ["status"],
      ["history", "staging"],
      ["deploy", "staging"],
      ["preview", "list"],
      ["reap", "--dry-run"],
      ["plan", "staging"],
      [],
    ]) {
      const result = flightdeck(args, NO_ENGINE);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(
        result.stderr,
        /^Error: the Pulumi CLI is needed for this command: Pulumi CLI \d+\.\d+\.\d+ is not installed and could not be downloaded \(FLIGHTDECK_OFFLINE is set, so nothing is downloaded\)\nTry: Install Pulumi/,
      );
      assert.match(result.stderr, /npm run engine:install/);
      assert.match(result.stderr, /flightdeck plan <stack> --offline` works without it/);
    }
    const json = flightdeck(["status", "--json"], NO_ENGINE);
    assert.equal(json.code, 2);
    const doc = JSON.parse(json.stdout) as { ok: boolean; error: { name: string; exitCode: number } };
    assert.deepEqual([doc.ok, doc.error.name, doc.error.exitCode], [false, "EngineUnavailableError", 2]);
  });
});

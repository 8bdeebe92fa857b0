/**
 * Where the Pulumi CLI comes from (automation/engine/install.ts). The `pulumi`
 * executables here are stand-in shell scripts that print a version and record
 * their arguments; the real CLI is exercised by the contract and real-engine suites.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkPinnedVersion } from "../../automation/engine/build/install.js";
import {
  engineRoot,
  engineVersion,
  ensurePlugins,
  locateEngine,
  pluginDir,
  pluginsOnce,
} from "../../automation/engine/install.js";
import { EngineUnavailableError } from "../../automation/engine.js";
import { PROJECT_DIR } from "./real-engine.js";

/** A stand-in `pulumi` that reports `version` and logs every call. */
function fakePulumi(dir: string, version: string, log: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "pulumi");
  writeFileSync(
    path,
    `#!/bin/sh\necho "$@" >> '${log}'\nif [ "$1" = version ]; then echo v${version}; fi\nif [ "$1" = plugin ] && [ -n "$FAIL_PLUGIN" ]; then echo "error: could not download" >&2; exit 1; fi\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

describe("engine install", () => {
  const version = engineVersion(PROJECT_DIR);
  let home: string;
  let log: string;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), "flightdeck-install-"));
    log = join(home, "calls.log");
  });

  it("builds the CLI at the SDK's version: the Go module pins pkg/v3 to the lockfile's @pulumi/pulumi", async () => {
    assert.match(version, /^\d+\.\d+\.\d+$/);
    await checkPinnedVersion(version, join(PROJECT_DIR, "automation/engine/build/cli/go.mod"));
    const other = join(home, "go.mod");
    writeFileSync(other, "module x\nrequire github.com/pulumi/pulumi/pkg/v3 v3.1.0\n");
    await assert.rejects(
      checkPinnedVersion(version, other),
      /requires github\.com\/pulumi\/pulumi\/pkg\/v3 3\.1\.0, but @pulumi\/pulumi is/,
    );
  });

  it("uses a pulumi on PATH, and names both versions when it is not the SDK's", async () => {
    const bin = join(home, "path-bin");
    fakePulumi(bin, "3.1.0", log);
    const located = await locateEngine(PROJECT_DIR, { PATH: bin, FLIGHTDECK_HOME: home });
    assert.equal(located.path, join(bin, "pulumi"));
    assert.match(
      located.notice ?? "",
      new RegExp(`Pulumi CLI 3\\.1\\.0 .*built with Pulumi ${version.replace(/\./g, "\\.")}`),
    );
    fakePulumi(bin, version, log);
    assert.equal((await locateEngine(PROJECT_DIR, { PATH: bin, FLIGHTDECK_HOME: home })).notice, undefined);
  });

  it("uses its own install when none is on PATH, and installs it on first use", async () => {
    const root = engineRoot(version, { FLIGHTDECK_HOME: home });
    assert.equal(root, join(home, "pulumi", version));
    const downloads: string[] = [];
    const located = await locateEngine(
      PROJECT_DIR,
      { PATH: "/nope", FLIGHTDECK_HOME: home },
      {
        download: async (at) => {
          downloads.push(at);
          fakePulumi(join(at, "bin"), version, log);
        },
      },
    );
    assert.deepEqual(downloads, [root]);
    assert.deepEqual(located, { path: join(root, "bin", "pulumi"), source: "flightdeck" });
    // Installed once: the next run reuses it.
    await locateEngine(
      PROJECT_DIR,
      { PATH: "/nope", FLIGHTDECK_HOME: home },
      {
        download: async () => assert.fail("downloaded twice"),
      },
    );
  });

  it("says so clearly (exit 2) when the CLI cannot be installed, with both ways to do it by hand", async () => {
    await assert.rejects(
      locateEngine(
        PROJECT_DIR,
        { PATH: "/nope", FLIGHTDECK_HOME: home },
        {
          download: async () => {
            throw new Error("getaddrinfo EAI_AGAIN get.pulumi.com\n    at stack");
          },
        },
      ),
      (error: unknown) => {
        assert.ok(error instanceof EngineUnavailableError);
        assert.equal(error.exitCode, 2);
        assert.match(
          error.message,
          new RegExp(
            `Pulumi CLI ${version.replace(/\./g, "\\.")} is not installed and could not be downloaded \\(getaddrinfo EAI_AGAIN get\\.pulumi\\.com\\)`,
          ),
        );
        assert.match(error.tryMessage ?? "", /pulumi\.com\/docs\/install/);
        assert.match(error.tryMessage ?? "", /npm run engine:install/);
        return true;
      },
    );
  });

  it("installs the program's plugins at the lockfile's versions unless installed or on PATH", async () => {
    const pulumi = fakePulumi(join(home, "bin"), version, log);
    const env = { PATH: "/nope", PULUMI_HOME: join(home, ".pulumi") };
    const installed = await ensurePlugins(PROJECT_DIR, pulumi, env);
    const aws = JSON.parse(
      readFileSync(join(PROJECT_DIR, "node_modules/@pulumi/aws/package.json"), "utf8"),
    ).version;
    assert.ok(installed.includes(`aws ${aws}`), String(installed));
    assert.match(
      readFileSync(log, "utf8"),
      new RegExp(`plugin install resource aws ${aws.replace(/\./g, "\\.")}`),
    );

    // Already in the plugin cache (its layout: resource-<name>-v<version>), or ambient on PATH: nothing to do.
    for (const plugin of installed) {
      const [name, v] = plugin.split(" ");
      mkdirSync(join(pluginDir(env), `resource-${name}-v${v}`), { recursive: true });
    }
    assert.deepEqual(await ensurePlugins(PROJECT_DIR, pulumi, env), []);
    const ambient = join(home, "ambient");
    mkdirSync(ambient);
    for (const name of ["aws", "awsx"]) {
      writeFileSync(join(ambient, `pulumi-resource-${name}`), "#!/bin/sh\n");
      chmodSync(join(ambient, `pulumi-resource-${name}`), 0o755);
    }
    assert.deepEqual(
      await ensurePlugins(PROJECT_DIR, pulumi, { PATH: ambient, PULUMI_HOME: join(home, "empty") }),
      [],
    );
  });

  it("refuses clearly when a plugin cannot be downloaded", async () => {
    const pulumi = fakePulumi(join(home, "bin"), version, log);
    await assert.rejects(
      ensurePlugins(PROJECT_DIR, pulumi, { PATH: "/nope", PULUMI_HOME: join(home, ".p"), FAIL_PLUGIN: "1" }),
      (error: unknown) =>
        error instanceof EngineUnavailableError &&
        /plugin aws .* could not be downloaded/.test(error.message) &&
        /pulumi plugin install resource aws/.test(error.tryMessage ?? ""),
    );
    assert.ok(!existsSync(join(home, ".p", "plugins")));
  });

  it("installs the plugins once for the engine's life, tells what it installed, and tries again after a failure", async () => {
    const pulumi = fakePulumi(join(home, "bin"), version, log);
    const env: Record<string, string | undefined> = {
      PATH: "/nope",
      PULUMI_HOME: join(home, ".p"),
      FAIL_PLUGIN: "1",
    };
    const notices: string[] = [];
    const prepare = pluginsOnce(PROJECT_DIR, pulumi, env, { onNotice: (m) => notices.push(m) });
    await assert.rejects(prepare(), EngineUnavailableError);
    delete env.FAIL_PLUGIN;
    await Promise.all([prepare(), prepare()]);
    await prepare();
    const installs = readFileSync(log, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("plugin install resource aws "));
    assert.equal(installs.length, 2, "one failed try, then one install for every later call");
    assert.ok(
      notices.some((n) => /^Installed the Pulumi plugin aws \d+\.\d+\.\d+\.$/.test(n)),
      String(notices),
    );
  });
});

/**
 * The Automation API engine's wiring, through the real `@pulumi/pulumi/automation`
 * classes and a recording stand-in for the `pulumi` binary (a shell script on
 * PATH). It proves what flightdeck controls: where each command runs (the
 * stack's work directory), with which backend and passphrase, how the
 * Automation API's errors map to ours, and that the committed stack file is
 * never written. It does not prove Pulumi's own behaviour: that is the
 * contract test's job, against a real `pulumi` (skipped where there is none).
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { createLocalEngine, type LocalEngine } from "../../automation/engine/local.js";
import {
  StackLockedError,
  StackNotEmptyError,
  StackNotFoundError,
  UpdateCancelledError,
  UpdateFailedError,
} from "../../automation/engine.js";

const FAKE = `#!/bin/sh
printf '%s\\t%s\\t%s\\t%s\\n' "$PWD" "$PULUMI_BACKEND_URL" "\${PULUMI_CONFIG_PASSPHRASE:+passphrase}" "$*" >> "$FAKE_PULUMI_LOG"
case "$1 $2" in
  "version "*) echo "v3.248.0" ;;
  "stack select")
    case "$*" in *missing*) echo "error: no stack named 'missing' found" >&2; exit 255 ;; esac ;;
  "stack rm") echo "error: 'staging' still has resources; removal rejected. Possible actions:" >&2; exit 255 ;;
  "stack ls") echo '[{"name":"organization/flightdeck/staging","current":false,"updateInProgress":true,"resourceCount":3,"lastUpdate":"2026-11-21T10:00:00.000Z"}]' ;;
  "stack history") echo '[{"version":2,"kind":"update","startTime":"2026-11-21T10:00:00.000Z","endTime":"2026-11-21T10:05:00.000Z","message":"m","environment":{},"config":{"flightdeck:image":{"value":"{\\"commit\\":\\"abc\\"}","secret":false}},"result":"succeeded","resourceChanges":{"update":1}}]' ;;
  "up "*)
    case "$*" in
      *locked*) printf 'error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with \`pulumi cancel\`.\\n  file:///s/.pulumi/locks/organization/flightdeck/staging/a.json: created by alice@laptop (pid 4242) at 2026-11-21T10:00:00Z\\n' >&2; exit 255 ;;
      *) echo "error: update failed: resource web-alb could not be created" >&2; exit 255 ;;
    esac ;;
esac
exit 0
`;

const OFFLINE_AWS = {
  AWS_ENDPOINT_URL: "http://127.0.0.1:9",
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_REGION: "us-east-1",
  AWS_EC2_METADATA_DISABLED: "true",
};

describe("local engine wiring (stand-in pulumi binary)", function () {
  this.timeout(60_000);
  let project: string;
  let log: string;
  let engine: LocalEngine;
  let savedPath: string | undefined;
  const savedAws: Record<string, string | undefined> = {};
  const committed = "config:\n  aws:region: us-east-1\n  flightdeck:environment: staging\n";

  before(async () => {
    const root = mkdtempSync(join(tmpdir(), "flightdeck-wiring-"));
    mkdirSync(join(root, "bin"));
    writeFileSync(join(root, "bin", "pulumi"), FAKE);
    chmodSync(join(root, "bin", "pulumi"), 0o755);
    project = join(root, "project");
    mkdirSync(join(project, "dist"), { recursive: true });
    writeFileSync(join(project, "Pulumi.yaml"), "name: flightdeck\nruntime: nodejs\nmain: dist/main.js\n");
    writeFileSync(join(project, "Pulumi.staging.yaml"), committed);
    writeFileSync(join(project, "dist", "main.js"), "");
    log = join(root, "calls.log");
    writeFileSync(log, "");
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "flightdeck", type: "commonjs" }));
    symlinkSync(
      new URL("../../node_modules", import.meta.url).pathname,
      join(project, "node_modules"),
      "junction",
    );
    // The Automation API's child processes inherit this process's environment.
    process.env.FAKE_PULUMI_LOG = log;
    // The lock listing of the S3 backend goes nowhere but a closed port on this machine.
    for (const [key, value] of Object.entries(OFFLINE_AWS)) {
      savedAws[key] = process.env[key];
      process.env[key] = value;
    }
    savedPath = process.env.PATH;
    process.env.PATH = `${join(root, "bin")}${delimiter}${savedPath ?? ""}`;
    engine = await createLocalEngine(project, {
      PATH: process.env.PATH,
      PULUMI_BACKEND_URL: "s3://team-state/flightdeck",
      PULUMI_CONFIG_PASSPHRASE: "not-a-real-secret",
    });
  });

  after(() => {
    process.env.PATH = savedPath;
    for (const [key, value] of Object.entries(savedAws)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    delete process.env.FAKE_PULUMI_LOG;
  });

  const calls = () =>
    readFileSync(log, "utf8")
      .trimEnd()
      .split("\n")
      .filter((l) => l.length > 0)
      .map((l) => {
        const [cwd, backend, passphrase, args] = l.split("\t");
        return { cwd, backend, passphrase, args };
      });

  it("runs stack commands in the stack's work directory, with the backend and passphrase", async () => {
    await engine.ensureStack("staging");
    const select = calls().find((c) => c.args?.startsWith("stack select --stack staging"));
    assert.ok(select, JSON.stringify(calls()));
    assert.match(select.cwd ?? "", /\/project\/\.flightdeck\/stacks\/staging$/);
    assert.equal(select.backend, "s3://team-state/flightdeck");
    assert.equal(select.passphrase, "passphrase");
    const rendered = readFileSync(
      join(project, ".flightdeck", "stacks", "staging", "Pulumi.staging.yaml"),
      "utf8",
    );
    assert.match(rendered, /flightdeck:environment: staging/);
  });

  it("writes flightdeck's keys to the work directory, never to the committed file", async () => {
    await engine.setConfig("staging", {
      "flightdeck:image": { value: '{"commit":"abc","amiId":"ami-0123456789abcdef0"}' },
    });
    assert.equal(readFileSync(join(project, "Pulumi.staging.yaml"), "utf8"), committed);
    const rendered = readFileSync(
      join(project, ".flightdeck", "stacks", "staging", "Pulumi.staging.yaml"),
      "utf8",
    );
    assert.match(rendered, /flightdeck:image:\n\s+commit: abc\n\s+amiId: ami-0123456789abcdef0/);
  });

  it("lists stacks by their short names and maps history", async () => {
    assert.deepEqual(await engine.listStacks(), [
      { name: "staging", lastUpdate: "2026-11-21T10:00:00.000Z", updateInProgress: true, resourceCount: 3 },
    ]);
    const [record] = await engine.history("staging", 1);
    assert.equal(record?.startTime, "2026-11-21T10:00:00.000Z");
    assert.equal(record?.config["flightdeck:image"]?.value, '{"commit":"abc"}');
    assert.ok(
      // Every page, not the CLI's default first 10 entries.
      calls().some((c) =>
        c.args?.startsWith("stack history --json --page-size 100 --page 1 --stack staging"),
      ),
    );
  });

  it("maps a lock to StackLockedError with holder and time, a missing stack and a failed update", async () => {
    await assert.rejects(engine.up("staging", { message: "locked" }), (error: unknown) => {
      assert.ok(error instanceof StackLockedError, String(error));
      assert.equal(error.holder, "alice@laptop (pid 4242)");
      assert.equal(error.since, "2026-11-21T10:00:00Z");
      return true;
    });
    await assert.rejects(engine.up("staging", { message: "other" }), (error: unknown) => {
      assert.ok(error instanceof UpdateFailedError, String(error));
      assert.match(error.message, /resource web-alb could not be created/);
      return true;
    });
    await assert.rejects(engine.history("missing"), StackNotFoundError);
  });

  it("a cancel that lands while the stack is being selected never starts the update", async () => {
    const controller = new AbortController();
    const before = calls().filter((c) => c.args?.startsWith("up ")).length;
    const update = engine.up("staging", { message: "cancelled early", signal: controller.signal });
    // Abort after the call began (stack selection runs `pulumi` first), before the update starts.
    setImmediate(() => controller.abort());
    await assert.rejects(update, UpdateCancelledError);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(
      calls().filter((c) => c.args?.startsWith("up ")).length,
      before,
      "no `pulumi up` was started",
    );
  });

  it("maps Pulumi's refusal to remove a stack with resources", async () => {
    await assert.rejects(engine.removeStack("staging"), StackNotEmptyError);
  });
});

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redactSecrets, renderError } from "../../cli/errors.js";
import { formatDuration, formatStatus, table } from "../../cli/format.js";
import { createInterrupter, pendingMessage } from "../../cli/interrupt.js";
import { colorEnabled, colors, isCI, jsonEventLine, outputMode, plainEventLine } from "../../cli/output.js";
import { ConfigError, GuardError, UserError } from "../../infra/errors.js";
import { terminalText } from "../../cli/terminal-text.js";
import { deployStream } from "./events.js";

const tty = { stdoutIsTTY: true, stdinIsTTY: true, env: {}, json: false, nonInteractive: false };

describe("cli: output mode, renderers, errors, interrupts", () => {
  it("chooses the output mode in one place", () => {
    assert.equal(outputMode(tty), "ink");
    assert.equal(outputMode({ ...tty, json: true }), "json");
    assert.equal(outputMode({ ...tty, nonInteractive: true }), "plain");
    assert.equal(outputMode({ ...tty, env: { CI: "true" } }), "plain");
    assert.equal(outputMode({ ...tty, env: { CI: "1" } }), "plain");
    assert.equal(outputMode({ ...tty, env: { CI: "false" } }), "ink");
    assert.equal(outputMode({ ...tty, stdoutIsTTY: false }), "plain");
    assert.equal(outputMode({ ...tty, stdinIsTTY: false }), "plain");
    assert.equal(outputMode({ ...tty, stdoutIsTTY: false, json: true }), "json");
    assert.equal(isCI({ CI: "" }), false);
  });

  it("uses colour only on a terminal without NO_COLOR", () => {
    assert.equal(colorEnabled(true, {}), true);
    assert.equal(colorEnabled(false, {}), false);
    assert.equal(colorEnabled(true, { NO_COLOR: "1" }), false);
    const c = colors(false);
    const line = plainEventLine(deployStream()[9] as never, c) ?? "";
    assert.ok(!line.includes("\u001b["));
    // flightdeck's own colours become escape codes where the line is printed (terminalText).
    const coloured = terminalText(plainEventLine(deployStream()[9] as never, colors(true)) ?? "");
    assert.ok(coloured.includes("\u001b["));
  });

  it("keeps its own colours but shows a value's escape sequences as text", () => {
    const c = colors(true);
    const hostile = "main\u001b[2J\u001b]0;pwned\u0007\r\u009b31m\u202e";
    const printed = terminalText(`${c.red("Error:")} '${hostile}' ${c.bold(c.dim("x"))}`);
    assert.ok(printed.startsWith("\u001b[31mError:\u001b[39m"), JSON.stringify(printed));
    assert.ok(
      printed.includes("'main\\u001b[2J\\u001b]0;pwned\\u0007\\u000d\\u009b31m\\u202e'"),
      JSON.stringify(printed),
    );
    // Only the codes flightdeck wrote are real escapes: red, bold, dim, their closes, and
    // picocolors' bold reopened after dim's close (nesting still works).
    assert.equal(printed.split("\u001b").length - 1, 7);
    // A value's escapes inside a colour stay text too.
    assert.equal(terminalText(c.red("\u001b[2J")), "\u001b[31m\\u001b[2J\u001b[39m");
    assert.equal(terminalText(colors(false).red("\u001b[2J")), "\\u001b[2J");
  });

  it("renders events as plain timestamped lines, hiding debug/info chatter", () => {
    const c = colors(false);
    const lines = deployStream().map((e) => plainEventLine(e, c));
    assert.equal(
      lines[0],
      "10:00:01 start deploy stack=staging commit=1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b image=ami-0123456789abcdef0 actor=alice@example.com log=/p/.flightdeck/logs/deploy.jsonl",
    );
    assert.equal(lines[2], "10:00:03 guard allowed-branch: allowed (1a2b3c4 is on main)");
    assert.equal(lines[5], "10:00:08 done update aws:lb/loadBalancer:LoadBalancer web-alb");
    assert.equal(lines[6], undefined);
    assert.equal(lines[7], "10:00:10 warning instance refresh is slow");
    assert.equal(lines[8], "10:00:11 done replace aws:autoscaling/group:Group web-app in 42s");
    assert.equal(
      lines[9],
      "10:00:12 ok deployed 1a2b3c4 to staging (1 update, 1 replace) in 1m 05s https://staging.example.com",
    );
  });

  it("renders events as JSON lines that parse back to the same event", () => {
    for (const event of deployStream()) {
      const line = jsonEventLine(event);
      assert.doesNotMatch(line, /\n/);
      assert.deepEqual(JSON.parse(line), event);
    }
  });

  it("formats tables and durations", () => {
    assert.equal(table(["A", "BB"], [["xxx", "y"]]), "A    BB\nxxx  y");
    assert.equal(formatDuration(65_000), "1m 05s");
    assert.equal(formatDuration(3 * 3600_000 + 5 * 60_000), "3h 05m");
    assert.match(formatStatus([], new Date()), /No stacks yet/);
  });

  it("renders a user error with what to try and next steps, and its exit code", () => {
    const ctx = { colors: colors(false), env: {}, logDir: "/p/.flightdeck/logs" };
    const guard = renderError(
      new GuardError("allowed-branch", "abc is not on main", {
        tryMessage: "Merge it first.",
        nextSteps: ["a", "b"],
      }),
      ctx,
    );
    assert.equal(guard.exitCode, 3);
    assert.equal(guard.text, "Error: abc is not on main\nTry: Merge it first.\nNext steps:\n  - a\n  - b");
    assert.deepEqual(guard.json, {
      name: "GuardError",
      message: "abc is not on main",
      tryMessage: "Merge it first.",
      nextSteps: ["a", "b"],
      exitCode: 3,
    });
    const config = renderError(
      new ConfigError("Pulumi.x.yaml", ["Pulumi.x.yaml: a: bad", "Pulumi.x.yaml: b: worse"]),
      ctx,
    );
    assert.match(config.text, /a: bad\n.*b: worse/);
    assert.equal(config.exitCode, 2);
  });

  it("renders a bug as a short trace with where the log is, exit 1", () => {
    const ctx = { colors: colors(false), env: {}, logDir: "/p/.flightdeck/logs" };
    const bug = renderError(new TypeError("x is undefined"), {
      ...ctx,
      logFile: "/p/.flightdeck/logs/op.jsonl",
    });
    assert.equal(bug.exitCode, 1);
    assert.match(bug.text, /^flightdeck hit a bug: x is undefined\nTypeError: x is undefined\n\s+at /);
    assert.ok(bug.text.split("\n").filter((l) => /^\s+at /.test(l)).length <= 6);
    assert.match(bug.text, /The operation log is \/p\/\.flightdeck\/logs\/op\.jsonl\./);
    assert.match(renderError("boom", ctx).text, /Operation logs are in \/p\/\.flightdeck\/logs\./);
  });

  it("never prints the value of a secret environment variable", () => {
    const env = {
      PULUMI_CONFIG_PASSPHRASE: "correct-horse-battery",
      AWS_SECRET_ACCESS_KEY: "abcdEFGH1234",
      HOME: "/root",
    };
    assert.equal(
      redactSecrets("pass correct-horse-battery key abcdEFGH1234 home /root", env),
      "pass [secret] key [secret] home /root",
    );
    const rendered = renderError(new UserError("login failed with correct-horse-battery"), {
      colors: colors(false),
      env,
      logDir: "/l",
    });
    assert.doesNotMatch(rendered.text, /correct-horse/);
    assert.doesNotMatch(JSON.stringify(rendered.json), /correct-horse/);
  });

  it("never prints the passphrase kept in PULUMI_CONFIG_PASSPHRASE_FILE", () => {
    const dir = mkdtempSync(join(tmpdir(), "flightdeck-passphrase-"));
    const file = join(dir, "passphrase");
    writeFileSync(file, "staple-battery-horse\n");
    const env = { PULUMI_CONFIG_PASSPHRASE_FILE: file };
    assert.equal(
      redactSecrets("decrypting with staple-battery-horse failed", env),
      "decrypting with [secret] failed",
    );
    // The file's path is not a secret; an unreadable file masks nothing and does not throw.
    assert.equal(redactSecrets(`read ${file}`, env), `read ${file}`);
    assert.equal(redactSecrets("x", { PULUMI_CONFIG_PASSPHRASE_FILE: join(dir, "missing") }), "x");
  });

  it("first interrupt aborts the operation; the second says what is pending and exits 130", () => {
    const handlers = new Map<string, () => void>();
    const said: string[] = [];
    const exits: number[] = [];
    const interrupter = createInterrupter({
      signals: { on: (s, h) => handlers.set(s, h), off: (s) => handlers.delete(s) },
      say: (t) => said.push(t),
      exit: (code) => exits.push(code),
    });
    interrupter.setStack("staging");
    handlers.get("SIGINT")?.();
    assert.equal(interrupter.signal.aborted, true);
    assert.deepEqual(exits, []);
    assert.match(said[0] ?? "", /Cancelling the update of 'staging'/);
    handlers.get("SIGTERM")?.();
    assert.deepEqual(exits, [130]);
    assert.match(said[1] ?? "", /pulumi cancel --stack staging/);
    interrupter.dispose();
    assert.equal(handlers.size, 0);
    assert.match(pendingMessage(undefined), /pulumi cancel --stack <stack>/);
  });
});

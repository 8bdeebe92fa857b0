import assert from "node:assert/strict";
import { EXIT_CODE_TABLE, parseCommandLine } from "../../cli/parse.js";
import { isUserError } from "../../infra/errors.js";

function usage(argv: string[]) {
  try {
    parseCommandLine(argv);
  } catch (error) {
    assert.ok(isUserError(error), `expected a UserError for ${argv.join(" ")}`);
    return error;
  }
  assert.fail(`expected ${argv.join(" ")} to be refused`);
}

const G = { json: false, nonInteractive: false, yes: false };

describe("cli: parseCommandLine", () => {
  it("parses every command with its arguments and options", () => {
    assert.deepEqual(parseCommandLine([]), { command: "default", globals: G });
    assert.deepEqual(parseCommandLine(["--json", "--cwd", "/x"]), {
      command: "default",
      globals: { ...G, json: true, cwd: "/x" },
    });
    assert.deepEqual(parseCommandLine(["status"]), { command: "status", globals: G });
    assert.deepEqual(parseCommandLine(["plan", "staging", "--offline"]), {
      command: "plan",
      stack: "staging",
      offline: true,
      globals: G,
    });
    assert.deepEqual(parseCommandLine(["plan", "preview", "--commit", "1a2b3c4", "--offline", "--json"]), {
      command: "plan",
      stack: "preview",
      offline: true,
      commit: "1a2b3c4",
      globals: { ...G, json: true },
    });
    assert.deepEqual(parseCommandLine(["deploy", "staging", "--commit", "main"]), {
      command: "deploy",
      env: "staging",
      commit: "main",
      globals: G,
    });
    assert.deepEqual(
      parseCommandLine(["promote", "staging", "production", "--yes", "--actor", "ci@example.com"]),
      {
        command: "promote",
        from: "staging",
        to: "production",
        globals: { ...G, yes: true, actor: "ci@example.com" },
      },
    );
    assert.deepEqual(parseCommandLine(["rollback", "production", "1a2b3c4", "-y"]), {
      command: "rollback",
      env: "production",
      ref: "1a2b3c4",
      globals: { ...G, yes: true },
    });
    assert.deepEqual(parseCommandLine(["history", "staging", "--limit", "5"]), {
      command: "history",
      env: "staging",
      limit: 5,
      globals: G,
    });
    assert.deepEqual(parseCommandLine(["preview", "up", "--commit", "HEAD", "--ttl", "48h"]), {
      command: "preview up",
      commit: "HEAD",
      ttl: "48h",
      globals: G,
    });
    assert.deepEqual(parseCommandLine(["preview", "down", "preview-1a2b3c4"]), {
      command: "preview down",
      ref: "preview-1a2b3c4",
      globals: G,
    });
    assert.deepEqual(parseCommandLine(["preview", "list", "--json"]), {
      command: "preview list",
      globals: { ...G, json: true },
    });
    assert.deepEqual(parseCommandLine(["reap", "--older-than", "72h", "--dry-run", "--concurrency", "8"]), {
      command: "reap",
      olderThan: "72h",
      dryRun: true,
      concurrency: 8,
      globals: G,
    });
    assert.deepEqual(parseCommandLine(["--non-interactive", "reap"]), {
      command: "reap",
      dryRun: false,
      globals: { ...G, nonInteractive: true },
    });
  });

  it("returns help text with examples and the exit code table for every command", () => {
    const commands = [
      [],
      ["status"],
      ["plan"],
      ["deploy"],
      ["promote"],
      ["rollback"],
      ["history"],
      ["preview"],
      ["preview", "up"],
      ["preview", "down"],
      ["preview", "list"],
      ["reap"],
    ];
    for (const c of commands) {
      const result = parseCommandLine([...c, "--help"]);
      assert.equal(result.command, "help", c.join(" "));
      if (result.command !== "help") continue;
      assert.match(
        result.text,
        /Examples:\n {2}\$ flightdeck/,
        `examples in ${c.join(" ") || "top-level"} help`,
      );
      for (const [code] of EXIT_CODE_TABLE) assert.match(result.text, new RegExp(`\\n {2}${code} `));
      assert.match(result.text, /--non-interactive/, "global options shown");
    }
    const top = parseCommandLine(["--help"]);
    assert.ok(top.command === "help" && /deploy.*\n/.test(top.text) && top.text.includes("preview"));
    assert.equal(parseCommandLine(["help", "deploy"]).command, "help");
  });

  it("refuses an unknown command or option with a suggestion, exit 2", () => {
    const cmd = usage(["deplyo", "staging"]);
    assert.equal(cmd.exitCode, 2);
    assert.match(cmd.message, /unknown command 'deplyo'/);
    assert.equal(cmd.tryMessage, "Did you mean deploy?");
    const opt = usage(["deploy", "staging", "--comit", "abc"]);
    assert.match(opt.message, /unknown option '--comit'/);
    assert.equal(opt.tryMessage, "Did you mean --commit?");
    assert.ok(opt.nextSteps.some((s) => s.includes("flightdeck deploy --help")));
    assert.match(usage(["--jsno"]).tryMessage ?? "", /--json/);
  });

  it("refuses missing or extra arguments and bad values", () => {
    assert.match(usage(["deploy"]).message, /missing required argument 'env'/);
    assert.match(usage(["promote", "staging"]).message, /missing required argument 'to'/);
    assert.match(usage(["status", "extra"]).message, /too many arguments/);
    assert.match(usage(["preview"]).message, /needs a sub-command/);
    assert.match(usage(["reap", "--concurrency", "0"]).message, /whole number/);
    assert.match(usage(["reap", "--concurrency", "2.5"]).message, /whole number/);
    assert.match(usage(["reap", "--older-than", "3 days"]).message, /duration/);
    assert.match(usage(["preview", "up", "--ttl", "0h"]).message, /duration/);
    assert.match(usage(["deploy", "prod;rm"]).message, /stack name/);
    assert.match(usage(["history", "staging", "--limit", "x"]).message, /whole number/);
    for (const argv of [["deploy"], ["deplyo"], ["preview"]]) assert.equal(usage(argv).exitCode, 2);
  });

  it("a bad value of a sub-command's option points to that sub-command's help, in one sentence", () => {
    const ttl = usage(["preview", "up", "--ttl", "5x"]);
    assert.equal(ttl.exitCode, 2);
    assert.equal(
      ttl.message,
      "option '--ttl <duration>' argument '5x' is invalid: it must be a duration like 30m, 24h or 7d.",
    );
    assert.equal(ttl.tryMessage, "Run `flightdeck preview up --help` for usage.");
    assert.equal(usage(["preview", "down"]).tryMessage, "Run `flightdeck preview down --help` for usage.");
    const group = parseCommandLine(["preview", "--help"]);
    assert.ok(group.command === "help");
    assert.match(
      group.text,
      /\$ flightdeck preview down 1a2b3c4 --yes/,
      "every preview sub-command has an example",
    );
    assert.equal(
      usage(["reap", "--concurrency", "0"]).message,
      "option '--concurrency <n>' argument '0' is invalid: it must be a whole number from 1 to 64.",
    );
  });

  it("has no side effects: parsing twice gives the same result", () => {
    const argv = ["deploy", "staging", "--commit", "abc"];
    assert.deepEqual(parseCommandLine(argv), parseCommandLine(argv));
  });
});

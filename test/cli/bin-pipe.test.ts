/** The real bin piped into a reader that stops early (`flightdeck plan staging --offline | head -1`). */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, ensureBuilt, ROOT } from "./build.js";

describe("cli: the real bin, piped into a reader that stops early", function () {
  this.timeout(120_000);

  before(function () {
    this.timeout(600_000);
    ensureBuilt();
  });

  it("prints no EPIPE trace and ends with the command's own exit code", async () => {
    const child = spawn(process.execPath, [BIN, "plan", "staging", "--offline"], {
      cwd: ROOT,
      env: { HOME: process.env.HOME ?? "/root", CI: "true", PATH: mkdtempSync(join(tmpdir(), "fd-nopath-")) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    // Like `head -1`: read the first chunk, then go away.
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    assert.doesNotMatch(stderr, /EPIPE|Unhandled 'error' event/, stderr);
    assert.equal(code, 0, stderr);
  });
});

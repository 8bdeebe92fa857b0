/** The Automation API engine's backend, history and program checks that need no Pulumi CLI. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  backendUrlFor,
  cancelCommand,
  displayUrl,
  encryptionFromDeployment,
  passphraseEnv,
} from "../../automation/engine/backend.js";
import { runningUpdates, stacksOfLockKeys } from "../../automation/engine/locks.js";
import { requireBuiltProgram } from "../../automation/engine/program-build.js";
import { failureReason, numberHistory, reasonOfDiagnostic } from "../../automation/engine/pulumi-records.js";
import { renderStackFile, renderStackFileText } from "../../automation/engine/workdir.js";
import type { UpdateRecord } from "../../automation/engine.js";
import { UserError } from "../../infra/errors.js";

function record(version: number, message: string): UpdateRecord {
  return {
    version,
    kind: "update",
    result: "succeeded",
    message,
    startTime: "",
    config: {},
    environment: {},
  };
}

describe("local engine: backend and history", () => {
  it("resolves a relative file backend and passphrase file once, against where flightdeck started", () => {
    // Pulumi would make them absolute against each stack's own work directory (massageBlobPath in
    // pkg/backend/diy/backend.go), splitting one backend into one per stack.
    assert.deepEqual(
      backendUrlFor({ PULUMI_BACKEND_URL: "file://./state?no_tmp_dir=true" }, "/home/u", "/work"),
      {
        url: "file:///work/state?no_tmp_dir=true",
        localDir: "/work/state",
      },
    );
    assert.equal(
      backendUrlFor({ PULUMI_BACKEND_URL: "file://~/state" }, "/home/u", "/work").url,
      "file://~/state",
    );
    assert.equal(
      backendUrlFor({ PULUMI_BACKEND_URL: "s3://b/p?region=eu-west-1" }).url,
      "s3://b/p?region=eu-west-1",
    );
    assert.deepEqual(passphraseEnv({ PULUMI_CONFIG_PASSPHRASE_FILE: "secrets/pass" }, "/work"), {
      PULUMI_CONFIG_PASSPHRASE_FILE: "/work/secrets/pass",
    });
  });

  it("names the backend in the command that clears a lock, with any password masked", () => {
    const command = cancelCommand(
      "staging",
      "postgres://ci:hunter22@db/state",
      "/p/.flightdeck/stacks/staging",
    );
    assert.match(
      command,
      /^PULUMI_BACKEND_URL='postgres:\/\/ci:\*\*\*\*@db\/state' pulumi cancel --yes --stack staging --cwd/,
    );
    assert.doesNotMatch(command, /hunter22/);
    assert.equal(displayUrl("s3://bucket/state"), "s3://bucket/state");
  });

  it("numbers a DIY backend's history (every entry is version 0 there), oldest first = 1", () => {
    const numbered = numberHistory([record(0, "third"), record(0, "second"), record(0, "first")]);
    assert.deepEqual(
      numbered.map((r) => [r.version, r.message]),
      [
        [3, "third"],
        [2, "second"],
        [1, "first"],
      ],
    );
    const cloud = [record(7, "b"), record(6, "a")];
    assert.deepEqual(numberHistory(cloud), cloud);
  });

  it("gets the stack's encryption settings back from its exported state", () => {
    assert.deepEqual(
      encryptionFromDeployment({
        deployment: { secrets_providers: { type: "passphrase", state: { salt: "v1:s" } } },
      }),
      { encryptionsalt: "v1:s" },
    );
    assert.deepEqual(
      encryptionFromDeployment({
        deployment: {
          secrets_providers: { type: "cloud", state: { url: "awskms://k?region=r", encryptedkey: "ek" } },
        },
      }),
      { secretsprovider: "awskms://k?region=r", encryptedkey: "ek" },
    );
    assert.deepEqual(encryptionFromDeployment({ deployment: {} }), {});
  });

  it("keeps secrets set on the stack when re-rendering, and restores encryption on a fresh machine", () => {
    const committed = { config: { "flightdeck:environment": "staging" } };
    const current = {
      encryptionsalt: "v1:mine",
      config: { "flightdeck:environment": "old", "flightdeck:token": { secure: "v1:cipher" } },
    };
    assert.deepEqual(renderStackFile({ committed, current }), {
      encryptionsalt: "v1:mine",
      config: { "flightdeck:environment": "staging", "flightdeck:token": { secure: "v1:cipher" } },
    });
    assert.equal(
      renderStackFile({ committed, recorded: {}, encryption: { encryptionsalt: "v1:state" } }).encryptionsalt,
      "v1:state",
    );
  });

  it("sees a running update by its lock file on a DIY backend", async () => {
    const state = mkdtempSync(join(tmpdir(), "flightdeck-locks-"));
    const lockDir = join(state, ".pulumi", "locks", "organization", "flightdeck");
    mkdirSync(join(lockDir, "staging"), { recursive: true });
    mkdirSync(join(lockDir, "testing"), { recursive: true });
    writeFileSync(join(lockDir, "staging", "9f1c.json"), "{}");
    const locked = await runningUpdates({ url: `file://${state}`, localDir: state }, "flightdeck");
    assert.deepEqual([...locked], ["staging"]);
    assert.deepEqual(
      [
        ...stacksOfLockKeys(
          ["team/.pulumi/locks/organization/flightdeck/production/a.json", "x/other.json"],
          "flightdeck",
        ),
      ],
      ["production"],
    );
  });
});

describe("local engine: the compiled program", () => {
  function project(): string {
    const dir = mkdtempSync(join(tmpdir(), "flightdeck-build-"));
    mkdirSync(join(dir, "infra"));
    mkdirSync(join(dir, "dist", "infra"), { recursive: true });
    writeFileSync(join(dir, "infra", "main.ts"), "export {};\n");
    writeFileSync(join(dir, "dist", "infra", "main.js"), "export {};\n");
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(dir, "infra", "main.ts"), past, past);
    return dir;
  }

  it("runs a program built after its sources", async () => {
    await requireBuiltProgram(project(), "dist/infra/main.js");
  });

  it("refuses a missing build, and a build older than a source, naming what to run", async () => {
    const dir = project();
    await assert.rejects(requireBuiltProgram(dir, "dist/infra/other.js"), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.equal(error.exitCode, 2);
      assert.match(error.message, /dist\/infra\/other\.js does not exist/);
      assert.match(error.tryMessage ?? "", /npm run build/);
      return true;
    });
    writeFileSync(join(dir, "infra", "network.ts"), "export {};\n");
    const future = new Date(Date.now() + 60_000);
    utimesSync(join(dir, "infra", "network.ts"), future, future);
    await assert.rejects(
      requireBuiltProgram(dir, "dist/infra/main.js"),
      /infra\/network\.ts changed after dist\/infra\/main\.js was built/,
    );
  });
});

describe("local engine: what reaches Pulumi and back", () => {
  it("quotes strings Pulumi's YAML reader would take for timestamps or booleans", () => {
    // Pulumi reads a plain 2026-01-01T00:00:00.000Z as a YAML timestamp and hands the program
    // "2026-01-01 00:00:00 +0000 UTC" (sdk/go/common/resource/config/object.go, unmarshalObject).
    const text = renderStackFileText({
      config: { "flightdeck:release": { at: "2026-01-01T00:00:00.000Z", ok: "yes" } },
    });
    assert.match(text, /at: "2026-01-01T00:00:00\.000Z"/);
    assert.match(text, /ok: "yes"/);
  });

  it("names a failed resource in the reason, past the engine's own closing 'update failed'", () => {
    const urn = "urn:pulumi:testing::flightdeck::aws:autoscaling/group:Group::testing-fleet-app-asg";
    const reason = reasonOfDiagnostic("creating the group failed: capacity", urn);
    assert.equal(reason, "testing-fleet-app-asg: creating the group failed: capacity");
    assert.equal(failureReason("", [reason, "update failed"]), reason);
  });
});

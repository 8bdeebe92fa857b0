/** The Automation API engine's pure parts and its work directories (no Pulumi CLI needed). */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { backendUrlFor, secretsSourceFor } from "../../automation/engine/backend.js";
import { findOnPath } from "../../automation/engine/install.js";
import { createLocalEngine } from "../../automation/engine/local.js";
import {
  changesOf,
  failureReason,
  parseLockHolder,
  toEngineEvent,
  toUpdateRecord,
} from "../../automation/engine/pulumi-records.js";
import {
  committedStackFilePath,
  mainRoot,
  prepareProjectFiles,
  readProjectFile,
  readStackFile,
  renderStackFile,
  workDirFor,
  writeStackFile,
} from "../../automation/engine/workdir.js";
import { EngineUnavailableError } from "../../automation/engine.js";
import { UserError } from "../../infra/errors.js";

const PROJECT_DIR = new URL("../..", import.meta.url).pathname;

describe("local engine: pure parts", () => {
  it("fails at once with exit 2 when no pulumi is on PATH and none can be installed", async () => {
    const home = mkdtempSync(join(tmpdir(), "flightdeck-home-"));
    await assert.rejects(
      createLocalEngine(
        PROJECT_DIR,
        { PATH: "/definitely/not/here", FLIGHTDECK_HOME: home },
        {
          download: async () => {
            throw new Error("getaddrinfo ENOTFOUND get.pulumi.com");
          },
        },
      ),
      (error: unknown) => {
        assert.ok(error instanceof EngineUnavailableError);
        assert.equal(error.exitCode, 2);
        assert.match(error.message, /ENOTFOUND get\.pulumi\.com/);
        assert.match(error.tryMessage ?? "", /pulumi\.com\/docs\/install/);
        assert.match(error.tryMessage ?? "", /npm run engine:install/);
        return true;
      },
    );
  });

  it("finds an executable on PATH", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flightdeck-path-"));
    writeFileSync(join(dir, "pulumi"), "#!/bin/sh\n");
    chmodSync(join(dir, "pulumi"), 0o755);
    assert.equal(await findOnPath("pulumi", { PATH: `/nope:${dir}` }), join(dir, "pulumi"));
    assert.equal(await findOnPath("pulumi", { PATH: "/nope" }), undefined);
  });

  it("uses PULUMI_BACKEND_URL, else a per-user file backend", () => {
    assert.deepEqual(backendUrlFor({ PULUMI_BACKEND_URL: "s3://bucket/state" }, "/home/u"), {
      url: "s3://bucket/state",
    });
    assert.deepEqual(backendUrlFor({}, "/home/u"), {
      url: "file:///home/u/.flightdeck/state",
      localDir: "/home/u/.flightdeck/state",
    });
  });

  it("needs a passphrase or a KMS secrets provider", () => {
    assert.deepEqual(secretsSourceFor("staging", { PULUMI_CONFIG_PASSPHRASE: "" }), { kind: "passphrase" });
    assert.deepEqual(secretsSourceFor("staging", { PULUMI_CONFIG_PASSPHRASE_FILE: "/run/pass" }), {
      kind: "passphrase",
    });
    assert.deepEqual(secretsSourceFor("production", {}, { secretsprovider: "awskms://alias/flightdeck" }), {
      kind: "provider",
      provider: "awskms://alias/flightdeck",
    });
    assert.throws(
      () => secretsSourceFor("production", {}, { secretsprovider: "passphrase" }),
      (error: unknown) =>
        error instanceof UserError && /PULUMI_CONFIG_PASSPHRASE/.test(error.tryMessage ?? ""),
    );
  });

  it("reads who holds a lock from Pulumi's message", () => {
    const message =
      "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n" +
      "  s3://state/.pulumi/locks/organization/flightdeck/production/5f1.json: created by alice@laptop (pid 4242) at 2026-11-21T10:00:00Z";
    assert.deepEqual(parseLockHolder(message), {
      holder: "alice@laptop (pid 4242)",
      since: "2026-11-21T10:00:00Z",
    });
    assert.deepEqual(parseLockHolder("[409] Conflict: Another update is currently in progress."), {});
  });

  it("maps engine events", () => {
    const metadata = {
      op: "create-replacement",
      urn: "urn:pulumi:s::p::aws:ec2/instance:Instance::web",
      type: "aws:ec2/instance:Instance",
      provider: "",
    };
    assert.deepEqual(
      toEngineEvent({ sequence: 1, timestamp: 1, resourcePreEvent: { metadata: metadata as never } }),
      {
        kind: "resource",
        urn: metadata.urn,
        resourceType: metadata.type,
        name: "web",
        op: "replace",
        status: "started",
      },
    );
    assert.equal(
      (
        toEngineEvent({
          sequence: 2,
          timestamp: 1,
          resOpFailedEvent: { metadata: metadata as never, status: 1, steps: 1 },
        }) as { status: string }
      ).status,
      "failed",
    );
    assert.deepEqual(
      toEngineEvent({
        sequence: 3,
        timestamp: 1,
        diagnosticEvent: { message: "oops\n", color: "never", severity: "info#err" },
      }),
      { kind: "diagnostic", severity: "info", message: "oops" },
    );
    assert.equal(
      toEngineEvent({
        sequence: 4,
        timestamp: 1,
        diagnosticEvent: { message: "x", color: "", severity: "info", ephemeral: true },
      }),
      undefined,
    );
    assert.deepEqual(
      toEngineEvent({
        sequence: 5,
        timestamp: 1,
        summaryEvent: {
          maybeCorrupt: false,
          durationSeconds: 1,
          resourceChanges: { create: 2, "delete-replaced": 1, replace: 1, same: 0 },
          policyPacks: {},
        },
      }),
      { kind: "summary", changes: { create: 2, replace: 2 } },
    );
    assert.equal(
      toEngineEvent({ sequence: 6, timestamp: 1, stdoutEvent: { message: "x", color: "" } }),
      undefined,
    );
    assert.deepEqual(changesOf({ discard: 1, delete: 1 }), { delete: 2 });
  });

  it("maps history summaries, hiding secret values", () => {
    const record = toUpdateRecord({
      kind: "update",
      startTime: new Date("2026-01-01T00:00:00Z"),
      endTime: new Date("2026-01-01T00:01:00Z"),
      message: "m",
      environment: { "git.head": "abc" },
      config: {
        "flightdeck:image": { value: '{"commit":"x"}', secret: false },
        "app:key": { value: "hunter2", secret: true },
      },
      result: "succeeded",
      version: 3,
      resourceChanges: { update: 1 },
    });
    assert.equal(record.startTime, "2026-01-01T00:00:00.000Z");
    assert.deepEqual(record.config["app:key"], { value: "[secret]", secret: true });
    assert.deepEqual(record.resourceChanges, { update: 1 });
  });

  it("explains a failure by the last error diagnostic, with a program's own error and no stack frames", () => {
    // The diagnostic Pulumi 3.248 reports for a program that throws (seen in its event log).
    const crash =
      "Running program '/w/dist/main.js' failed with an unhandled exception:\n" +
      "Error: database snapshot id is missing: set flightdeck:database.snapshot\n" +
      "    at Object.<anonymous> (/w/dist/main.js:5:7)\n" +
      "    at Module._compile (node:internal/modules/cjs/loader:1521:14)\n";
    assert.equal(
      failureReason("stderr: lots", ["first", crash]),
      "Running program '/w/dist/main.js' failed with an unhandled exception: Error: database snapshot id is missing: set flightdeck:database.snapshot",
    );
    assert.equal(failureReason("stderr: lots", ["first", "second error\nmore"]), "second error more");
    assert.equal(
      failureReason("code: 255\nstdout: \nstderr: error: update failed\n", []),
      "error: update failed",
    );
  });
});

describe("local engine: work directories", () => {
  const committed = {
    encryptionsalt: "v1:salt",
    config: {
      "aws:region": "us-east-1",
      "flightdeck:environment": "staging",
      "flightdeck:domain": "new.example.com",
    },
  };

  it("keeps the committed file authoritative and only flightdeck's own keys from before", () => {
    const current = {
      encryptionsalt: "v1:other",
      config: {
        "flightdeck:domain": "old.example.com",
        "flightdeck:cache": { nodeType: "cache.t4g.small" },
        "flightdeck:image": { commit: "a".repeat(40), amiId: "ami-0123456789abcdef0" },
        "flightdeck:release": { actor: "a@b.c" },
      },
    };
    const out = renderStackFile({ committed, current });
    assert.equal(out.encryptionsalt, "v1:salt");
    assert.deepEqual(out.config, {
      ...committed.config,
      "flightdeck:image": current.config["flightdeck:image"],
      "flightdeck:release": current.config["flightdeck:release"],
    });
  });

  it("keeps a preview's whole config, or restores it from the recorded update", () => {
    const current = {
      encryptionsalt: "v1:p",
      config: { "flightdeck:environment": "preview", "flightdeck:previewMeta": { commit: "c" } },
    };
    assert.deepEqual(renderStackFile({ current }), current);
    assert.deepEqual(renderStackFile({ recorded: { "flightdeck:environment": "preview" } }), {
      config: { "flightdeck:environment": "preview" },
    });
  });

  it("prepares a work directory without touching the committed files", async () => {
    const project = mkdtempSync(join(tmpdir(), "flightdeck-wd-"));
    mkdirSync(join(project, "dist", "infra"), { recursive: true });
    writeFileSync(
      join(project, "Pulumi.yaml"),
      "name: flightdeck\nruntime: nodejs\nmain: dist/infra/main.js\n",
    );
    const committedText = "# comment kept\nconfig:\n  aws:region: us-east-1\n";
    writeFileSync(join(project, "Pulumi.staging.yaml"), committedText);
    const info = await readProjectFile(project);
    assert.equal(mainRoot(info.main), "dist");
    const workDir = workDirFor(project, "staging");
    await prepareProjectFiles(workDir, project, info);
    await prepareProjectFiles(workDir, project, info);
    assert.equal(readlinkSync(join(workDir, "dist")), join(project, "dist"));
    assert.equal(parse(readFileSync(join(workDir, "Pulumi.yaml"), "utf8")).main, "dist/infra/main.js");

    const stackPath = join(workDir, "Pulumi.staging.yaml");
    const rendered = renderStackFile({
      committed: await readStackFile(committedStackFilePath(project, info, "staging")),
    });
    await writeStackFile(stackPath, {
      ...rendered,
      config: { ...rendered.config, "flightdeck:image": { commit: "x" } },
    });
    assert.deepEqual((await readStackFile(stackPath))?.config?.["flightdeck:image"], { commit: "x" });
    assert.equal(readFileSync(join(project, "Pulumi.staging.yaml"), "utf8"), committedText);
    assert.match(workDir, /\.flightdeck\/stacks\/staging$/);
  });

  it("refuses a main outside the project", async () => {
    const project = mkdtempSync(join(tmpdir(), "flightdeck-wd-"));
    writeFileSync(join(project, "Pulumi.yaml"), "name: x\nruntime: nodejs\nmain: ../elsewhere/main.js\n");
    await assert.rejects(readProjectFile(project), /'main' must be a relative path/);
  });
});

/**
 * The DIY backend reader's pure parts and its folder layout, on state files
 * written here in the shapes Pulumi 3.248 writes (pkg/backend/diy/state.go
 * `saveCheckpoint`/`addToHistory`, store.go's two layouts, meta.go). That the
 * shapes are Pulumi's own is proved against the real CLI in
 * diy-state.real.test.ts; this file covers the cases a real run rarely makes
 * (legacy layout, both compressions of one stack, unknown versions, secrets).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { renderedConfig } from "../../automation/engine/diy-reads.js";
import {
  checkpointOf,
  configValueOf,
  decodeStateFile,
  DiyState,
  DiyUnreadableError,
  goJson,
  historyFilesOf,
  lastUpdateOf,
  outputsOf,
  SECRET_SIG,
  SIG_KEY,
  stackFilesOf,
  updateSummaryOf,
} from "../../automation/engine/diy-state.js";
import { folderStore, parseBucketUrl } from "../../automation/engine/diy-store.js";
import type { ProjectFile } from "../../automation/engine/workdir.js";

const SECRET = { [SIG_KEY]: SECRET_SIG, ciphertext: "v1:abc" };

function checkpoint(outputs: Record<string, unknown>, time = "2026-11-21T10:00:00.123456789Z"): unknown {
  return {
    version: 3,
    checkpoint: {
      stack: "organization/flightdeck/staging",
      latest: {
        manifest: { time, magic: "m", version: "v3.248.0" },
        resources: [
          {
            urn: "urn:pulumi:staging::flightdeck::pulumi:providers:aws::default",
            type: "pulumi:providers:aws",
          },
          {
            urn: "urn:pulumi:staging::flightdeck::pulumi:pulumi:Stack::x",
            type: "pulumi:pulumi:Stack",
            outputs,
          },
        ],
      },
    },
  };
}

function write(root: string, key: string, body: string | Buffer, mtimeSeconds?: number): void {
  const path = join(root, key);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, body);
  if (mtimeSeconds !== undefined) utimesSync(path, mtimeSeconds, mtimeSeconds);
}

const update = (startTime: number, commit: string) =>
  JSON.stringify({
    kind: "update",
    startTime,
    message: `deploy ${commit}`,
    environment: { "git.head": commit },
    config: { "flightdeck:image": { commit, amiId: "ami-1" }, "aws:region": "us-east-1" },
    result: "succeeded",
    endTime: startTime + 30,
    resourceChanges: { create: 2 },
  });

describe("DIY state reader: pure parts", () => {
  it("reads plain and gzip state files by their magic bytes, and names a zstd one it cannot read", async () => {
    const doc = { version: 3, checkpoint: {} };
    assert.deepEqual(await decodeStateFile(Buffer.from(JSON.stringify(doc)), "a.json"), doc);
    assert.deepEqual(await decodeStateFile(gzipSync(JSON.stringify(doc)), "a.json.gz"), doc);
    const zstdMagic = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]);
    const zlib = (await import("node:zlib")) as { zstdDecompressSync?: unknown };
    if (!zlib.zstdDecompressSync) {
      await assert.rejects(decodeStateFile(zstdMagic, "a.json.zst"), /a\.json\.zst is zstd-compressed/);
    }
    await assert.rejects(decodeStateFile(Buffer.from("{nope"), "b.json"), DiyUnreadableError);
  });

  it("picks each stack's newest file variant and skips backups and other names (`stackPath`)", () => {
    const files = stackFilesOf([
      { name: "staging.json", modified: 10 },
      { name: "staging.json.gz", modified: 20 },
      { name: "staging.json.bak", modified: 30 },
      { name: "testing.json", modified: 5 },
      { name: "testing.json.1700000000000000000", modified: 50 },
      { name: "bad name.json", modified: 1 },
    ]);
    assert.deepEqual([...files.keys()].sort(), ["staging", "testing"]);
    assert.equal(files.get("staging")?.name, "staging.json.gz");
  });

  it("lists history files newest first, without the checkpoint copies beside them", () => {
    const names = [
      "staging-1700000000000000000.checkpoint.json",
      "staging-1700000000000000000.history.json",
      "staging-1700000001000000000.checkpoint.json.gz",
      "staging-1700000001000000000.history.json.gz",
    ].map((name) => ({ name, modified: 0 }));
    assert.deepEqual(historyFilesOf(names), [
      "staging-1700000001000000000.history.json.gz",
      "staging-1700000000000000000.history.json",
    ]);
  });

  it("reads the last update time to the millisecond, as `stack ls --json` prints it, and none for a zero time", () => {
    const chk = checkpointOf(checkpoint({}), "k");
    assert.equal(lastUpdateOf(chk), "2026-11-21T10:00:00.123Z");
    assert.equal(lastUpdateOf(checkpointOf(checkpoint({}, "0001-01-01T00:00:00Z"), "k")), undefined);
    assert.throws(() => checkpointOf({ version: 1, checkpoint: {} }, "old.json"), /checkpoint version 1/);
  });

  it("gives plain outputs, and none at all when any holds a secret or another special value", () => {
    assert.deepEqual(outputsOf(checkpointOf(checkpoint({ url: "https://x", n: 2 }), "k")), {
      url: { value: "https://x", secret: false },
      n: { value: 2, secret: false },
    });
    assert.equal(outputsOf(checkpointOf(checkpoint({ url: "https://x", token: SECRET }), "k")), undefined);
    assert.equal(outputsOf(checkpointOf(checkpoint({ db: { password: SECRET } }), "k")), undefined);
    const asset = { [SIG_KEY]: "c44067f5952c0a294b673a41bacd8c17", text: "hi" };
    assert.equal(outputsOf(checkpointOf(checkpoint({ file: asset }), "k")), undefined);
    assert.deepEqual(outputsOf({ latest: { resources: [] } }), {});
  });

  it("writes JSON as Go does: keys sorted byte-wise, compact, HTML characters escaped", () => {
    assert.equal(
      goJson({ b: 1, a: [true, null, "x<y&z"], "10": 0, "9": 0 }),
      '{"10":0,"9":0,"a":[true,null,"x\\u003cy\\u0026z"],"b":1}',
    );
  });

  it("shows config values as the CLI does, an encrypted one (even nested) as a secret with no value", () => {
    assert.deepEqual(configValueOf("us-east-1"), { value: "us-east-1", secret: false });
    assert.deepEqual(configValueOf({ commit: "abc", amiId: "ami-1" }), {
      value: '{"amiId":"ami-1","commit":"abc"}',
      secret: false,
    });
    assert.deepEqual(configValueOf({ secure: "v1:xyz" }), { secret: true });
    assert.deepEqual(configValueOf({ db: { password: { secure: "v1:xyz" } } }), { secret: true });
  });

  it("turns a history file into the Automation API's summary: times from Unix seconds, an end once finished", () => {
    const done = updateSummaryOf(JSON.parse(update(1_763_719_200, "abc")) as Record<string, unknown>);
    assert.equal(done.startTime.toISOString(), "2025-11-21T10:00:00.000Z");
    assert.equal(done.endTime?.toISOString(), "2025-11-21T10:00:30.000Z");
    assert.equal(done.version, 0, "the DIY backend writes no version");
    assert.deepEqual(done.resourceChanges, { create: 2 });
    const running = updateSummaryOf({ kind: "update", startTime: 1, result: "in-progress", config: {} });
    assert.equal(running.endTime, undefined);
    assert.equal(running.resourceChanges, undefined);
    const noChanges = updateSummaryOf({ kind: "refresh", startTime: 1, endTime: 2, result: "failed" });
    assert.deepEqual(noChanges.resourceChanges, {}, "the CLI prints an empty map for a finished update");
  });

  it("parses an S3 backend URL's bucket, prefix and client settings", () => {
    assert.deepEqual(
      parseBucketUrl("s3://team-state/flightdeck/?region=eu-west-1&endpoint=http://127.0.0.1:5000"),
      {
        bucket: "team-state",
        prefix: "flightdeck/",
        region: "eu-west-1",
        endpoint: "http://127.0.0.1:5000",
      },
    );
    assert.deepEqual(parseBucketUrl("s3://team-state"), { bucket: "team-state", prefix: "" });
  });
});

describe("DIY state reader: a folder backend", () => {
  it("reads the project layout (meta.yaml version 1): stacks, counts, outputs, a page of history", async () => {
    const root = mkdtempSync(join(tmpdir(), "flightdeck-diy-"));
    write(root, ".pulumi/meta.yaml", "version: 1\n");
    write(root, ".pulumi/stacks/flightdeck/staging.json", JSON.stringify(checkpoint({ url: "https://s" })));
    write(root, ".pulumi/stacks/flightdeck/staging.json.bak", "not json");
    write(root, ".pulumi/stacks/other-project/staging.json", JSON.stringify(checkpoint({})));
    write(
      root,
      ".pulumi/stacks/flightdeck/empty.json",
      JSON.stringify({ version: 3, checkpoint: { stack: "e" } }),
    );
    for (const [i, commit] of ["c1", "c2", "c3"].entries()) {
      const at = 1_763_719_200 + i * 100;
      write(
        root,
        `.pulumi/history/flightdeck/staging/staging-${at}000000000.history.json`,
        update(at, commit),
      );
      write(root, `.pulumi/history/flightdeck/staging/staging-${at}000000000.checkpoint.json`, "{}");
    }
    const state = new DiyState(folderStore(root), "flightdeck");
    assert.deepEqual(await state.listStacks(), [
      { name: "empty" },
      { name: "staging", lastUpdate: "2026-11-21T10:00:00.123Z", resourceCount: 2 },
    ]);
    const chk = await state.checkpoint("staging");
    assert.deepEqual(outputsOf(chk ?? {}), { url: { value: "https://s", secret: false } });
    assert.equal(await state.checkpoint("production"), undefined);
    const page = await state.history("staging", { pageSize: 2, page: 1 });
    assert.equal(page?.total, 3);
    assert.deepEqual(
      page?.summaries.map((s) => s.message),
      ["deploy c3", "deploy c2"],
    );
    const second = await state.history("staging", { pageSize: 2, page: 2 });
    assert.deepEqual(
      second?.summaries.map((s) => s.message),
      ["deploy c1"],
    );
    assert.deepEqual((await state.history("never-updated"))?.summaries, []);
  });

  it("asks the CLI (undefined) for a history page with a secret when secrets are to be shown", async () => {
    const root = mkdtempSync(join(tmpdir(), "flightdeck-diy-"));
    write(root, ".pulumi/meta.yaml", "version: 1\n");
    write(root, ".pulumi/stacks/flightdeck/staging.json", JSON.stringify(checkpoint({})));
    const withSecret = JSON.stringify({
      kind: "update",
      startTime: 1,
      endTime: 2,
      result: "succeeded",
      config: { "app:key": { secure: "v1:x" } },
    });
    write(root, ".pulumi/history/flightdeck/staging/staging-1000000000000000000.history.json", withSecret);
    const state = new DiyState(folderStore(root), "flightdeck");
    assert.equal(await state.history("staging", { showSecrets: true }), undefined);
    const hidden = await state.history("staging", { showSecrets: false });
    assert.deepEqual(hidden?.summaries[0]?.config, { "app:key": { secret: true } });
  });

  it("reads the legacy layout (no meta.yaml, stack files at the top) and a gzip stack, and refuses unknown layouts", async () => {
    const root = mkdtempSync(join(tmpdir(), "flightdeck-diy-"));
    write(root, ".pulumi/stacks/staging.json", JSON.stringify(checkpoint({ url: "https://old" })), 1000);
    write(
      root,
      ".pulumi/stacks/staging.json.gz",
      gzipSync(JSON.stringify(checkpoint({ url: "https://new" }))),
      2000,
    );
    write(
      root,
      ".pulumi/history/staging/staging-1763719200000000000.history.json",
      update(1_763_719_200, "c1"),
    );
    const state = new DiyState(folderStore(root), "flightdeck");
    assert.deepEqual(
      (await state.listStacks()).map((s) => s.name),
      ["staging"],
    );
    assert.deepEqual(outputsOf((await state.checkpoint("staging")) ?? {}), {
      url: { value: "https://new", secret: false },
    });
    assert.equal((await state.history("staging"))?.total, 1);

    const future = mkdtempSync(join(tmpdir(), "flightdeck-diy-"));
    write(future, ".pulumi/meta.yaml", "version: 2\n");
    await assert.rejects(new DiyState(folderStore(future), "flightdeck").listStacks(), /version 2/);
    const empty = mkdtempSync(join(tmpdir(), "flightdeck-diy-"));
    assert.deepEqual(await new DiyState(folderStore(empty), "flightdeck").listStacks(), []);
  });

  it("reads a rendered stack file's config as `pulumi config --json`, leaving secrets, ESC and project config to the CLI", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flightdeck-diy-"));
    const project: ProjectFile = { name: "flightdeck", main: "dist/main.js", doc: { name: "flightdeck" } };
    const path = join(dir, "Pulumi.staging.yaml");
    writeFileSync(
      path,
      "config:\n  aws:region: us-east-1\n  flightdeck:network:\n    cidr: 10.20.0.0/16\n    azs: 2\n  flightdeck:on: 'yes'\n",
    );
    assert.deepEqual(await renderedConfig(path, project), {
      "aws:region": { value: "us-east-1", secret: false },
      "flightdeck:network": { value: '{"azs":2,"cidr":"10.20.0.0/16"}', secret: false },
      "flightdeck:on": { value: "yes", secret: false },
    });
    writeFileSync(path, "config:\n  app:token:\n    secure: v1:abc\n");
    assert.equal(await renderedConfig(path, project), undefined);
    writeFileSync(path, "environment:\n  - team/env\nconfig:\n  aws:region: us-east-1\n");
    assert.equal(await renderedConfig(path, project), undefined);
    writeFileSync(path, "config:\n  aws:region: us-east-1\n");
    assert.equal(await renderedConfig(path, { ...project, doc: { config: { x: 1 } } }), undefined);
    assert.equal(await renderedConfig(join(dir, "Pulumi.none.yaml"), project), undefined);
  });
});

/**
 * End to end with a team's set-up: the state in an S3 bucket and the secrets
 * sealed by a KMS key, both in moto (`PULUMI_BACKEND_URL=s3://…&endpoint=…&use_path_style=true`,
 * `secretsprovider: awskms://…` committed in the stack file, no passphrase).
 * The real CLI deploys testing, then reads status and history back from the bucket.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { DeployResult, HistoryEntry, StackStatus } from "../../automation/api.js";
import {
  documentOf,
  E2eFixture,
  esc,
  expectExit,
  PEOPLE,
  prerequisites,
  resultOf,
  short,
} from "./e2e-harness.js";
import { useFleetDouble } from "./fleet-double.js";
import { ensureStateAndKey, SANDBOX_REGION, useMoto } from "./moto.js";

/** The object keys under `prefix` in a bucket in moto. */
async function keysIn(endpoint: string, bucket: string, prefix: string): Promise<string[]> {
  const { S3Client, ListObjectsV2Command } = await import("@aws-sdk/client-s3");
  const s3 = new S3Client({
    region: SANDBOX_REGION,
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: "e2e", secretAccessKey: "e2e-sandbox-not-a-secret" },
  });
  try {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (page.Contents ?? []).map((o) => o.Key ?? "");
  } finally {
    s3.destroy();
  }
}

describe("e2e: the CLI through the real engine, S3 backend and KMS secrets in moto", function () {
  this.timeout(600_000);
  const moto = useMoto();
  const stand = useFleetDouble(moto);
  const bucket = `flightdeck-e2e-${randomBytes(4).toString("hex")}`;
  const alias = `alias/flightdeck-e2e-${randomBytes(4).toString("hex")}`;
  const provider = `awskms://${alias}?region=${SANDBOX_REGION}`;
  let f: E2eFixture;
  let commit = "";
  let imageId = "";

  before(async function () {
    this.timeout(600_000);
    const { engineBin } = await prerequisites(this);
    await ensureStateAndKey(moto.venv, moto.endpoint, { bucket, alias });
    f = await E2eFixture.create({
      motoEndpoint: moto.endpoint,
      engineBin,
      fleet: stand.fleet,
      backendUrl: `s3://${bucket}?region=${SANDBOX_REGION}&endpoint=${moto.endpoint}&use_path_style=true`,
      passphrase: null,
    });
    // The team's stack file names the key; committed, so the tree stays clean.
    const file = join(f.repo, "Pulumi.testing.yaml");
    await writeFile(file, `secretsprovider: ${provider}\n${await readFile(file, "utf8")}`);
    commit = await f.commit(PEOPLE.dev, "testing: secrets sealed by the team's KMS key", [
      "Pulumi.testing.yaml",
    ]);
    imageId = await f.seedImage(commit);
  });

  after(async () => {
    if (f) {
      console.log(`      invocations (wall time, exit code, arguments):\n${f.timings()}`);
      await f.close();
    }
  });

  it("deploys testing with its state in the bucket and its secrets under the KMS key", async () => {
    const r = await f.cli(["deploy", "testing", "--commit", short(commit), "--json"]);
    expectExit(r, 0);
    const data = resultOf(r).data as DeployResult;
    assert.equal(data.commit, commit);
    assert.equal(data.imageId, imageId);

    const keys = await keysIn(moto.endpoint, bucket, ".pulumi/");
    assert.ok(keys.includes(".pulumi/stacks/flightdeck/testing.json"), keys.join("\n"));
    assert.ok(
      keys.some((k) => k.startsWith(".pulumi/history/flightdeck/testing/")),
      keys.join("\n"),
    );
    assert.deepEqual(
      keys.filter((k) => k.startsWith(".pulumi/locks/")),
      [],
      "no lock left in the bucket",
    );
    const exported = await f.exportStack("testing");
    const secrets = (
      exported.deployment as { secrets_providers?: { type?: string; state?: { url?: string } } }
    ).secrets_providers;
    assert.equal(secrets?.type, "cloud");
    assert.equal(secrets?.state?.url, provider);
  });

  it("reads status and history back from the bucket (--json and plain)", async () => {
    const [statusJson, historyJson, historyPlain] = await Promise.all([
      f.cli(["status", "--json"]),
      f.cli(["history", "testing", "--json"]),
      f.cli(["history", "testing"]),
    ]);
    for (const r of [statusJson, historyJson, historyPlain]) expectExit(r, 0);

    const { stacks } = documentOf<{ stacks: StackStatus[] }>(statusJson);
    assert.deepEqual(
      stacks.map((s) => [s.stack, s.commit, s.imageId, s.lastUpdate?.result, s.updateInProgress]),
      [["testing", commit, imageId, "succeeded", false]],
    );
    const { history } = documentOf<{ history: HistoryEntry[] }>(historyJson);
    assert.deepEqual(
      history.map((h) => [h.version, h.kind, h.result, h.commit, h.imageId, h.actor]),
      [[1, "update", "succeeded", commit, imageId, f.actor(PEOPLE.alice).id]],
    );
    assert.match(
      historyPlain.stdout,
      new RegExp(
        `1 +update +succeeded +release ran, rollout verified +${short(commit)} +${imageId} +${esc(f.actor(PEOPLE.alice).id)}`,
      ),
    );
  });
});

/**
 * The DIY backend reader against the real Pulumi CLI: stacks made and updated
 * by the real engine (file backend, plain and gzip, and an S3 bucket in moto),
 * then every direct read compared with what the CLI itself answers through the
 * Automation API (`pulumi stack ls --json`, `stack history --json`, `stack
 * output --json --show-secrets`, `config --json --show-secrets`, `stack
 * export`). It also counts the `pulumi` processes the engine's reads spawn.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import * as auto from "@pulumi/pulumi/automation/index.js";
import { configMapOf } from "../../automation/config-map.js";
import { backendUrlFor, encryptionFromDeployment, pulumiEnv } from "../../automation/engine/backend.js";
import { DirectReads, renderedConfig } from "../../automation/engine/diy-reads.js";
import { DiyState, outputsOf } from "../../automation/engine/diy-state.js";
import { storeFor } from "../../automation/engine/diy-store.js";
import { createLocalEngine } from "../../automation/engine/local.js";
import { pulumiCommandAt } from "../../automation/engine/pulumi-process.js";
import { toStackSummary } from "../../automation/engine/pulumi-records.js";
import { recordsOf } from "../../automation/engine/stack-records.js";
import { readProjectFile, workDirFor } from "../../automation/engine/workdir.js";
import {
  cleanEnv,
  ensureStateAndKey,
  motoAwsEnv,
  SANDBOX_REGION,
  useMoto,
  useMotoEnvInProcess,
} from "../sandbox/moto.js";
import { realEngineOrSkip, tinyProject } from "./real-engine.js";

const real = await realEngineOrSkip();

/** tinyProject's program, plus an object output and, when asked, a secret one. */
const PROGRAM = `const pulumi = require("@pulumi/pulumi");
const config = new pulumi.Config("flightdeck");
new pulumi.ComponentResource("contract:index:Thing", "thing");
const image = config.getObject("image") ?? {};
module.exports = {
  commit: image.commit,
  url: "https://" + (image.commit ?? "none").slice(0, 7) + ".example.com",
  shape: { b: 1, a: ["x<y", true] },
  ...(config.get("secretOutput") ? { token: pulumi.secret(config.get("secretOutput")) } : {}),
};
`;

function project(): string {
  const dir = tinyProject();
  writeFileSync(join(dir, "dist", "main.js"), PROGRAM);
  return dir;
}

/** A `bin/pulumi` that logs each run's first two arguments and hands over to the real one. */
function recordingPath(binDir: string): { path: string; runs: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), "flightdeck-diy-pulumi-"));
  const log = join(dir, "runs.log");
  mkdirSync(join(dir, "bin"));
  writeFileSync(
    join(dir, "bin", "pulumi"),
    `#!/bin/sh\necho "$1 $2" >> '${log}'\nexec '${binDir}/pulumi' "$@"\n`,
  );
  chmodSync(join(dir, "bin", "pulumi"), 0o755);
  writeFileSync(log, "");
  return {
    path: join(dir, "bin"),
    runs: () =>
      readFileSync(log, "utf8")
        .split("\n")
        .filter((l) => l.length > 0 && !l.startsWith("version")),
  };
}

/** Three stacks: two updates with plain config; one with a secret config value and a secret output; one never updated. */
async function makeStacks(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const engine = await createLocalEngine(dir, env);
  await engine.ensureStack("alpha");
  for (const commit of ["a".repeat(40), "b".repeat(40)]) {
    await engine.setConfig("alpha", configMapOf({ image: { commit, amiId: "ami-0123456789abcdef0" } }));
    await engine.up("alpha", { message: `deploy ${commit.slice(0, 7)}` });
  }
  await engine.ensureStack("beta");
  await engine.setConfig("beta", {
    ...configMapOf({ image: { commit: "c".repeat(40), amiId: "ami-0fedcba9876543210" } }),
    "flightdeck:secretOutput": { value: "s3cr3t-output", secret: true },
  });
  await engine.up("beta");
  await engine.ensureStack("gamma");
}

/** Every read the CLI gives for the stacks, next to the same read from the files. */
async function compareWithCli(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const backend = backendUrlFor(env);
  const projectFile = await readProjectFile(dir);
  const direct = new DirectReads(backend, async () => projectFile);
  const state = new DiyState(storeFor(backend) ?? assert.fail("a DIY backend"), projectFile.name);
  const pulumiCommand = await pulumiCommandAt(auto, join(real.binDir ?? "", "pulumi"));
  const workspace = (stack: string) =>
    auto.LocalWorkspace.create({
      workDir: workDirFor(dir, stack),
      pulumiCommand,
      envVars: pulumiEnv(env, backend),
    });

  // `pulumi stack ls --json`, with no lock held.
  const cliStacks = (await (await workspace("alpha")).listStacks()).map((s) => toStackSummary(s, new Set()));
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  assert.deepEqual(await direct.listStacks(), cliStacks.sort(byName));
  assert.deepEqual(
    cliStacks.map((s) => s.name),
    ["alpha", "beta", "gamma"],
  );

  for (const name of ["alpha", "beta", "gamma"]) {
    const ws = await workspace(name);
    const cli = await auto.Stack.select(name, ws);
    // `stack history --json`: the Automation API's summaries (without the CLI's `objectValue` extra), then the port's records.
    const cliSummaries = (await cli.history(undefined, undefined, false)).map((s) => ({
      ...s,
      config: Object.fromEntries(
        Object.entries(s.config).map(([k, v]) => [
          k,
          { ...(v.value !== undefined ? { value: v.value } : {}), secret: v.secret },
        ]),
      ),
    }));
    assert.deepEqual((await state.history(name, { showSecrets: false }))?.summaries, cliSummaries, name);
    assert.deepEqual(await direct.history(name), await recordsOf(cli), name);
    assert.deepEqual(await direct.history(name, 1), await recordsOf(cli, 1), name);
    // `stack export`'s encryption settings, which a fresh machine's work directory is given back.
    if (name !== "gamma") {
      const exported = encryptionFromDeployment(await cli.exportStack());
      assert.ok(exported.encryptionsalt, "a passphrase stack records its salt");
      assert.deepEqual(await direct.encryption(name), exported, name);
    }
  }

  // `stack output --json [--show-secrets]`: equal where nothing is secret; a secret is left to the CLI.
  const alpha = await auto.Stack.select("alpha", await workspace("alpha"));
  assert.deepEqual(outputsOf((await state.checkpoint("alpha")) ?? {}), await alpha.outputs());
  assert.deepEqual((await alpha.outputs()).url, { value: "https://bbbbbbb.example.com", secret: false });
  assert.equal(outputsOf((await state.checkpoint("beta")) ?? {}), undefined);
  assert.deepEqual(
    outputsOf((await state.checkpoint("gamma")) ?? {}),
    await (await auto.Stack.select("gamma", await workspace("gamma"))).outputs(),
  );

  // `config --json --show-secrets` of the rendered stack file: equal without secrets; with one, the CLI's.
  const alphaConfig = Object.fromEntries(
    Object.entries(await alpha.getAllConfig()).map(([k, v]) => [k, { value: v.value, secret: v.secret }]),
  );
  assert.deepEqual(
    await renderedConfig(join(workDirFor(dir, "alpha"), "Pulumi.alpha.yaml"), projectFile),
    alphaConfig,
  );
  assert.equal(
    await renderedConfig(join(workDirFor(dir, "beta"), "Pulumi.beta.yaml"), projectFile),
    undefined,
  );
}

/** The engine's status reads spawn no `pulumi`; a secret output still reads right, through the CLI. */
async function countEngineReads(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const recorder = recordingPath(real.binDir ?? "");
  const engine = await createLocalEngine(dir, {
    ...env,
    PATH: `${recorder.path}${delimiter}${env.PATH ?? ""}`,
  });
  const stacks = await engine.listStacks();
  assert.deepEqual(
    stacks.map((s) => [s.name, s.resourceCount]),
    [
      ["alpha", 2],
      ["beta", 2],
      ["gamma", 0],
    ],
  );
  for (const { name } of stacks) await engine.history(name, 1);
  assert.equal((await engine.outputs("alpha")).url?.value, "https://bbbbbbb.example.com");
  assert.deepEqual(await engine.outputs("gamma"), {});
  const alphaConfig = await engine.getConfig("alpha");
  assert.equal(JSON.parse(alphaConfig["flightdeck:image"]?.value ?? "{}").commit, "b".repeat(40));
  assert.equal((await engine.history("alpha"))[0]?.version, 2);
  await engine.ensureStack("alpha");
  assert.deepEqual(recorder.runs(), [], "status and deploy reads of plain stacks run no pulumi");

  assert.deepEqual((await engine.outputs("beta")).token, { value: "s3cr3t-output", secret: true });
  assert.deepEqual((await engine.getConfig("beta"))["flightdeck:secretOutput"], {
    value: "s3cr3t-output",
    secret: true,
  });
  assert.deepEqual(
    recorder.runs(),
    ["stack output", "stack output", "config --show-secrets"],
    "secrets go through the CLI",
  );
  // A new stack: known missing from the files, so `createOrSelect` goes straight to `stack init`.
  await engine.ensureStack("delta");
  assert.deepEqual(recorder.runs().slice(3), ["stack init"]);
  assert.equal((await engine.history("delta")).length, 0);
  assert.deepEqual(recorder.runs().slice(3), ["stack init"]);
}

describe("DIY state reader against the real Pulumi CLI", function () {
  this.timeout(600_000);

  beforeEach(function () {
    if (!real.available) real.skip(this);
  });

  for (const gzip of [false, true]) {
    it(`reads a file backend${gzip ? " with PULUMI_DIY_BACKEND_GZIP" : ""} exactly as the CLI does, with no pulumi process`, async () => {
      const dir = project();
      const state = mkdtempSync(join(tmpdir(), "flightdeck-diy-state-"));
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PULUMI_BACKEND_URL: `file://${state}`,
        PULUMI_CONFIG_PASSPHRASE: "diy-real-test",
        ...(gzip ? { PULUMI_DIY_BACKEND_GZIP: "true" } : {}),
      };
      await makeStacks(dir, env);
      const stored = readFileSync(join(state, ".pulumi", "meta.yaml"), "utf8");
      assert.match(stored, /version: 1/, "a new state uses the project layout");
      const files = (await import("node:fs")).readdirSync(join(state, ".pulumi", "stacks", "contract"));
      assert.ok(files.includes(gzip ? "alpha.json.gz" : "alpha.json"), files.join(", "));
      await compareWithCli(dir, env);
      await countEngineReads(dir, env);
    });
  }

  describe("an S3 bucket in moto", function () {
    const moto = useMoto();
    let restoreEnv = () => {};

    before(function () {
      if (!real.available) real.skip(this);
      // This process's AWS SDK client reads its credentials and endpoint from the environment, like the CLI's.
      restoreEnv = useMotoEnvInProcess(moto.endpoint);
    });
    after(() => restoreEnv());

    it("reads the bucket exactly as the CLI does, with no pulumi process", async () => {
      const bucket = `flightdeck-diy-${randomBytes(4).toString("hex")}`;
      await ensureStateAndKey(moto.venv, moto.endpoint, { bucket });
      const dir = project();
      const env: NodeJS.ProcessEnv = {
        ...cleanEnv(process.env, motoAwsEnv(moto.endpoint)),
        PULUMI_BACKEND_URL: `s3://${bucket}/team?region=${SANDBOX_REGION}&endpoint=${moto.endpoint}&use_path_style=true`,
        PULUMI_CONFIG_PASSPHRASE: "diy-real-test",
      };
      await makeStacks(dir, env);
      await compareWithCli(dir, env);
      await countEngineReads(dir, env);
    });
  });
});

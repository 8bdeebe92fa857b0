/**
 * The AWS APIs flightdeck calls itself, against moto on 127.0.0.1 (the
 * sandbox's AWS simulator; see moto.ts): the image resolver's EC2
 * DescribeImages, and the real Pulumi CLI's S3 state backend and `awskms://`
 * secrets provider. Fake credentials only; nothing reaches AWS.
 *
 * Outside CI, a machine without moto (no Python, no PyPI) or without the
 * engine (`npm run engine:install`) skips these and says why; in CI that fails.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { engineRoot, engineVersion } from "../../automation/engine/install.js";
import { createImageResolver } from "../../automation/images.js";
import { ExitCode, UserError } from "../../infra/errors.js";
import { IMAGE_TAGS } from "../../infra/image-tags.js";
import {
  cleanEnv,
  ensureStateAndKey,
  MOTO_HOST,
  motoAwsEnv,
  SANDBOX_REGION,
  seedImage,
  skipOrFail,
  useMoto,
} from "./moto.js";

const run = promisify(execFile);
const projectDir = resolve(fileURLToPath(new URL("../..", import.meta.url)));
type Env = Record<string, string | undefined>;

const randomSha = () => randomBytes(20).toString("hex");
const suffix = () => randomBytes(4).toString("hex");

/** Set variables in this process (undefined unsets), returning the undo. */
function setEnv(vars: Env): () => void {
  const saved = new Map(Object.keys(vars).map((key) => [key, process.env[key]]));
  const apply = (values: Map<string, string | undefined> | Env) => {
    for (const [key, value] of values instanceof Map ? values : Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(vars);
  return () => apply(saved);
}

/** The engine built by `npm run engine:install`, or the reason there is none. */
function engineBin(): { bin: string } | { missing: string } {
  const bin = join(engineRoot(engineVersion(projectDir), process.env), "bin");
  for (const name of ["pulumi", "pulumi-language-nodejs"]) {
    if (!existsSync(join(bin, name)))
      return { missing: `no ${join(bin, name)}: run \`npm run engine:install\`` };
  }
  return { bin };
}

/** A tiny Node.js Pulumi program (no provider plugin) exporting a value, a secret and a secret config. */
async function tinyProgram(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "flightdeck-moto-program-"));
  await symlink(join(projectDir, "node_modules"), join(dir, "node_modules"), "dir");
  await writeFile(join(dir, "Pulumi.yaml"), "name: sandbox-probe\nruntime: nodejs\nmain: index.js\n");
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "sandbox-probe", type: "commonjs" }));
  await writeFile(
    join(dir, "index.js"),
    `const pulumi = require("@pulumi/pulumi");
const config = new pulumi.Config();
exports.greeting = "hello from the sandbox";
exports.sealed = pulumi.secret("a secret output");
exports.token = config.getSecret("token") ?? "unset";
`,
  );
  return dir;
}

/** The same program in a second, fresh folder: another machine's checkout (no Pulumi.<stack>.yaml). */
async function copyOfProgram(from: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "flightdeck-moto-machine2-"));
  for (const file of ["Pulumi.yaml", "package.json", "index.js"])
    await copyFile(join(from, file), join(dir, file));
  await symlink(join(projectDir, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

interface Machine {
  cwd: string;
  env: Record<string, string>;
}

/** A "machine": a work folder and its own PULUMI_HOME; AWS is moto, the engine is the built one. */
async function machine(cwd: string, bin: string, endpoint: string, extra: Env): Promise<Machine> {
  const home = await mkdtemp(join(tmpdir(), "flightdeck-moto-pulumi-home-"));
  return {
    cwd,
    env: cleanEnv(process.env, {
      ...motoAwsEnv(endpoint),
      PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`,
      PULUMI_HOME: home,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      // Nothing may be downloaded: the program needs no plugin.
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      ...extra,
    }),
  };
}

async function pulumi(on: Machine, args: string[]): Promise<string> {
  try {
    const { stdout } = await run("pulumi", [...args, "--non-interactive"], {
      cwd: on.cwd,
      env: on.env,
      timeout: 180_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`pulumi ${args.join(" ")} failed:\n${stderr ?? ""}\n${stdout ?? ""}`, { cause: error });
  }
}

describe("sandbox: moto on 127.0.0.1", function () {
  const moto = useMoto();

  it("listens on 127.0.0.1 only", () => {
    assert.equal(new URL(moto.endpoint).hostname, MOTO_HOST);
  });

  describe("the image resolver (automation/images.ts) with AWS_ENDPOINT_URL at moto", () => {
    let restore: () => void = () => {};
    before(() => {
      restore = setEnv(motoAwsEnv(moto.endpoint));
    });
    after(() => restore());

    it("finds the AMI registered and tagged for a commit", async function () {
      this.timeout(60_000);
      const commit = randomSha();
      const imageId = await seedImage(moto.endpoint, commit);
      await seedImage(moto.endpoint, randomSha()); // another commit's image is not picked
      assert.match(imageId, /^ami-[0-9a-f]+$/);
      assert.equal(await createImageResolver().imageFor(commit, SANDBOX_REGION), imageId);
    });

    it("refuses a commit that has no image, with its clear error", async function () {
      this.timeout(60_000);
      const commit = randomSha();
      await assert.rejects(createImageResolver().imageFor(commit, SANDBOX_REGION), (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.equal(error.message, `no machine image found for commit ${commit} in ${SANDBOX_REGION}`);
        assert.equal(error.exitCode, ExitCode.usage);
        assert.match(error.nextSteps.join("\n"), new RegExp(`${IMAGE_TAGS.commit}=${commit}`));
        return true;
      });
    });
  });

  describe("the real Pulumi CLI", () => {
    let bin = "";
    const cleanup: string[] = [];
    before(function () {
      const engine = engineBin();
      if ("missing" in engine) skipOrFail(this, `the Pulumi engine is not built (${engine.missing})`);
      bin = engine.bin;
    });
    after(async () => {
      for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
    });

    it("keeps a stack's state in an S3 bucket in moto (s3://…?endpoint=…&use_path_style=true)", async function () {
      this.timeout(300_000);
      const bucket = `flightdeck-state-${suffix()}`;
      await ensureStateAndKey(moto.venv, moto.endpoint, { bucket });
      const program = await tinyProgram();
      cleanup.push(program);
      // The endpoint is in the URL itself (gocloud.dev/aws V2ConfigFromURLParams), so this
      // backend would reach moto even without AWS_ENDPOINT_URL; it is removed to prove it.
      const backend = `s3://${bucket}?region=${SANDBOX_REGION}&endpoint=${moto.endpoint}&use_path_style=true`;
      const here = await machine(program, bin, moto.endpoint, {
        PULUMI_BACKEND_URL: backend,
        PULUMI_CONFIG_PASSPHRASE: "sandbox-test-passphrase",
        AWS_ENDPOINT_URL: undefined,
      });
      cleanup.push(here.env.PULUMI_HOME!);

      await pulumi(here, ["stack", "init", "dev"]);
      await pulumi(here, ["up", "--yes", "--skip-preview", "--stack", "dev"]);

      const outputs = JSON.parse(
        await pulumi(here, ["stack", "output", "--stack", "dev", "--json", "--show-secrets"]),
      );
      assert.deepEqual(outputs, {
        greeting: "hello from the sandbox",
        sealed: "a secret output",
        token: "unset",
      });
      const masked = JSON.parse(await pulumi(here, ["stack", "output", "--stack", "dev", "--json"]));
      assert.equal(masked.sealed, "[secret]");

      const history = JSON.parse(await pulumi(here, ["stack", "history", "--stack", "dev", "--json"])) as {
        kind: string;
        result: string;
        resourceChanges?: Record<string, number>;
      }[];
      assert.equal(history.length, 1);
      assert.equal(history[0]?.kind, "update");
      assert.equal(history[0]?.result, "succeeded");
      assert.deepEqual(history[0]?.resourceChanges, { create: 1 });

      // The state is in the bucket in moto, where Pulumi's DIY layout puts it.
      const keys = await listKeys(moto.venv.python, moto.endpoint, bucket);
      assert.ok(keys.includes(".pulumi/stacks/sandbox-probe/dev.json"), keys.join(", "));
      assert.ok(
        keys.some((k) => k.startsWith(".pulumi/history/sandbox-probe/dev/")),
        keys.join(", "),
      );
    });

    it("seals secrets with awskms:// on moto, readable from a second fresh workspace", async function () {
      this.timeout(300_000);
      const bucket = `flightdeck-kms-${suffix()}`;
      const alias = `alias/flightdeck-test-${suffix()}`;
      const made = await ensureStateAndKey(moto.venv, moto.endpoint, { bucket, alias });
      assert.ok(made.keyId);
      const provider = `awskms://${alias}?region=${SANDBOX_REGION}`;
      // Here the endpoint comes from AWS_ENDPOINT_URL alone (aws-sdk-go-v2's config),
      // for the backend and for KMS: neither URL names moto, so the stack file stays portable.
      const backend = `s3://${bucket}?region=${SANDBOX_REGION}&use_path_style=true`;
      const noPassphrase = { PULUMI_CONFIG_PASSPHRASE: undefined, PULUMI_CONFIG_PASSPHRASE_FILE: undefined };

      const first = await machine(await tinyProgram(), bin, moto.endpoint, {
        PULUMI_BACKEND_URL: backend,
        ...noPassphrase,
      });
      cleanup.push(first.cwd, first.env.PULUMI_HOME!);
      await pulumi(first, ["stack", "init", "preview-kms", "--secrets-provider", provider]);
      await pulumi(first, ["config", "set", "--secret", "token", "sealed-by-kms", "--stack", "preview-kms"]);
      const stackFile = await readFile(join(first.cwd, "Pulumi.preview-kms.yaml"), "utf8");
      assert.match(stackFile, new RegExp(`secretsprovider: ${provider.replace(/[?.]/g, "\\$&")}`));
      assert.match(stackFile, /encryptedkey: /);
      assert.match(stackFile, /secure: v1:/);
      assert.doesNotMatch(stackFile, /sealed-by-kms/);
      await pulumi(first, ["up", "--yes", "--skip-preview", "--stack", "preview-kms"]);

      // Another machine: a fresh checkout and PULUMI_HOME, nothing local but the backend's URL.
      const second = await machine(await copyOfProgram(first.cwd), bin, moto.endpoint, {
        PULUMI_BACKEND_URL: backend,
        ...noPassphrase,
      });
      cleanup.push(second.cwd, second.env.PULUMI_HOME!);
      assert.equal(existsSync(join(second.cwd, "Pulumi.preview-kms.yaml")), false);
      const outputs = JSON.parse(
        await pulumi(second, ["stack", "output", "--stack", "preview-kms", "--json", "--show-secrets"]),
      );
      assert.equal(outputs.token, "sealed-by-kms");
      assert.equal(outputs.sealed, "a secret output");
      // The stack's config too, restored from its last deployment and decrypted by the key.
      await pulumi(second, ["config", "refresh", "--stack", "preview-kms", "--force"]);
      assert.equal(
        (await pulumi(second, ["config", "get", "token", "--stack", "preview-kms"])).trim(),
        "sealed-by-kms",
      );
    });
  });
});

/** The object keys of a bucket in moto (boto3 from the venv). */
async function listKeys(python: string, endpoint: string, bucket: string): Promise<string[]> {
  const script = `import boto3, json, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="${SANDBOX_REGION}",
                  aws_access_key_id="testing", aws_secret_access_key="testing")
print(json.dumps([o["Key"] for o in s3.list_objects_v2(Bucket=sys.argv[2]).get("Contents", [])]))`;
  const { stdout } = await run(python, ["-c", script, endpoint, bucket], {
    env: cleanEnv(process.env, motoAwsEnv(endpoint)),
  });
  return JSON.parse(stdout) as string[];
}

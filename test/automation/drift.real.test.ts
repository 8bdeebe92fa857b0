/**
 * The real engine's refresh preview and state export (`LocalEngine.refreshPreview`,
 * `LocalEngine.resources`) against the real Pulumi CLI, with a program whose one
 * custom resource is a Pulumi dynamic resource (a test double of a cloud
 * resource: its "live" value is a file, which the test changes or deletes
 * behind flightdeck's back). No AWS is needed. Dynamic resources are served by
 * the `pulumi-resource-pulumi-nodejs` plugin, a shell script the Pulumi CLI's
 * distribution ships beside `pulumi` (sdk/nodejs/dist/pulumi-resource-pulumi-nodejs
 * in pulumi/pulumi v3.248.0); the engine built here from the Go module proxy
 * has no distribution, so the test writes the same script into a folder on PATH.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalEngine } from "../../automation/engine/local.js";
import { realEngineOrSkip } from "./real-engine.js";

const real = await realEngineOrSkip();

/** The dynamic provider plugin, as Pulumi's distribution ships it (see above). */
const DYNAMIC_PLUGIN = `#!/bin/sh
PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH=$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))")
if [ ! -z "$PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH" ]; then
    node "$PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH" $@
fi
`;

/** A project whose program creates one dynamic resource: the file `live` holding `size`. */
function driftProject(live: string): string {
  const dir = mkdtempSync(join(tmpdir(), "flightdeck-drift-"));
  mkdirSync(join(dir, "dist"));
  symlinkSync(new URL("../../node_modules", import.meta.url).pathname, join(dir, "node_modules"), "junction");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "drift", type: "commonjs" }));
  writeFileSync(join(dir, "Pulumi.yaml"), "name: drift\nruntime: nodejs\nmain: dist/main.js\n");
  writeFileSync(
    join(dir, "dist", "main.js"),
    `const pulumi = require("@pulumi/pulumi");
const fs = require("fs");
const path = ${JSON.stringify(live)};
const provider = {
  async create(inputs) {
    fs.writeFileSync(path, String(inputs.size));
    return { id: "file-1", outs: { size: inputs.size, arn: "arn:test:file/file-1" } };
  },
  async read(id, props) {
    if (!fs.existsSync(path)) return { id: "", props: {} };
    return { id, props: { ...props, size: Number(fs.readFileSync(path, "utf8")) } };
  },
  async diff(id, olds, news) {
    return { changes: olds.size !== news.size };
  },
  async update(id, olds, news) {
    fs.writeFileSync(path, String(news.size));
    return { outs: { size: news.size, arn: "arn:test:file/file-1" } };
  },
  async delete() {
    fs.rmSync(path, { force: true });
  },
};
class LiveFile extends pulumi.dynamic.Resource {
  constructor(name, args) {
    super(provider, name, { size: args.size, arn: undefined }, {});
  }
}
new LiveFile("web-sg", { size: 2 });
`,
  );
  return dir;
}

describe("drift through the real Pulumi CLI", function () {
  this.timeout(240_000);

  beforeEach(function () {
    if (!real.available) real.skip(this);
  });

  it("reports a resource changed and one deleted outside flightdeck, changing nothing", async () => {
    const work = mkdtempSync(join(tmpdir(), "flightdeck-drift-live-"));
    const live = join(work, "live");
    const plugins = join(work, "bin");
    mkdirSync(plugins);
    writeFileSync(join(plugins, "pulumi-resource-pulumi-nodejs"), DYNAMIC_PLUGIN);
    chmodSync(join(plugins, "pulumi-resource-pulumi-nodejs"), 0o755);
    const project = driftProject(live);
    const state = mkdtempSync(join(tmpdir(), "flightdeck-state-"));
    const env = {
      ...process.env,
      PATH: `${real.binDir}:${plugins}:${process.env.PATH}`,
      PULUMI_BACKEND_URL: `file://${state}`,
      PULUMI_CONFIG_PASSPHRASE: "drift-test-passphrase",
    };
    try {
      const engine = await createLocalEngine(project, env);
      await engine.ensureStack("staging");
      await engine.up("staging");

      const clean = await engine.refreshPreview("staging");
      assert.deepEqual(clean.drifted, []);

      const resources = await engine.resources("staging");
      assert.deepEqual(
        resources.map((r) => [r.type, r.id, r.arn]),
        [["pulumi-nodejs:dynamic:Resource", "file-1", "arn:test:file/file-1"]],
      );

      writeFileSync(live, "5");
      const changed = await engine.refreshPreview("staging");
      assert.deepEqual(
        changed.drifted.map((d) => [d.name, d.change, d.properties]),
        [["web-sg", "update", ["size"]]],
      );
      // A preview: the state still holds the old value, so the same drift is found again.
      const again = await engine.refreshPreview("staging");
      assert.equal(again.drifted.length, 1);
      const history = await engine.history("staging");
      assert.ok(
        history.every((h) => h.kind !== "refresh"),
        "a refresh preview leaves no refresh in history",
      );

      rmSync(live);
      const gone = await engine.refreshPreview("staging");
      assert.deepEqual(
        gone.drifted.map((d) => [d.name, d.change]),
        [["web-sg", "delete"]],
      );
    } finally {
      rmSync(project, { recursive: true, force: true });
      rmSync(state, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    }
  });
});

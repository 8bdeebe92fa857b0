/**
 * Whether the real Pulumi engine can run here: a `pulumi` on PATH, or
 * flightdeck's own (`npm run engine:install`). Outside CI a suite without it
 * says why it skipped; in CI (CI=true) nothing may skip for want of the engine,
 * so the same case fails instead.
 */
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { engineRoot, engineVersion, findOnPath } from "../../automation/engine/install.js";

export const PROJECT_DIR = new URL("../..", import.meta.url).pathname;

export interface RealEngine {
  available: boolean;
  version: string;
  /** The folder with `pulumi` and the language host, to put first on PATH. */
  binDir?: string;
  /** Skip (outside CI) or fail (in CI) a case that needs the engine. */
  skip(ctx: Mocha.Context): void;
}

export async function realEngineOrSkip(env: NodeJS.ProcessEnv = process.env): Promise<RealEngine> {
  const version = engineVersion(PROJECT_DIR);
  const own = join(engineRoot(version, env), "bin");
  const onPath = await findOnPath("pulumi", env);
  const binDir = existsSync(join(own, "pulumi")) ? own : onPath ? join(onPath, "..") : undefined;
  const reason =
    `no Pulumi engine here (neither \`pulumi\` on PATH nor ${own}/pulumi), so the real engine was not run; ` +
    "`npm run engine:install` builds it from the Go module proxy.";
  return {
    available: binDir !== undefined,
    version,
    ...(binDir ? { binDir } : {}),
    skip(ctx) {
      if (env.CI === "true") throw new Error(`in CI the real engine must run: ${reason}`);
      console.log(`    skipped: ${reason}`);
      ctx.skip();
    },
  };
}

/** A project whose program registers one component (no provider plugin needed) and exports outputs from config. */
export function tinyProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "flightdeck-contract-"));
  mkdirSync(join(dir, "dist"));
  symlinkSync(new URL("../../node_modules", import.meta.url).pathname, join(dir, "node_modules"), "junction");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "contract", type: "commonjs" }));
  writeFileSync(join(dir, "Pulumi.yaml"), "name: contract\nruntime: nodejs\nmain: dist/main.js\n");
  writeFileSync(
    join(dir, "dist", "main.js"),
    `const pulumi = require("@pulumi/pulumi");
const config = new pulumi.Config("flightdeck");
module.exports = (async () => {
  const sleepMs = Number(config.get("sleepMs") ?? "0");
  if (sleepMs > 0) await new Promise((r) => setTimeout(r, sleepMs));
  if (config.get("fail")) throw new Error("boom: the program threw");
  new pulumi.ComponentResource("contract:index:Thing", "thing");
  const image = config.getObject("image") ?? {};
  return { commit: image.commit, imageId: image.amiId };
})();
`,
  );
  return dir;
}

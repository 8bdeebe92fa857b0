/**
 * TEST DOUBLE harness: runs the real Pulumi engine on the real program against
 * the stand-in `aws`/`awsx` provider plugins, which stand in for AWS and create
 * nothing in AWS.
 *
 * One sandbox is a file backend and a plugin home in a temp folder, a
 * passphrase, and one work directory per stack laid out like the product's
 * (automation/engine/workdir.ts): a copy of `Pulumi.yaml`, a `dist` symlink to
 * the compiled program and a `Pulumi.<stack>.yaml` rendered from the committed
 * file plus what `flightdeck deploy` writes before `up` (`flightdeck:image`
 * and `flightdeck:release`, automation/operations/steps/release.ts). The work
 * directories live under the project's gitignored `.flightdeck/` so that Node
 * and the language host find the project's `node_modules` upwards.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import type * as Auto from "@pulumi/pulumi/automation/index.js";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { engineRoot, engineVersion } from "../../../automation/engine/install.js";
import type { Faults } from "./switches.js";
import { FAULTS_ENV, IMAGES_ENV } from "./switches.js";

export const PROJECT_DIR = fileURLToPath(new URL("../../..", import.meta.url));
/** The folder that goes on PATH so the engine finds the stand-ins. */
export const STAND_IN_BIN = fileURLToPath(new URL("./bin", import.meta.url));

type Config = Record<string, unknown>;

/** The engine build `npm run engine:install` makes, and why the sandbox cannot run without it (or undefined). */
export function engineAvailability(): { root: string; missing?: string } {
  const root = engineRoot(engineVersion(PROJECT_DIR), process.env);
  for (const name of ["pulumi", "pulumi-language-nodejs"]) {
    if (!existsSync(join(root, "bin", name))) {
      return {
        root,
        missing: `no Pulumi engine at ${join(root, "bin", name)}: run \`npm run engine:install\``,
      };
    }
  }
  if (!existsSync(join(PROJECT_DIR, "dist", "infra", "main.js"))) {
    return { root, missing: "the program is not compiled (no dist/infra/main.js): run `npm run build`" };
  }
  return { root };
}

/** The config of a committed `Pulumi.<stack>.yaml`, as objects. */
export function committedConfig(stack: string): Config {
  const doc = parseYaml(readFileSync(join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Config;
  };
  return doc.config;
}

/** What `flightdeck deploy` records in the stack config before `up`. */
export function deployedConfig(stack: string, commit: string, amiId?: string): Config {
  return {
    ...committedConfig(stack),
    "flightdeck:image": amiId ? { commit, amiId } : { commit },
    "flightdeck:release": {
      actor: "sandbox@example.com",
      operation: "deploy",
      at: "2026-01-01T00:00:00.000Z",
    },
  };
}

export class Sandbox {
  readonly dir: string;
  readonly faultsFile: string;
  readonly imagesFile: string;
  private readonly runDir: string;
  private readonly workspaces = new Map<string, Auto.LocalWorkspace>();

  private constructor(
    private readonly auto: typeof Auto,
    private readonly command: Auto.PulumiCommand,
    readonly engineBin: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), "flightdeck-sandbox-"));
    mkdirSync(join(PROJECT_DIR, ".flightdeck", "sandbox"), { recursive: true });
    this.runDir = mkdtempSync(join(PROJECT_DIR, ".flightdeck", "sandbox", "run-"));
    mkdirSync(join(this.dir, "state"));
    mkdirSync(join(this.dir, "home"));
    this.faultsFile = join(this.dir, "faults.json");
    this.imagesFile = join(this.dir, "images.json");
    this.setFaults({});
  }

  static async open(engineRootDir: string): Promise<Sandbox> {
    const auto = await import("@pulumi/pulumi/automation/index.js");
    const command = await auto.PulumiCommand.get({ root: engineRootDir });
    return new Sandbox(auto, command, join(engineRootDir, "bin"));
  }

  /** The environment of the engine, and so of the plugins it starts. */
  env(): Record<string, string> {
    return {
      PATH: [STAND_IN_BIN, this.engineBin, process.env.PATH ?? ""].join(delimiter),
      PULUMI_BACKEND_URL: `file://${join(this.dir, "state")}`,
      PULUMI_HOME: join(this.dir, "home"),
      PULUMI_CONFIG_PASSPHRASE: "sandbox-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_IGNORE_AMBIENT_PLUGINS: "false",
      [FAULTS_ENV]: this.faultsFile,
    };
  }

  setFaults(faults: Partial<Faults>): void {
    writeFileSync(this.faultsFile, JSON.stringify(faults));
  }

  /** Answer the image lookup only for these commits (`undefined`: every commit has an image again). */
  async setImages(images: Record<string, string> | undefined): Promise<void> {
    for (const ws of this.workspaces.values()) {
      if (images === undefined) delete ws.envVars[IMAGES_ENV];
      else ws.envVars[IMAGES_ENV] = this.imagesFile;
    }
    if (images !== undefined) writeFileSync(this.imagesFile, JSON.stringify(images));
  }

  /** The stack, created on first use, with its work directory's config set to `config`. */
  async stack(stack: string, config: Config): Promise<Auto.Stack> {
    const workDir = join(this.runDir, stack);
    let ws = this.workspaces.get(stack);
    if (!ws) {
      mkdirSync(workDir, { recursive: true });
      writeFileSync(join(workDir, "Pulumi.yaml"), readFileSync(join(PROJECT_DIR, "Pulumi.yaml")));
      symlinkSync(join(PROJECT_DIR, "dist"), join(workDir, "dist"), "junction");
      ws = await this.auto.LocalWorkspace.create({
        workDir,
        pulumiCommand: this.command,
        envVars: this.env(),
      });
      this.workspaces.set(stack, ws);
    }
    this.writeConfig(stack, config);
    return this.auto.Stack.createOrSelect(stack, ws);
  }

  /** Replace the config in the work directory's stack file, keeping what `stack init` added. */
  writeConfig(stack: string, config: Config): void {
    const path = join(this.runDir, stack, `Pulumi.${stack}.yaml`);
    const current = existsSync(path) ? ((parseYaml(readFileSync(path, "utf8")) as Config | null) ?? {}) : {};
    // Strings quoted: Pulumi reads an unquoted ISO time (`release.at`) as a YAML timestamp and hands
    // the program "2026-01-01 00:00:00 +0000 UTC" (sdk/go/common/resource/config/object.go, `unmarshalObject`).
    writeFileSync(
      path,
      stringifyYaml({ ...current, config }, { defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN" }),
    );
  }

  close(): void {
    rmSync(this.runDir, { recursive: true, force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A stack's resources as `type name` (the name from the URN), minus the stack and its providers. */
export async function stateSummary(stack: Auto.Stack): Promise<string[]> {
  return (await stateResources(stack)).map((r) => `${r.type} ${r.name}`).sort();
}

export interface StateResource {
  type: string;
  name: string;
  urn: string;
  id?: string;
  outputs: Record<string, unknown>;
}

/** The resources in a stack's state (its checkpoint), minus the stack and its providers. */
export async function stateResources(stack: Auto.Stack): Promise<StateResource[]> {
  const deployment = await stack.exportStack();
  const resources = ((deployment.deployment as { resources?: unknown[] }).resources ?? []) as {
    type: string;
    urn: string;
    id?: string;
    outputs?: Record<string, unknown>;
  }[];
  return resources
    .filter((r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"))
    .map((r) => ({
      type: r.type,
      name: r.urn.split("::").pop() ?? r.urn,
      urn: r.urn,
      id: r.id,
      outputs: r.outputs ?? {},
    }));
}

/** The ids of a stack's custom resources, by name. */
export async function idsByName(stack: Auto.Stack): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const r of await stateResources(stack)) if (r.id) ids.set(r.name, r.id);
  return ids;
}

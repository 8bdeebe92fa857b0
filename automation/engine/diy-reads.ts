/**
 * The Automation API engine's reads on a DIY backend (a folder or an S3
 * bucket), served from the backend's own files (`diy-state.ts`) instead of one
 * `pulumi` process each: `status` over 20 stacks was 101 processes, and a
 * deploy spent seconds selecting its stack and reading back what it had just
 * written. Pulumi Cloud and other backends keep the CLI.
 *
 * - `listStacks` and `history(stack, limit)`: whole answers (the history
 *   numbered from the listing, reading only the newest `limit` files).
 * - `select` / `createOrSelect`: `pulumi stack select` only sets the current
 *   stack, and every command of an Automation API `Stack` names its stack
 *   itself (`--stack`, `Stack.runPulumiCmd` in automation/stack.js), so a
 *   stack whose checkpoint exists is used as it is, and a missing one fails
 *   with the Automation API's own `StackNotFoundError` (what the CLI says),
 *   so `createOrSelect` goes straight to `pulumi stack init`.
 * - The `Stack` it returns reads its `history`, `outputs` and `getAllConfig`
 *   from the files (the rendered `Pulumi.<stack>.yaml` for config), so `up`,
 *   which reads outputs and its summary back after the update (`Stack.up`),
 *   runs one process.
 *
 * Anything the files cannot answer exactly (a secret to decrypt, project-level
 * or ESC config, a zstd file, an unknown format, an unreachable bucket) goes
 * to the CLI as before: never a different answer, only a slower one.
 */
import { join } from "node:path";
import type * as Auto from "@pulumi/pulumi/automation/index.js";
import { type EngineStackSummary, StackNotFoundError, type UpdateRecord } from "../engine.js";
import { type Backend, encryptionFromDeployment } from "./backend.js";
import { DiyState, goJson, holdsSecure, outputsOf } from "./diy-state.js";
import { storeFor } from "./diy-store.js";
import { runningUpdates } from "./locks.js";
import { commandErrorOf } from "./pulumi-process.js";
import { toStackSummary, toUpdateRecord } from "./pulumi-records.js";
import { type ProjectFile, readStackFile, type StackFile } from "./workdir.js";

/** The answer, or undefined (ask the CLI) when the files cannot give it; a missing stack stays an error. */
async function attempt<T>(read: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof StackNotFoundError) throw error;
    return undefined;
  }
}

/**
 * The config `pulumi config --json --show-secrets` would print for a rendered
 * stack file, or undefined when only the CLI can say: an encrypted value, an
 * ESC `environment`, or project-level `config` in Pulumi.yaml (both merged in
 * by `ApplyProjectConfig`, pkg/cmd/pulumi/config/config.go).
 */
export async function renderedConfig(
  path: string,
  project: ProjectFile,
): Promise<Auto.ConfigMap | undefined> {
  if (project.doc.config !== undefined) return undefined;
  const file = await readStackFile(path);
  if (!file || file.environment !== undefined) return undefined;
  const out: Auto.ConfigMap = {};
  for (const [key, value] of Object.entries(file.config ?? {})) {
    if (!key.includes(":") || value === null || holdsSecure(value)) return undefined;
    out[key] = { value: typeof value === "string" ? value : goJson(value), secret: false };
  }
  return out;
}

export class DirectReads {
  private state?: Promise<DiyState | undefined>;

  constructor(
    private readonly backend: Backend,
    private readonly project: () => Promise<ProjectFile>,
  ) {}

  private diy(): Promise<DiyState | undefined> {
    this.state ??= this.project().then((project) => {
      const store = storeFor(this.backend);
      return store ? new DiyState(store, project.name) : undefined;
    });
    return this.state;
  }

  /** `pulumi stack ls`, with the stacks holding a lock marked running (`locks.ts`). */
  async listStacks(): Promise<EngineStackSummary[] | undefined> {
    const diy = await this.diy();
    if (!diy) return undefined;
    return attempt(async () => {
      const [stacks, locked] = await Promise.all([
        diy.listStacks(),
        this.project().then((project) => runningUpdates(this.backend, project.name)),
      ]);
      return stacks.map((s) => toStackSummary({ ...s, current: false }, locked));
    });
  }

  /** Whether the stack exists (its checkpoint does: `stackExists`); undefined when the files cannot say. */
  async exists(stack: string): Promise<boolean | undefined> {
    const diy = await this.diy();
    return diy ? attempt(async () => (await diy.stackFiles()).has(stack)) : undefined;
  }

  /**
   * The stack file's encryption settings from the checkpoint's
   * `latest.secrets_providers`, what `pulumi stack export` prints as
   * `deployment.secrets_providers` (`encryptionFromDeployment`); undefined when
   * the files cannot say (no deployment yet, another backend).
   */
  async encryption(stack: string): Promise<Partial<StackFile> | undefined> {
    const diy = await this.diy();
    if (!diy) return undefined;
    return attempt(async () => {
      const latest = (await diy.checkpoint(stack))?.latest;
      return latest?.secrets_providers ? encryptionFromDeployment({ deployment: latest }) : undefined;
    });
  }

  /** The stack's history, newest first, numbered (1 = oldest); at most `limit` entries when given. */
  async history(stack: string, limit?: number): Promise<UpdateRecord[] | undefined> {
    const diy = await this.diy();
    if (!diy) return undefined;
    return attempt(async () => {
      const stacks = await diy.stackFiles();
      if (!stacks.has(stack)) throw new StackNotFoundError(stack, [...stacks.keys()].sort());
      const page = await diy.history(stack, { ...(limit && limit > 0 ? { pageSize: limit } : {}) });
      if (!page) return undefined;
      const numbered = page.summaries.every((s) => s.version > 0);
      const records = page.summaries.map((s, i) => ({
        ...toUpdateRecord(s),
        ...(numbered ? {} : { version: page.total - i }),
      }));
      return limit === undefined ? records : records.slice(0, limit);
    });
  }

  /** `Stack.select`, with no `pulumi stack select` when the files know the stack. */
  async select(auto: typeof Auto, stack: string, ws: Auto.LocalWorkspace): Promise<Auto.Stack> {
    return this.reading(await auto.Stack.select(stack, await this.selecting(stack, ws)), ws);
  }

  /** `Stack.createOrSelect`: only `pulumi stack init`, for a stack the files show missing. */
  async createOrSelect(auto: typeof Auto, stack: string, ws: Auto.LocalWorkspace): Promise<Auto.Stack> {
    return this.reading(await auto.Stack.createOrSelect(stack, await this.selecting(stack, ws)), ws);
  }

  /** The workspace, whose `selectStack` answers from the files when they know. */
  private async selecting(stack: string, ws: Auto.LocalWorkspace): Promise<Auto.LocalWorkspace> {
    const exists = await this.exists(stack);
    if (exists === undefined) return ws;
    const selectStack = async (): Promise<void> => {
      if (!exists) throw await commandErrorOf(`error: no stack named '${stack}' found\n`);
    };
    return Object.create(ws, { selectStack: { value: selectStack } }) as Auto.LocalWorkspace;
  }

  /** The stack, reading its history, outputs and config from the files where they answer. */
  private async reading(stack: Auto.Stack, ws: Auto.LocalWorkspace): Promise<Auto.Stack> {
    const diy = await this.diy();
    if (!diy) return stack;
    const name = stack.name;
    const reads = Object.create(stack) as Auto.Stack;
    reads.history = async (pageSize, page, showSecrets) => {
      const options = { pageSize, page, showSecrets: showSecrets ?? true };
      const direct = await attempt(() => diy.history(name, options));
      return direct?.summaries ?? stack.history(pageSize, page, showSecrets);
    };
    reads.outputs = async () => {
      const direct = await attempt(async () => {
        const checkpoint = await diy.checkpoint(name);
        return checkpoint ? outputsOf(checkpoint) : undefined;
      });
      return direct ?? stack.outputs();
    };
    reads.getAllConfig = async () => {
      const path = join(ws.workDir, `Pulumi.${name}.yaml`);
      const direct = await attempt(async () => renderedConfig(path, await this.project()));
      return direct ?? stack.getAllConfig();
    };
    return reads;
  }
}

/**
 * A stack's work directory rendered for the real engine (`local.ts`): its
 * `Pulumi.<stack>.yaml` from the committed file (a preview's secrets settings
 * from the previews file), and on a fresh machine the stack's encryption
 * settings and last config read back from its state, so secrets stay readable
 * everywhere. Then a workspace is opened on it.
 */
import { join } from "node:path";
import type * as Auto from "@pulumi/pulumi/automation/index.js";
import { isPreviewStackName } from "../../infra/naming.js";
import { secretsSourceFor } from "./backend.js";
import type { DirectReads } from "./diy-reads.js";
import { lastConfig, recordedEncryption } from "./stack-records.js";
import {
  committedStackFilePath,
  type ProjectFile,
  readStackFile,
  renderStackFile,
  workDirFor,
  writeStackFile,
} from "./workdir.js";

export interface RenderDeps {
  projectDir: string;
  env: Record<string, string | undefined>;
  project: ProjectFile;
  auto: typeof Auto;
  direct: DirectReads;
  /** Open a workspace on a work directory, with the stack's secrets provider when it has one. */
  open: (workDir: string, secretsProvider: string | undefined) => Promise<Auto.LocalWorkspace>;
}

export async function renderStackWorkDir(stack: string, d: RenderDeps): Promise<{ ws: Auto.LocalWorkspace }> {
  const committed = await readStackFile(committedStackFilePath(d.projectDir, d.project, stack));
  const secretsFile =
    committed ??
    (isPreviewStackName(stack)
      ? await readStackFile(committedStackFilePath(d.projectDir, d.project, "previews"))
      : undefined);
  const secrets = secretsSourceFor(stack, d.env, secretsFile);
  const workDir = workDirFor(d.projectDir, stack);
  const path = join(workDir, `Pulumi.${stack}.yaml`);
  const current = await readStackFile(path);
  const ws = await d.open(workDir, secrets.kind === "provider" ? secrets.provider : undefined);
  const restore = !current && (await recordedEncryption(d.auto, stack, ws, d.direct));
  let file = renderStackFile({
    committed,
    current,
    ...(restore ? { encryption: restore.encryption } : {}),
  });
  await writeStackFile(path, file);
  if (restore) {
    // With the stack's own key in place, its last config (secrets too) can be read and carried over.
    const recorded = await lastConfig(restore.stack);
    file = renderStackFile({
      committed,
      current: { ...file, config: { ...recorded.plain, ...file.config } },
    });
    await writeStackFile(path, file);
    if (Object.keys(recorded.secrets).length > 0) await ws.setAllConfig(stack, recorded.secrets);
  }
  return { ws };
}

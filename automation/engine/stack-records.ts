/**
 * Reading a stack's records through the Automation API: every page of its
 * history, its outputs, and what a machine with no work directory for it
 * needs to carry on (its encryption settings and last config).
 */
import type * as Auto from "@pulumi/pulumi/automation/index.js";
import { plainValues } from "../config-map.js";
import type { ConfigMap, OutputMap, UpdateRecord } from "../engine.js";
import { encryptionFromDeployment } from "./backend.js";
import type { DirectReads } from "./diy-reads.js";
import { numberHistory, toUpdateRecord } from "./pulumi-records.js";
import type { StackFile } from "./workdir.js";

/** Every page of a stack's history, newest first (the CLI returns 10 entries unless paged). */
export async function allHistory(s: Auto.Stack, showSecrets: boolean): Promise<Auto.UpdateSummary[]> {
  const pageSize = 100;
  const all: Auto.UpdateSummary[] = [];
  for (let page = 1; ; page++) {
    const entries = await s.history(pageSize, page, showSecrets);
    all.push(...entries);
    if (entries.length < pageSize) return all;
  }
}

/**
 * The stack's history through the CLI: every page (its `--page-size` defaults
 * to 10: pkg/cmd/pulumi/stack/stack_history.go), numbered (`numberHistory`),
 * newest first, at most `limit` entries when given.
 */
export async function recordsOf(s: Auto.Stack, limit?: number): Promise<UpdateRecord[]> {
  const records = numberHistory((await allHistory(s, false)).map(toUpdateRecord));
  return limit === undefined ? records : records.slice(0, limit);
}

export function copyOutputs(outputs: Auto.OutputMap): OutputMap {
  const out: OutputMap = {};
  for (const [key, value] of Object.entries(outputs)) out[key] = { value: value.value, secret: value.secret };
  return out;
}

/**
 * A stack's encryption settings from its state, for a machine with no work
 * directory for it (a fresh clone, CI reaping previews made elsewhere).
 * Undefined for a stack that does not exist. With `direct` (a DIY backend),
 * from the backend's files where they answer (`diy-reads.ts`).
 */
export async function recordedEncryption(
  auto: typeof Auto,
  stack: string,
  ws: Auto.LocalWorkspace,
  direct?: DirectReads,
): Promise<{ stack: Auto.Stack; encryption: Partial<StackFile> } | undefined> {
  let s: Auto.Stack;
  try {
    s = direct ? await direct.select(auto, stack, ws) : await auto.Stack.select(stack, ws);
  } catch {
    return undefined;
  }
  const known = await direct?.encryption(stack);
  if (known) return { stack: s, encryption: known };
  // `stack export` without --show-secrets needs no key, unlike reading secret config.
  const exported = await s.exportStack().catch(() => undefined);
  return { stack: s, encryption: encryptionFromDeployment(exported) };
}

/**
 * The config of the stack's last update: plain values, and secret ones to
 * encrypt again. Only readable once the stack file carries the stack's key.
 */
export async function lastConfig(
  s: Auto.Stack,
): Promise<{ plain: Record<string, unknown>; secrets: ConfigMap }> {
  const [last] = await s.history(1, 1, true).catch(() => []);
  const plain: ConfigMap = {};
  const secrets: ConfigMap = {};
  for (const [key, value] of Object.entries(last?.config ?? {})) {
    if (value.secret) secrets[key] = { value: String(value.value), secret: true };
    else plain[key] = { value: String(value.value) };
  }
  return { plain: plainValues(plain), secrets };
}

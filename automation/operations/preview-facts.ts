/**
 * What `preview list`, `status` and `reap` say about one preview: its kind,
 * URL, expiry, whether it is awake or asleep now, and whether (and why) reap
 * would remove it: a commit preview past its TTL, a branch preview whose
 * branch was deleted or merged into main (asked of git).
 */
import { slugOfStack } from "../../infra/preview-names.js";
import type { PreviewInfo } from "../api.js";
import { branchEnd, MAIN_BRANCH } from "../branches.js";
import { plainValues, recordedRelease } from "../config-map.js";
import type { ConfigMap, OutputMap } from "../engine.js";
import { powerStatus, scheduleOf } from "../preview-power.js";
import type { Context } from "./context.js";
import { urlOf } from "./steps/read-stack.js";

/** The facts of a preview stack from its recorded config and outputs (its metadata must be there). */
export async function previewFacts(
  ctx: Context,
  stack: string,
  config: ConfigMap,
  outputs: OutputMap,
  withReason: boolean,
): Promise<PreviewInfo> {
  const meta = recordedRelease(config).previewMeta ?? {};
  const now = ctx.now();
  const slug = slugOfStack(stack);
  const kind = slug ? "branch" : "commit";
  const expiresAt = meta.expiresAt as string;
  const url = urlOf(outputs);
  const info: PreviewInfo = {
    stack,
    kind,
    ...(slug ? { slug } : {}),
    commit: meta.commit as string,
    ...(meta.branch ? { branch: meta.branch } : {}),
    ...(meta.author ? { author: meta.author } : {}),
    ...(url ? { url } : {}),
    createdAt: meta.createdAt as string,
    expiresAt,
    // A branch preview lives as long as its branch: its TTL does not apply.
    expired: kind === "commit" && Date.parse(expiresAt) <= now.getTime(),
    power: powerStatus(meta.power, scheduleOf(plainValues(config)["flightdeck:preview"]), now),
  };
  if (withReason) {
    const goes = await reapReason(ctx, info);
    if (goes) info.goes = goes;
  }
  return info;
}

/** Why reap would remove the preview now, or undefined while it stays. */
export async function reapReason(ctx: Context, info: PreviewInfo): Promise<string | undefined> {
  if (info.kind === "branch" && info.branch) {
    const end = await branchEnd(ctx.projectDir, info.branch);
    if (end?.kind === "deleted") return `branch ${info.branch} deleted`;
    if (end?.kind === "merged") return `branch ${info.branch} merged into ${MAIN_BRANCH}`;
    return undefined;
  }
  if (info.expired) return `expired ${ago(ctx.now().getTime() - Date.parse(info.expiresAt))} ago`;
  return undefined;
}

/** `45m`, `3h`, `2d 4h`: how long ago, roughly. */
export function ago(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

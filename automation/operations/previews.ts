/**
 * preview up / down / list: one stack per commit (`preview-<sha7>`) on the
 * shared previews base, with a TTL. Guards: none beyond the previews config's
 * validation; `up` refuses a stack that serves another commit of the same sha7.
 */
import { durationSchema, type PreviewMeta, parseDurationMs } from "../../infra/config.js";
import { UserError } from "../../infra/errors.js";
import { isPreviewStackName, isShaPrefix, previewStackName, shortSha } from "../../infra/naming.js";
import type { DeployResult, PreviewInfo, PreviewUpInput } from "../api.js";
import { recordedRelease } from "../config-map.js";
import { type ConfigMap, type OutputMap, StackNotFoundError } from "../engine.js";
import { commitInfo, currentBranch, resolveCommit } from "../git.js";
import { mapBounded } from "../pool.js";
import type { OperationContext } from "../run.js";
import type { Context } from "./context.js";
import { historyOrEmpty, readConcurrency, urlOf } from "./steps/read-stack.js";
import { release } from "./steps/release.js";
import { actorOf, commitOf, environmentConfig, imageFor } from "./steps/resolve.js";
import { runUpdate } from "./steps/run-update.js";

export function previewUp(ctx: Context, input: PreviewUpInput): Promise<DeployResult> {
  return ctx.run("previewUp", {}, async (op) => {
    const actor = await actorOf(ctx, op, input.actor);
    const commit = await commitOf(ctx, op, input.commit);
    const stack = previewStackName(commit);
    if (input.ttl !== undefined) durationInput(input.ttl, "--ttl");
    const previews = await environmentConfig(ctx, op, "previews");
    const existing = recordedRelease(
      await ctx.engine.getConfig(stack).catch((): ConfigMap => ({})),
    ).previewMeta;
    if (existing?.commit && existing.commit !== commit) {
      throw new UserError(
        `${stack} already serves ${existing.commit}, another commit with the same short SHA`,
        {
          tryMessage: `Remove it first with \`flightdeck preview down ${stack}\`.`,
        },
      );
    }
    const [info, branch] = await Promise.all([
      commitInfo(ctx.projectDir, commit),
      currentBranch(ctx.projectDir),
    ]);
    // infra/stack.ts pulls in the component resources (and @pulumi/aws): load it only here.
    const { newPreviewMeta, previewStackConfig } = await import("../../infra/stack.js");
    const fresh = newPreviewMeta(commit, previews, {
      now: ctx.now(),
      ttl: input.ttl,
      branch: ciBranch(ctx) ?? branch,
      author: info.authorEmail,
    });
    // Running `preview up` again extends the preview; it keeps its creation time.
    const meta: PreviewMeta = existing?.createdAt ? { ...fresh, createdAt: existing.createdAt } : fresh;
    const config = previewStackConfig(previews, meta);
    op.emit({
      type: "step",
      message: `${stack}: ${shortSha(commit)} by ${info.authorEmail}, expires ${meta.expiresAt}`,
    });
    const imageId = await imageFor(ctx, op, commit, config.region);
    return release(ctx, op, { stack, config, commit, imageId, actor, operation: "preview" });
  });
}

export function previewDown(
  ctx: Context,
  input: { ref: string },
): Promise<{ stack: string; durationMs: number }> {
  return ctx.run("previewDown", {}, async (op) => {
    const stack = await previewStackOf(ctx, input.ref);
    const at = ctx.now().getTime();
    op.emit({ type: "step", message: `destroying ${stack}` });
    const result = await runUpdate(ctx, op, stack, `flightdeck preview down ${stack}`, (o) =>
      ctx.engine.destroy(stack, o),
    ).catch((error: unknown) => {
      if (error instanceof StackNotFoundError) throw noSuchPreview(stack, input.ref);
      throw error;
    });
    await ctx.engine.removeStack(stack);
    op.emit({ type: "step", message: `removed ${stack}` });
    const data = { stack, durationMs: ctx.now().getTime() - at };
    return { data, summary: `${stack} destroyed and removed`, stack, changes: result.changes };
  });
}

export function previewList(ctx: Context): Promise<PreviewInfo[]> {
  return ctx.run("previewList", {}, async (op) => {
    const { previews } = await listPreviews(ctx, op);
    const expired = previews.filter((p) => p.expired).length;
    return { data: previews, summary: `${previews.length} preview(s), ${expired} expired` };
  });
}

export interface PreviewListing {
  previews: PreviewInfo[];
  /** Preview stacks without readable metadata: never reaped automatically. */
  unreadable: { stack: string; reason: string }[];
}

/** Every preview stack with its metadata, soonest to expire first; unreadable ones reported as skipped. */
export async function listPreviews(ctx: Context, op: OperationContext): Promise<PreviewListing> {
  const { engine } = ctx;
  const stacks = (await engine.listStacks()).filter((s) => isPreviewStackName(s.name));
  const at = ctx.now().getTime();
  const rows = await mapBounded(stacks, readConcurrency(engine.kind), async (s) => {
    try {
      const [config, outputs] = await Promise.all([
        engine.getConfig(s.name),
        engine.outputs(s.name).catch((): OutputMap => ({})),
      ]);
      let meta = recordedRelease(config).previewMeta;
      if (!meta?.expiresAt)
        meta = recordedRelease((await historyOrEmpty(ctx, s.name, 1))[0]?.config ?? {}).previewMeta;
      if (!meta?.commit || !meta.createdAt || !meta.expiresAt) {
        return {
          stack: s.name,
          reason: "no preview metadata (flightdeck:previewMeta) in its config or last update",
        };
      }
      const url = urlOf(outputs);
      const info: PreviewInfo = {
        stack: s.name,
        commit: meta.commit,
        ...(meta.branch ? { branch: meta.branch } : {}),
        ...(meta.author ? { author: meta.author } : {}),
        ...(url ? { url } : {}),
        createdAt: meta.createdAt,
        expiresAt: meta.expiresAt,
        expired: Date.parse(meta.expiresAt) <= at,
      };
      return info;
    } catch (error) {
      return { stack: s.name, reason: (error as Error).message };
    }
  });
  const previews: PreviewInfo[] = [];
  const unreadable: PreviewListing["unreadable"] = [];
  for (const row of rows) {
    if ("reason" in row) {
      unreadable.push(row);
      op.emit({ type: "item", stack: row.stack, status: "skipped", message: row.reason });
    } else previews.push(row);
  }
  previews.sort((a, b) => a.expiresAt.localeCompare(b.expiresAt) || a.stack.localeCompare(b.stack));
  return { previews, unreadable };
}

/** A duration flag's value in milliseconds, or a user error naming the flag. */
export function durationInput(value: string, flag: string): number {
  const parsed = durationSchema.safeParse(value);
  if (!parsed.success) {
    throw new UserError(`${flag} '${value}' is not a duration`, {
      tryMessage: "Use a duration like 30m, 24h or 7d.",
    });
  }
  return parseDurationMs(value);
}

/** `preview down` of a preview that does not exist: nothing was touched (exit 2). */
export function noSuchPreview(stack: string, ref: string): UserError {
  return new UserError(
    `there is no preview '${stack}'${ref === stack ? "" : ` (for ${ref})`}: nothing was destroyed`,
    {
      tryMessage: "Run `flightdeck preview list` to see the open previews and their stack names.",
      nextSteps: ["A preview that was reaped or taken down already is gone with its stack."],
    },
  );
}

function ciBranch(ctx: Context): string | undefined {
  const { env } = ctx;
  return env.BITBUCKET_BRANCH || env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME || undefined;
}

async function previewStackOf(ctx: Context, ref: string): Promise<string> {
  if (isPreviewStackName(ref)) return ref;
  try {
    return previewStackName(await resolveCommit(ctx.projectDir, ref));
  } catch (error) {
    // A preview of a commit this clone does not have can still be named by its SHA.
    if (isShaPrefix(ref)) return previewStackName(ref);
    throw error;
  }
}

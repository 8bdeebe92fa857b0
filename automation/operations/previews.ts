/**
 * preview up / down / list: one stack per commit (`preview-<sha7>`, with a TTL)
 * or per branch (`preview-b-<slug>`, following the branch's newest commit until
 * the branch is merged or deleted), on the shared previews base. Guards: the
 * shared load balancer's room (`preview-slots.ts`, exit 3); `up` refuses a stack
 * that serves another commit of the same sha7, or another branch of the same slug.
 */
import { durationSchema, type PreviewMeta, parseDurationMs } from "../../infra/config.js";
import { UserError } from "../../infra/errors.js";
import { isPreviewStackName, isShaPrefix, previewStackName, shortSha } from "../../infra/naming.js";
import { branchPreviewStackName, branchSlug, isBranchPreviewStackName } from "../../infra/preview-names.js";
import type { DeployResult, PreviewInfo, PreviewUpInput } from "../api.js";
import { requireBranchTip } from "../branches.js";
import { recordedRelease } from "../config-map.js";
import { type ConfigMap, type OutputMap, StackNotFoundError } from "../engine.js";
import { commitInfo, currentBranch, resolveCommit } from "../git.js";
import { mapBounded } from "../pool.js";
import type { OperationContext } from "../run.js";
import type { Context } from "./context.js";
import { previewFacts } from "./preview-facts.js";
import { heldPriority, previewSlot } from "./preview-slots.js";
import { historyOrEmpty, readConcurrency } from "./steps/read-stack.js";
import { release } from "./steps/release.js";
import { actorOf, commitOf, environmentConfig, imageFor } from "./steps/resolve.js";
import { runUpdate } from "./steps/run-update.js";

export function previewUp(ctx: Context, input: PreviewUpInput): Promise<DeployResult> {
  return ctx.run("previewUp", {}, async (op) => {
    if (input.branch !== undefined && input.commit !== undefined) {
      throw new UserError("give --branch or --commit, not both", {
        tryMessage: "A branch preview follows the branch's newest commit; a commit preview shows one commit.",
      });
    }
    const actor = await actorOf(ctx, op, input.actor);
    const target = await targetOf(ctx, op, input);
    const { stack, commit, slug } = target;
    if (input.ttl !== undefined) durationInput(input.ttl, "--ttl");
    const previews = await environmentConfig(ctx, op, "previews");
    const existing = recordedRelease(
      await ctx.engine.getConfig(stack).catch((): ConfigMap => ({})),
    ).previewMeta;
    refuseOtherOwner(stack, target, existing);
    const [info, branch, live] = await Promise.all([
      commitInfo(ctx.projectDir, commit),
      currentBranch(ctx.projectDir),
      listPreviews(ctx, op, { reasons: false }),
    ]);
    const rulePriority = previewSlot(stack, commit, existing ? heldPriority(stack, existing) : undefined, {
      stacks: [...live.previews.map((p) => p.stack), ...live.unreadable.map((u) => u.stack)],
      priorities: live.priorities,
    });
    // infra/stack.ts pulls in the component resources (and @pulumi/aws): load it only here.
    const { newPreviewMeta, previewStackConfig } = await import("../../infra/stack.js");
    const fresh = newPreviewMeta(commit, previews, {
      now: ctx.now(),
      ttl: input.ttl,
      branch: target.branch ?? ciBranch(ctx) ?? branch,
      author: info.authorEmail,
      rulePriority,
      ...(slug ? { slug } : {}),
    });
    // Running `preview up` again extends the preview; it keeps its creation time and a sleep or wake
    // by hand, except a wake whose time is up (the program cannot read the clock: it is dropped here).
    const power = existing?.power;
    const powerLasts = power && !(power.until && Date.parse(power.until) <= ctx.now().getTime());
    const meta: PreviewMeta = {
      ...fresh,
      ...(existing?.createdAt ? { createdAt: existing.createdAt } : {}),
      ...(powerLasts ? { power } : {}),
    };
    const config = previewStackConfig(previews, meta);
    const lives = slug ? `follows ${target.branch}` : `expires ${meta.expiresAt}`;
    op.emit({
      type: "step",
      message: `${stack}: ${shortSha(commit)} by ${info.authorEmail}, ${lives}, listener rule priority ${rulePriority}`,
    });
    const imageId = await imageFor(ctx, op, commit, config.region);
    return release(ctx, op, { stack, config, commit, imageId, actor, operation: "preview" });
  });
}

interface Target {
  stack: string;
  commit: string;
  branch?: string;
  slug?: string;
}

async function targetOf(ctx: Context, op: OperationContext, input: PreviewUpInput): Promise<Target> {
  if (input.branch === undefined) {
    const commit = await commitOf(ctx, op, input.commit);
    return { stack: previewStackName(commit), commit };
  }
  const branch = input.branch;
  const commit = await requireBranchTip(ctx.projectDir, branch);
  const stack = branchPreviewStackName(branch);
  op.emit({ type: "step", message: `branch ${branch} is at ${commit}; its preview is ${stack}` });
  return { stack, commit, branch, slug: branchSlug(branch) };
}

function refuseOtherOwner(stack: string, target: Target, existing: Partial<PreviewMeta> | undefined): void {
  if (target.branch !== undefined) {
    if (existing?.branch && existing.branch !== target.branch) {
      throw new UserError(`${stack} already follows the branch ${existing.branch}, whose name slugs alike`, {
        tryMessage: `Remove it first with \`flightdeck preview down ${stack}\`, or preview a commit with --commit.`,
      });
    }
    return;
  }
  if (existing?.commit && existing.commit !== target.commit) {
    throw new UserError(
      `${stack} already serves ${existing.commit}, another commit with the same short SHA`,
      {
        tryMessage: `Remove it first with \`flightdeck preview down ${stack}\`.`,
      },
    );
  }
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
    const going = previews.filter((p) => p.goes).length;
    return {
      data: previews,
      summary: `${previews.length} preview(s), ${expired} expired, ${going} that reap would remove`,
    };
  });
}

export interface PreviewListing {
  previews: PreviewInfo[];
  /** Preview stacks without readable metadata: never reaped automatically. */
  unreadable: { stack: string; reason: string }[];
  /** The listener rule priority each readable preview holds. */
  priorities: Record<string, number>;
}

/**
 * Every preview stack with its metadata, soonest to expire first; unreadable ones
 * reported as skipped. With `reasons` (default), each says whether and why reap
 * would remove it (a branch preview's branch is looked up in git).
 */
export async function listPreviews(
  ctx: Context,
  op: OperationContext,
  options: { reasons?: boolean } = {},
): Promise<PreviewListing> {
  const { engine } = ctx;
  const stacks = (await engine.listStacks()).filter((s) => isPreviewStackName(s.name));
  const rows = await mapBounded(stacks, readConcurrency(engine.kind), async (s) => {
    try {
      const [config, outputs] = await Promise.all([
        engine.getConfig(s.name),
        engine.outputs(s.name).catch((): OutputMap => ({})),
      ]);
      let recorded = config;
      if (!recordedRelease(config).previewMeta?.expiresAt)
        recorded = (await historyOrEmpty(ctx, s.name, 1))[0]?.config ?? {};
      const meta = recordedRelease(recorded).previewMeta;
      if (!meta?.commit || !meta.createdAt || !meta.expiresAt) {
        return {
          stack: s.name,
          reason: "no preview metadata (flightdeck:previewMeta) in its config or last update",
        };
      }
      if (isBranchPreviewStackName(s.name) && !meta.branch) {
        return { stack: s.name, reason: "a branch preview without its branch in flightdeck:previewMeta" };
      }
      return {
        info: await previewFacts(ctx, s.name, recorded, outputs, options.reasons !== false),
        priority: heldPriority(s.name, meta),
      };
    } catch (error) {
      return { stack: s.name, reason: (error as Error).message };
    }
  });
  const previews: PreviewInfo[] = [];
  const unreadable: PreviewListing["unreadable"] = [];
  const priorities: Record<string, number> = {};
  for (const row of rows) {
    if (row.info) {
      previews.push(row.info);
      if (row.priority !== undefined) priorities[row.info.stack] = row.priority;
    } else {
      unreadable.push({ stack: row.stack, reason: row.reason });
      op.emit({ type: "item", stack: row.stack, status: "skipped", message: row.reason });
    }
  }
  previews.sort((a, b) => a.expiresAt.localeCompare(b.expiresAt) || a.stack.localeCompare(b.stack));
  return { previews, unreadable, priorities };
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

/**
 * The preview stack a ref names: a preview stack name; a branch whose branch preview
 * exists (also once the branch is deleted); else a commit (or a SHA this clone lacks).
 */
export async function previewStackOf(ctx: Context, ref: string): Promise<string> {
  if (isPreviewStackName(ref)) return ref;
  if (!isShaPrefix(ref)) {
    const branchStack = branchPreviewStackName(ref);
    if ((await ctx.engine.listStacks()).some((s) => s.name === branchStack)) return branchStack;
  }
  try {
    return previewStackName(await resolveCommit(ctx.projectDir, ref));
  } catch (error) {
    // A preview of a commit this clone does not have can still be named by its SHA.
    if (isShaPrefix(ref)) return previewStackName(ref);
    throw error;
  }
}

/**
 * preview comment REF: put the preview's URL on its pull request(s) on Bitbucket
 * Cloud, as ONE comment per pull request that later runs update
 * (`bitbucket-pr.ts`). Which pull request: BITBUCKET_PR_ID when set (pull-request
 * pipelines), else every open one from the preview's branch; none open is fine
 * (nothing to do, exit 0). Missing settings: exit 2 before anything is read.
 * A delivery failure: exit 1, each failed pull request named.
 */
import { describeSchedule } from "../../infra/config/preview-schedule.js";
import { UserError } from "../../infra/errors.js";
import { shortSha } from "../../infra/naming.js";
import type { PreviewCommentResult, PreviewInfo } from "../api.js";
import {
  bitbucketSettings,
  openPullRequestsOf,
  PREVIEW_COMMENT_MARKER,
  upsertPreviewComment,
} from "../bitbucket-pr.js";
import { plainValues } from "../config-map.js";
import { type OutputMap, StackNotFoundError } from "../engine.js";
import { OperationFailedError } from "../errors.js";
import { scheduleOf } from "../preview-power.js";
import type { Context } from "./context.js";
import { previewFacts } from "./preview-facts.js";
import { noSuchPreview, previewStackOf } from "./previews.js";

export function previewComment(ctx: Context, input: { ref: string }): Promise<PreviewCommentResult> {
  return ctx.run("previewComment", {}, async (op) => {
    const settings = bitbucketSettings(ctx.env);
    const stack = await previewStackOf(ctx, input.ref);
    const config = await ctx.engine.getConfig(stack).catch((error: unknown) => {
      if (error instanceof StackNotFoundError) throw noSuchPreview(stack, input.ref);
      throw error;
    });
    const outputs = await ctx.engine.outputs(stack).catch((): OutputMap => ({}));
    const info = await previewFacts(ctx, stack, config, outputs, false);
    if (!info.url) {
      throw new UserError(`${stack} has no URL yet: nothing to put on the pull request`, {
        tryMessage: "Run `flightdeck preview up` for it first; its URL is known once it is up.",
      });
    }
    const schedule = scheduleOf(plainValues(config)["flightdeck:preview"]);
    const body = commentBody(info, schedule?.enabled ? describeSchedule(schedule) : undefined);
    let ids: number[];
    if (settings.prId !== undefined) ids = [settings.prId];
    else if (info.branch) ids = await openPullRequestsOf(settings, info.branch);
    else {
      throw new UserError(`${stack} records no branch, and BITBUCKET_PR_ID is not set: which pull request?`, {
        tryMessage: "Run it in a pull-request pipeline (BITBUCKET_PR_ID), or for a branch preview.",
      });
    }
    const data: PreviewCommentResult = {
      stack,
      url: info.url,
      ...(info.branch ? { branch: info.branch } : {}),
      pullRequests: [],
    };
    if (ids.length === 0) {
      op.emit({ type: "step", message: `no open pull request from ${info.branch}: nothing to comment on` });
      return { data, summary: `no open pull request from ${info.branch}`, stack, url: info.url };
    }
    const failed: string[] = [];
    for (const id of ids) {
      try {
        const done = await upsertPreviewComment(settings, id, body);
        data.pullRequests.push({ id, ...done });
        op.emit({
          type: "item",
          stack,
          status: "done",
          message: `pull request #${id}: comment ${done.action}`,
        });
      } catch (error) {
        failed.push(`  pull request #${id}: ${(error as Error).message}`);
        op.emit({
          type: "item",
          stack,
          status: "failed",
          message: `pull request #${id}: ${(error as Error).message}`,
        });
        if (ids.length === 1) throw error;
      }
    }
    if (failed.length > 0) {
      throw new OperationFailedError(
        `the preview comment could not be delivered to ${failed.length} of ${ids.length} pull requests:\n${failed.join("\n")}`,
        data,
        { tryMessage: "Run `flightdeck preview comment` again; check BITBUCKET_PR_TOKEN if it is refused." },
      );
    }
    const actions = data.pullRequests.map((p) => `#${p.id} ${p.action}`).join(", ");
    return { data, summary: `preview ${info.url} on pull request ${actions}`, stack, url: info.url };
  });
}

/** The comment's Markdown: the hidden marker, the URL, and what the preview is. No time stamp: an unchanged preview leaves it as it is. */
export function commentBody(info: PreviewInfo, schedule: string | undefined): string {
  const what =
    info.kind === "branch"
      ? `Branch \`${info.branch}\` at \`${shortSha(info.commit)}\` (stack \`${info.stack}\`): updated on every push, removed when the branch is merged or deleted.`
      : `Commit \`${shortSha(info.commit)}\` (stack \`${info.stack}\`), until ${info.expiresAt}.`;
  const sleep = schedule
    ? `\n\nAwake ${schedule}; outside those hours \`flightdeck preview wake ${info.stack}\` wakes it.`
    : "";
  return `${PREVIEW_COMMENT_MARKER}\n**Preview:** ${info.url}\n\n${what}${sleep}`;
}

/**
 * sweep [--delete]: AWS resources tagged `flightdeck:stack=<stack>` (the tag
 * every resource of the program carries: infra/tags.ts) whose stack no longer
 * exists, or which that stack's state does not hold: what a failed destroy or
 * a forced stack removal left behind. A dry run by default; with `delete`
 * they are deleted in dependency order (`sweep/port.ts`), every failure
 * reported (exit 1), and types sweep does not delete are listed for a person.
 *
 * Never judged (so never deleted): the resources of a stack whose update is
 * running (it may not have recorded them yet) or whose state cannot be read.
 */
import { loadStackConfig } from "../../infra/config.js";
import { UserError } from "../../infra/errors.js";
import { knownEnvironments } from "../environments.js";
import { RESOURCE_TAGS } from "../../infra/tags.js";
import type { Leftover, SweepInput, SweepResult } from "../api.js";
import { StackNotFoundError } from "../engine.js";
import { OperationFailedError } from "../errors.js";
import { arnType, deleteOrder, idsOf, isDeletable, type Leftovers } from "../sweep/port.js";
import type { Context } from "./context.js";
import { throwIfAborted } from "./steps/run-update.js";

export function sweep(ctx: Context, leftovers: Leftovers, input: SweepInput): Promise<SweepResult> {
  return ctx.run("sweep", {}, async (op) => {
    const regions = input.regions ?? (await regionsOf(ctx));
    if (regions.length === 0) {
      throw new UserError("no AWS region to look for leftovers in", {
        tryMessage: "Set AWS_REGION, or give `aws:region` in a Pulumi.<env>.yaml.",
      });
    }
    const stacks = new Map((await ctx.engine.listStacks()).map((s) => [s.name, s]));
    const result: SweepResult = {
      dryRun: input.delete !== true,
      regions,
      leftovers: [],
      deleted: [],
      failed: [],
      byHand: [],
      skipped: [],
    };
    const known = new Map<string, Promise<Set<string> | string>>();
    /** A stack's state IDs, or why its resources are not judged. */
    const stateIds = (stack: string): Promise<Set<string> | string> => {
      let ids = known.get(stack);
      if (!ids) {
        ids = ctx.engine.resources(stack).then(
          (rs) => new Set(rs.flatMap((r) => [r.id, r.arn].filter((v): v is string => Boolean(v)))),
          (error: unknown) =>
            error instanceof StackNotFoundError
              ? new Set<string>()
              : `its state cannot be read: ${(error as Error).message}`,
        );
        known.set(stack, ids);
      }
      return ids;
    };
    for (const region of regions) {
      op.emit({ type: "step", message: `${region}: resources tagged ${RESOURCE_TAGS.stack}` });
      for (const tagged of await leftovers.tagged(region, RESOURCE_TAGS.stack)) {
        const stack = tagged.tags[RESOURCE_TAGS.stack] ?? "";
        const summary = stacks.get(stack);
        const base = { arn: tagged.arn, region, stack, type: arnType(tagged.arn) };
        const deletable = isDeletable(base.type);
        if (!summary) {
          result.leftovers.push({ ...base, reason: "stack-gone", deletable });
          continue;
        }
        if (summary.updateInProgress) {
          skip(result, stack, "an update is running on it");
          continue;
        }
        const ids = await stateIds(stack);
        if (typeof ids === "string") {
          skip(result, stack, ids);
          continue;
        }
        if (!idsOf(tagged.arn).some((id) => ids.has(id)))
          result.leftovers.push({ ...base, reason: "not-in-state", deletable });
      }
    }
    for (const s of result.skipped) {
      op.emit({
        type: "diagnostic",
        severity: "warning",
        stack: s.stack,
        message: `${s.stack} not swept: ${s.reason}`,
      });
    }
    for (const l of result.leftovers) {
      op.emit({
        type: "item",
        stack: l.stack,
        status: result.dryRun ? "skipped" : "started",
        message: leftoverLine(l),
      });
    }
    result.byHand = result.leftovers.filter((l) => !l.deletable).map((l) => l.arn);
    if (result.dryRun) {
      const n = result.leftovers.length;
      return {
        data: result,
        summary:
          n === 0 ? "no leftovers" : `dry run: ${n} leftover(s); \`flightdeck sweep --delete\` removes them`,
      };
    }
    for (const l of deleteOrder(result.leftovers)) {
      throwIfAborted(ctx, l.stack);
      try {
        await leftovers.delete(l.region, l.arn);
        result.deleted.push(l.arn);
        op.emit({ type: "item", stack: l.stack, status: "done", message: `deleted ${l.arn}` });
      } catch (error) {
        const message = (error as Error).message;
        result.failed.push({ arn: l.arn, error: message });
        op.emit({ type: "item", stack: l.stack, status: "failed", message: `${l.arn}: ${message}` });
      }
    }
    if (result.failed.length > 0) {
      throw new OperationFailedError(
        `${result.failed.length} leftover(s) could not be deleted:\n${result.failed.map((f) => `  ${f.arn}: ${f.error}`).join("\n")}`,
        result,
        {
          tryMessage:
            "Run `flightdeck sweep --delete` again (a resource still in use goes once what uses it is gone); one that keeps failing needs a look in the AWS console.",
        },
      );
    }
    const byHand = result.byHand.length > 0 ? `; ${result.byHand.length} to delete by hand` : "";
    return { data: result, summary: `${result.deleted.length} leftover(s) deleted${byHand}` };
  });
}

function skip(result: SweepResult, stack: string, reason: string): void {
  if (!result.skipped.some((s) => s.stack === stack)) result.skipped.push({ stack, reason });
}

export function leftoverLine(l: Leftover): string {
  const why =
    l.reason === "stack-gone" ? `stack ${l.stack} no longer exists` : `not in the state of ${l.stack}`;
  return `${l.arn} (${why})${l.deletable ? "" : "; delete it by hand"}`;
}

/** Every region an environment config names, else the SDK's region setting. */
async function regionsOf(ctx: Context): Promise<string[]> {
  const regions = new Set<string>();
  for (const env of await knownEnvironments(ctx.projectDir)) {
    const config = await loadStackConfig(ctx.projectDir, env).catch(() => undefined);
    if (config?.region) regions.add(config.region);
  }
  const fallback = ctx.env.AWS_REGION ?? ctx.env.AWS_DEFAULT_REGION;
  if (regions.size === 0 && fallback) regions.add(fallback);
  return [...regions].sort();
}

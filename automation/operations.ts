/**
 * The operations behind every button: `createOperations(deps)` returns one
 * function per `Operations` method, each a module of `operations/` run with
 * the one shared context. Each emits `start`, steps, guard and resource events
 * and exactly one `result`, appends them to its JSON-lines log, and never
 * prints.
 *
 * Every deploy-like update (deploy, promote, rollback, preview up) writes
 * `flightdeck:image` = {commit, amiId} and `flightdeck:release` = {actor,
 * operation, at, from?} into the stack config before `up`
 * (`operations/steps/release.ts`), so the stack's own update history answers
 * "what ran here, built from what, by whom".
 */
import type { OperationDeps, Operations } from "./api.js";
import { createContext } from "./operations/context.js";
import { deploy } from "./operations/deploy.js";
import { drift } from "./operations/drift.js";
import { history } from "./operations/history.js";
import { overview } from "./operations/overview.js";
import { plan } from "./operations/plan.js";
import { previewComment } from "./operations/preview-comment.js";
import { previewSleep, previewWake } from "./operations/preview-sleep.js";
import { previewDown, previewList, previewUp } from "./operations/previews.js";
import { promote } from "./operations/promote.js";
import { reap } from "./operations/reap.js";
import { rollback } from "./operations/rollback.js";
import { pendingReleases } from "./operations/steps/changes.js";
import { status } from "./operations/status.js";
import { sweep } from "./operations/sweep.js";
import { where } from "./operations/where.js";

export { DEFAULT_REAP_CONCURRENCY } from "./operations/reap.js";

export function createOperations(deps: OperationDeps): Operations {
  const ctx = createContext(deps);
  return {
    deploy: (input) => deploy(ctx, input),
    promote: (input) => promote(ctx, input),
    rollback: (input) => rollback(ctx, input),
    previewUp: (input) => previewUp(ctx, input),
    previewDown: (input) => previewDown(ctx, input),
    previewList: () => previewList(ctx),
    previewSleep: (input) => previewSleep(ctx, input),
    previewWake: (input) => previewWake(ctx, input),
    previewComment: (input) => previewComment(ctx, input),
    reap: (input) => reap(ctx, input),
    status: () => status(ctx),
    history: (input) => history(ctx, input),
    plan: (input) => plan(ctx, input),
    where: (input) => where(ctx, input),
    releasesOf: (input) => pendingReleases(ctx, input),
    drift: (input) => drift(ctx, input),
    // The AWS SDK is loaded only when a sweep runs without a port given (tests give one).
    sweep: async (input) =>
      sweep(ctx, deps.leftovers ?? (await import("./sweep/aws.js")).createAwsLeftovers(), input),
    overview: () => overview(ctx),
  };
}

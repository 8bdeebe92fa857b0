/**
 * The operations behind every button: `createOperations(deps)` returns one
 * function per `Operations` method. Each emits `start`, steps, guard and
 * resource events and exactly one `result`, appends them to its JSON-lines log,
 * and never prints.
 *
 * Every deploy-like update (deploy, promote, rollback, preview up) writes
 * `flightdeck:image` = {commit, amiId} and `flightdeck:release` = {actor,
 * operation, at, from?} into the stack config before `up`, so the stack's own
 * update history answers "what ran here, built from what, by whom".
 */
import { join } from "node:path";
import {
  durationSchema,
  loadStackConfig,
  type PreviewMeta,
  parseDurationMs,
  type ReleaseInfo,
  type StackConfig,
  stackConfigFileName,
  withoutReleaseFields,
} from "../infra/config.js";
import { ExitCode, UserError } from "../infra/errors.js";
import { createRedactor } from "../infra/redact.js";
import { isPreviewStackName, isShaPrefix, previewStackName, shortSha } from "../infra/naming.js";
import { resolveActor } from "./actor.js";
import type {
  Actor,
  DeployResult,
  HistoryEntry,
  LastUpdate,
  OperationDeps,
  Operations,
  PreviewInfo,
  ReapResult,
  StackStatus,
} from "./api.js";
import { configMapOf, IMAGE_KEY, recordedRelease, stackConfigOf } from "./config-map.js";
import { requireEnvironmentFile } from "./environments.js";
import {
  type ConfigMap,
  type EngineStackSummary,
  type OutputMap,
  type RunOptions,
  type RunResult,
  StackNotFoundError,
  UpdateCancelledError,
  type UpdateRecord,
} from "./engine.js";
import { OperationFailedError } from "./errors.js";
import type { OperationName } from "./events.js";
import {
  authorsOfRange,
  commitInfo,
  currentBranch,
  gitUserEmail,
  isReachableFrom,
  resolveCommit,
  treeState,
} from "./git.js";
import {
  type GuardDecision,
  guardError,
  promoteGuard,
  protectionDecisions,
  rollbackGuard,
} from "./guards.js";
import { mapBounded, settleBounded } from "./pool.js";
import { type OperationContext, type Outcome, runOperation, withoutUndefined } from "./run.js";

/**
 * How many stacks `status` and `preview list` read at once. Each read of the
 * real engine is three `pulumi` processes (config, outputs, history), so it is
 * kept low there; the in-memory engine costs nothing.
 */
export function readConcurrency(kind: "local" | "memory"): number {
  return kind === "local" ? 4 : 16;
}
export const DEFAULT_REAP_CONCURRENCY = 4;

type Env = Record<string, string | undefined>;

const ENVIRONMENT_ORDER: StackStatus["environment"][] = [
  "production",
  "staging",
  "testing",
  "previews",
  "preview",
  "unknown",
];

export function createOperations(deps: OperationDeps): Operations {
  const { engine, projectDir } = deps;
  const env: Env = deps.env ?? process.env;
  const now = deps.now ?? (() => new Date());
  const logDir = deps.logDir ?? join(projectDir, ".flightdeck", "logs");
  const redact = createRedactor(env);

  function run<T>(
    operation: OperationName,
    start: { stack?: string },
    body: (ctx: OperationContext) => Promise<Outcome<T>>,
  ): Promise<T> {
    return runOperation({ operation, logDir, onEvent: deps.onEvent, now, start, redact }, body);
  }

  // ---- facts --------------------------------------------------------------

  function actorOf(flag: string | undefined): Promise<Actor> {
    return resolveActor(flag, env, () => gitUserEmail(projectDir));
  }

  async function commitOf(ctx: OperationContext, ref: string | undefined): Promise<string> {
    const sha = await resolveCommit(projectDir, ref ?? "HEAD");
    const named = ref ?? "HEAD";
    ctx.emit({ type: "step", message: named === sha ? `commit ${sha}` : `commit ${named} is ${sha}` });
    return sha;
  }

  async function environmentConfig(ctx: OperationContext, stack: string): Promise<StackConfig> {
    await requireEnvironmentFile(projectDir, stack);
    const config = await loadStackConfig(projectDir, stack);
    ctx.emit({
      type: "step",
      message: `${stackConfigFileName(stack)} is valid (${config.environment}, ${config.region})`,
    });
    return config;
  }

  async function historyOrEmpty(stack: string, limit?: number): Promise<UpdateRecord[]> {
    try {
      return await engine.history(stack, limit);
    } catch (error) {
      if (error instanceof StackNotFoundError) return [];
      throw error;
    }
  }

  /** The commit the stack's last successful update ran (what it runs now). */
  function runningCommit(history: UpdateRecord[]): string | undefined {
    const last = history.find((r) => r.kind === "update" && r.result === "succeeded");
    return last ? recordedRelease(last.config).commit : undefined;
  }

  function guard(ctx: OperationContext, decisions: GuardDecision[]): void {
    for (const d of decisions)
      ctx.emit({ type: "guard", guard: d.guard, allowed: d.allowed, reason: d.reason });
    const refused = decisions.find((d) => !d.allowed);
    if (refused) throw guardError(refused);
  }

  /** Gather only the facts the stack's protection rules need, then decide. */
  async function protectionGuards(
    ctx: OperationContext,
    stack: string,
    config: StackConfig,
    commit: string,
    actor: Actor,
    history: UpdateRecord[],
  ): Promise<void> {
    const p = config.protection;
    const running = runningCommit(history);
    const [reachability, tree, authors] = await Promise.all([
      p.allowedBranch ? isReachableFrom(projectDir, commit, p.allowedBranch) : undefined,
      p.requireCleanTree ? treeState(projectDir) : undefined,
      p.separationOfDuties ? authorsOfRange(projectDir, running, commit) : undefined,
    ]);
    guard(
      ctx,
      protectionDecisions({
        stack,
        commit,
        actor: actor.id,
        protection: p,
        reachability,
        tree,
        runningCommit: running,
        authors,
      }),
    );
  }

  async function imageFor(ctx: OperationContext, commit: string, region: string): Promise<string> {
    const imageId = await deps.images.imageFor(commit, region);
    ctx.emit({ type: "step", message: `image for ${shortSha(commit)} in ${region}: ${imageId}` });
    return imageId;
  }

  // ---- running updates ----------------------------------------------------

  function throwIfAborted(stack: string): void {
    if (deps.signal?.aborted) throw new UpdateCancelledError(stack);
  }

  /** Run one engine update, forwarding its events; on cancellation, report the state it left. */
  async function runEngine(
    ctx: OperationContext,
    stack: string,
    message: string,
    start: (options: RunOptions) => Promise<RunResult>,
  ): Promise<RunResult> {
    throwIfAborted(stack);
    const started = new Map<string, number>();
    let finished = 0;
    const options: RunOptions = {
      message,
      signal: deps.signal,
      onEvent: (event) => {
        if (event.kind === "resource") {
          const at = now().getTime();
          if (event.status === "started") started.set(event.urn, at);
          const begun = started.get(event.urn);
          if (event.status !== "started") {
            finished++;
            started.delete(event.urn);
          }
          ctx.emit({
            type: "resource",
            stack,
            urn: event.urn,
            resourceType: event.resourceType,
            name: event.name,
            op: event.op,
            status: event.status,
            ...(event.status !== "started" && begun !== undefined ? { durationMs: at - begun } : {}),
            ...(event.error ? { error: event.error } : {}),
          });
        } else if (event.kind === "diagnostic") {
          ctx.emit({
            type: "diagnostic",
            severity: event.severity,
            message: event.message,
            stack,
            ...(event.urn ? { urn: event.urn } : {}),
          });
        }
      },
    };
    try {
      return await start(options);
    } catch (error) {
      if (error instanceof UpdateCancelledError) {
        const [last] = await historyOrEmpty(stack, 1).catch(() => []);
        ctx.emit({
          type: "step",
          message:
            `cancelled: the engine stopped the update of ${stack}; ${finished} resource operation(s) had finished and ` +
            `${started.size} were in flight; the update is recorded as ${last?.result ?? "unknown"}. ` +
            `The stack may be partly updated: run \`flightdeck status\`, then run the same command again to finish.`,
        });
      }
      throw error;
    }
  }

  interface Release {
    stack: string;
    config: StackConfig;
    commit: string;
    imageId: string;
    actor: Actor;
    operation: ReleaseInfo["operation"];
    from?: string;
  }

  async function release(ctx: OperationContext, r: Release): Promise<Outcome<DeployResult>> {
    const at = now();
    const info: ReleaseInfo = {
      actor: r.actor.id,
      operation: r.operation,
      at: at.toISOString(),
      ...(r.from ? { from: r.from } : {}),
    };
    const config: StackConfig = { ...r.config, image: { commit: r.commit, amiId: r.imageId }, release: info };
    throwIfAborted(r.stack);
    await engine.ensureStack(r.stack);
    await engine.setConfig(r.stack, configMapOf(config as unknown as Record<string, unknown>));
    ctx.emit({
      type: "step",
      message: `recorded on ${r.stack}: ${shortSha(r.commit)} with ${r.imageId}, ${r.operation} by ${r.actor.id}`,
      release: { commit: r.commit, imageId: r.imageId, actor: r.actor.id },
    });
    const verb = r.operation === "promote" ? `promote from ${r.from}` : r.operation;
    const result = await runEngine(
      ctx,
      r.stack,
      `flightdeck ${verb} ${shortSha(r.commit)} by ${r.actor.id}`,
      (o) => engine.up(r.stack, o),
    );
    const url = urlOf(result.outputs);
    const data: DeployResult = {
      stack: r.stack,
      commit: r.commit,
      imageId: r.imageId,
      actor: r.actor.id,
      ...(url ? { url } : {}),
      changes: result.changes,
      durationMs: now().getTime() - at.getTime(),
    };
    return {
      data,
      summary: `${r.stack} runs ${shortSha(r.commit)} (${r.imageId})${url ? ` at ${url}` : ""}`,
      stack: r.stack,
      url,
      changes: result.changes,
    };
  }

  // ---- previews -----------------------------------------------------------

  function ciBranch(): string | undefined {
    return env.BITBUCKET_BRANCH || env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME || undefined;
  }

  async function previewStackOf(ref: string): Promise<string> {
    if (isPreviewStackName(ref)) return ref;
    try {
      return previewStackName(await resolveCommit(projectDir, ref));
    } catch (error) {
      // A preview of a commit this clone does not have can still be named by its SHA.
      if (isShaPrefix(ref)) return previewStackName(ref);
      throw error;
    }
  }

  interface PreviewListing {
    previews: PreviewInfo[];
    /** Preview stacks without readable metadata: never reaped automatically. */
    unreadable: { stack: string; reason: string }[];
  }

  async function listPreviews(ctx: OperationContext): Promise<PreviewListing> {
    const stacks = (await engine.listStacks()).filter((s) => isPreviewStackName(s.name));
    const at = now().getTime();
    const rows = await mapBounded(stacks, readConcurrency(engine.kind), async (s) => {
      try {
        const [config, outputs] = await Promise.all([
          engine.getConfig(s.name),
          engine.outputs(s.name).catch((): OutputMap => ({})),
        ]);
        let meta = recordedRelease(config).previewMeta;
        if (!meta?.expiresAt)
          meta = recordedRelease((await historyOrEmpty(s.name, 1))[0]?.config ?? {}).previewMeta;
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
        ctx.emit({ type: "item", stack: row.stack, status: "skipped", message: row.reason });
      } else previews.push(row);
    }
    previews.sort((a, b) => a.expiresAt.localeCompare(b.expiresAt) || a.stack.localeCompare(b.stack));
    return { previews, unreadable };
  }

  function durationInput(value: string, flag: string): number {
    const parsed = durationSchema.safeParse(value);
    if (!parsed.success) {
      throw new UserError(`${flag} '${value}' is not a duration`, {
        tryMessage: "Use a duration like 30m, 24h or 7d.",
      });
    }
    return parseDurationMs(value);
  }

  // ---- status ---------------------------------------------------------------

  async function statusOf(summary: EngineStackSummary): Promise<StackStatus> {
    const stack = summary.name;
    const [config, outputs, history] = await Promise.all([
      engine.getConfig(stack).catch((): ConfigMap => ({})),
      engine.outputs(stack).catch((): OutputMap => ({})),
      historyOrEmpty(stack, 1),
    ]);
    const last = history[0];
    // What actually ran is the last update's config; the current config may hold a deploy not yet run.
    const ran = recordedRelease(last?.config ?? config);
    const current = recordedRelease(config);
    const environment = environmentOf(stack, config);
    const url = urlOf(outputs);
    const meta = current.previewMeta ?? ran.previewMeta;
    const row: StackStatus = {
      stack,
      environment,
      updateInProgress: summary.updateInProgress,
      ...withoutUndefined({
        commit: ran.commit ?? current.commit,
        branch: meta?.branch,
        imageId: ran.imageId ?? current.imageId,
        url,
        resourceCount: summary.resourceCount,
      }),
    };
    if (last) row.lastUpdate = lastUpdateOf(last);
    if (environment === "preview" && meta?.expiresAt) {
      row.expiresAt = meta.expiresAt;
      row.msLeft = Date.parse(meta.expiresAt) - now().getTime();
    }
    if (deps.costPerDay) {
      try {
        const cost = await deps.costPerDay(stack, stackConfigOf(config, `stack ${stack}`));
        if (cost !== undefined) row.costPerDayUsd = cost;
      } catch {
        // A stack whose config no longer validates has no cost estimate; status still lists it.
      }
    }
    return row;
  }

  // ---- the operations -----------------------------------------------------

  return {
    deploy: (input) =>
      run("deploy", { stack: input.env }, async (ctx) => {
        const config = await environmentConfig(ctx, input.env);
        const actor = await actorOf(input.actor);
        const commit = await commitOf(ctx, input.commit);
        const history = await historyOrEmpty(input.env);
        await protectionGuards(ctx, input.env, config, commit, actor, history);
        const imageId = await imageFor(ctx, commit, config.region);
        return release(ctx, { stack: input.env, config, commit, imageId, actor, operation: "deploy" });
      }),

    promote: (input) =>
      run("promote", { stack: input.to }, async (ctx) => {
        if (input.from === input.to) throw new UserError(`cannot promote ${input.from} to itself`);
        const config = await environmentConfig(ctx, input.to);
        // The source must be an environment; one that never ran is refused by the guard (exit 3).
        await requireEnvironmentFile(projectDir, input.from);
        const actor = await actorOf(input.actor);
        const source = promoteGuard({
          from: input.from,
          to: input.to,
          history: await historyOrEmpty(input.from),
        });
        guard(ctx, [source.decision]);
        const commit = source.commit as string;
        const imageId = source.imageId as string;
        await protectionGuards(ctx, input.to, config, commit, actor, await historyOrEmpty(input.to));
        return release(ctx, {
          stack: input.to,
          config,
          commit,
          imageId,
          actor,
          operation: "promote",
          from: input.from,
        });
      }),

    rollback: (input) =>
      run("rollback", { stack: input.env }, async (ctx) => {
        const config = await environmentConfig(ctx, input.env);
        const actor = await actorOf(input.actor);
        const history = await historyOrEmpty(input.env);
        const commit = await rollbackCommit(ctx, input.commit, history);
        const target = rollbackGuard({ stack: input.env, commit, history });
        guard(ctx, [target.decision]);
        await protectionGuards(ctx, input.env, config, commit, actor, history);
        const imageId = target.imageId as string;
        ctx.emit({
          type: "step",
          message: `rolling back to the image recorded in update ${target.record?.version}: ${imageId}`,
        });
        return release(ctx, { stack: input.env, config, commit, imageId, actor, operation: "rollback" });
      }),

    previewUp: (input) =>
      run("previewUp", {}, async (ctx) => {
        const actor = await actorOf(input.actor);
        const commit = await commitOf(ctx, input.commit);
        const stack = previewStackName(commit);
        if (input.ttl !== undefined) durationInput(input.ttl, "--ttl");
        const previews = await environmentConfig(ctx, "previews");
        const existing = recordedRelease(
          await engine.getConfig(stack).catch((): ConfigMap => ({})),
        ).previewMeta;
        if (existing?.commit && existing.commit !== commit) {
          throw new UserError(
            `${stack} already serves ${existing.commit}, another commit with the same short SHA`,
            {
              tryMessage: `Remove it first with \`flightdeck preview down ${stack}\`.`,
            },
          );
        }
        const [info, branch] = await Promise.all([commitInfo(projectDir, commit), currentBranch(projectDir)]);
        // infra/stack.ts pulls in the component resources (and @pulumi/aws): load it only here.
        const { newPreviewMeta, previewStackConfig } = await import("../infra/stack.js");
        const fresh = newPreviewMeta(commit, previews, {
          now: now(),
          ttl: input.ttl,
          branch: ciBranch() ?? branch,
          author: info.authorEmail,
        });
        // Running `preview up` again extends the preview; it keeps its creation time.
        const meta: PreviewMeta = existing?.createdAt ? { ...fresh, createdAt: existing.createdAt } : fresh;
        const config = previewStackConfig(previews, meta);
        ctx.emit({
          type: "step",
          message: `${stack}: ${shortSha(commit)} by ${info.authorEmail}, expires ${meta.expiresAt}`,
        });
        const imageId = await imageFor(ctx, commit, config.region);
        return release(ctx, { stack, config, commit, imageId, actor, operation: "preview" });
      }),

    previewDown: (input) =>
      run("previewDown", {}, async (ctx) => {
        const stack = await previewStackOf(input.ref);
        const at = now().getTime();
        ctx.emit({ type: "step", message: `destroying ${stack}` });
        const result = await runEngine(ctx, stack, `flightdeck preview down ${stack}`, (o) =>
          engine.destroy(stack, o),
        ).catch((error: unknown) => {
          if (error instanceof StackNotFoundError) throw noSuchPreview(stack, input.ref);
          throw error;
        });
        await engine.removeStack(stack);
        ctx.emit({ type: "step", message: `removed ${stack}` });
        const data = { stack, durationMs: now().getTime() - at };
        return { data, summary: `${stack} destroyed and removed`, stack, changes: result.changes };
      }),

    previewList: () =>
      run("previewList", {}, async (ctx) => {
        const { previews } = await listPreviews(ctx);
        const expired = previews.filter((p) => p.expired).length;
        return { data: previews, summary: `${previews.length} preview(s), ${expired} expired` };
      }),

    reap: (input) =>
      run("reap", {}, async (ctx) => {
        const at = now();
        const concurrency = input.concurrency ?? DEFAULT_REAP_CONCURRENCY;
        if (!Number.isInteger(concurrency) || concurrency < 1) {
          throw new UserError(`--concurrency must be a whole number of at least 1, got ${concurrency}`);
        }
        const olderThanMs =
          input.olderThan !== undefined ? durationInput(input.olderThan, "--older-than") : undefined;
        const { previews } = await listPreviews(ctx);
        const candidates = previews
          .filter(
            (p) =>
              p.expired ||
              (olderThanMs !== undefined && at.getTime() - Date.parse(p.createdAt) > olderThanMs),
          )
          .map((p) => p.stack);
        const result: ReapResult = {
          dryRun: input.dryRun === true,
          candidates,
          destroyed: [],
          failed: [],
          durationMs: 0,
        };
        if (input.dryRun) {
          for (const stack of candidates)
            ctx.emit({
              type: "item",
              stack,
              status: "skipped",
              message: "dry run: would destroy and remove",
            });
          result.durationMs = now().getTime() - at.getTime();
          return { data: result, summary: `dry run: ${candidates.length} preview(s) would be reaped` };
        }
        // Each item is reported the moment it settles, so a long reap shows its progress.
        const outcomes = await settleBounded(candidates, concurrency, async (stack) => {
          throwIfAborted(stack);
          ctx.emit({ type: "item", stack, status: "started" });
          try {
            await engine.destroy(stack, { signal: deps.signal, message: "flightdeck reap" });
            await engine.removeStack(stack);
          } catch (error) {
            ctx.emit({ type: "item", stack, status: "failed", message: (error as Error).message });
            throw error;
          }
          ctx.emit({ type: "item", stack, status: "done" });
        });
        outcomes.forEach((outcome, i) => {
          const stack = candidates[i] as string;
          if (outcome.status === "fulfilled") result.destroyed.push(stack);
          else result.failed.push({ stack, error: (outcome.reason as Error).message });
        });
        result.durationMs = now().getTime() - at.getTime();
        if (deps.signal?.aborted) {
          throw new OperationFailedError(
            `reap was cancelled: ${result.destroyed.length} of ${candidates.length} reaped`,
            result,
            {
              exitCode: ExitCode.interrupted,
              tryMessage: "Run `flightdeck reap` again to finish.",
            },
          );
        }
        if (result.failed.length > 0) {
          throw new OperationFailedError(
            `${result.failed.length} of ${candidates.length} preview(s) could not be reaped:\n${result.failed.map((f) => `  ${f.stack}: ${f.error}`).join("\n")}`,
            result,
            {
              tryMessage:
                "Run `flightdeck reap` again; a preview that keeps failing needs `flightdeck preview down <stack>` and a look at its log.",
            },
          );
        }
        return { data: result, summary: `${result.destroyed.length} preview(s) reaped` };
      }),

    status: () =>
      run("status", {}, async (ctx) => {
        const stacks = await engine.listStacks();
        const rows = await mapBounded(stacks, readConcurrency(engine.kind), async (summary) => {
          try {
            return await statusOf(summary);
          } catch (error) {
            // One unreadable stack still gets its row; the matrix is not lost for it.
            ctx.emit({
              type: "item",
              stack: summary.name,
              status: "failed",
              message: (error as Error).message,
            });
            const row: StackStatus = {
              stack: summary.name,
              environment: environmentOf(summary.name, {}),
              updateInProgress: summary.updateInProgress,
            };
            return row;
          }
        });
        rows.sort(
          (a, b) =>
            ENVIRONMENT_ORDER.indexOf(a.environment) - ENVIRONMENT_ORDER.indexOf(b.environment) ||
            a.stack.localeCompare(b.stack),
        );
        return { data: rows, summary: `${rows.length} stack(s)` };
      }),

    history: (input) =>
      run("history", { stack: input.env }, async () => {
        const records = await engine.history(input.env, input.limit);
        const entries = records.map(historyEntryOf);
        return { data: entries, summary: `${entries.length} update(s) of ${input.env}`, stack: input.env };
      }),

    plan: (input) =>
      run("plan", { stack: input.stack }, async (ctx) => {
        const stack = input.stack;
        const preview = isPreviewStackName(stack);
        // A preview's config lives only in its stack; an environment's is the committed file.
        const previewConfig = preview ? await engine.getConfig(stack) : undefined;
        const config = previewConfig
          ? stackConfigOf(previewConfig, `stack ${stack}`)
          : await environmentConfig(ctx, stack);
        const commit = input.commit ? await commitOf(ctx, input.commit) : undefined;
        if (!preview) {
          // The committed config, without flightdeck's own keys (they keep what the stack runs).
          await engine.ensureStack(stack);
          await engine.setConfig(stack, configMapOf(withoutReleaseFields(config)));
        }
        // What the stack records before this plan (setting the committed config left flightdeck's keys as
        // they were). A plan must not leave another image there, or `status` of a stack never deployed
        // would show the planned commit as if it ran.
        const recorded = previewConfig ?? (await engine.getConfig(stack).catch((): ConfigMap => ({})));
        const recordedImage = recorded[IMAGE_KEY];
        if (commit) {
          // Plan the commit's image, not the running one.
          const imageId = await imageFor(ctx, commit, config.region);
          await engine.setConfig(stack, configMapOf({ image: { commit, amiId: imageId } }));
        }
        const planned = commit ?? recordedRelease(recorded).commit ?? config.image.commit;
        const restoreImage = async () => {
          if (commit) await engine.setConfig(stack, { [IMAGE_KEY]: recordedImage ?? { value: "{}" } });
        };
        const engineResult = await runEngine(ctx, stack, `flightdeck plan ${stack}`, (o) =>
          engine.preview(stack, o),
        ).finally(restoreImage);
        // The offline plan evaluates the same program under mocks: its cost and policy results apply to this stack.
        const { planOffline, mandatoryViolations, PREVIEW_PLAN } = await import("../infra/plan.js");
        const offline = await planOffline({
          projectDir,
          stack: preview ? PREVIEW_PLAN : stack,
          ...(planned ? { commit: planned } : {}),
        });
        const data = {
          ...offline,
          stack,
          offline: false as const,
          engine: { changes: engineResult.changes },
        };
        const changed = Object.entries(engineResult.changes)
          .filter(([op]) => op !== "same")
          .reduce((n, [, c]) => n + (c ?? 0), 0);
        const violations = mandatoryViolations(offline);
        if (violations.length > 0) {
          throw new OperationFailedError(
            `${stack}: ${violations.length} mandatory policy violation(s)`,
            data,
            {
              tryMessage:
                "Fix the stack config so every mandatory policy passes; the plan lists each violation.",
            },
          );
        }
        return {
          data,
          summary: `${stack}: ${changed} change(s) planned`,
          stack,
          changes: engineResult.changes,
        };
      }),
  };

  async function rollbackCommit(
    ctx: OperationContext,
    ref: string,
    history: UpdateRecord[],
  ): Promise<string> {
    try {
      return await commitOf(ctx, ref);
    } catch (error) {
      // A shallow CI clone may lack an old commit: a SHA prefix that history knows is enough.
      if (isShaPrefix(ref)) {
        const known = [
          ...new Set(history.map((r) => recordedRelease(r.config).commit).filter((c): c is string => !!c)),
        ];
        const matches = known.filter((c) => c.startsWith(ref.toLowerCase()));
        if (matches.length === 1) return matches[0] as string;
      }
      throw error;
    }
  }
}

// ---- pure helpers -------------------------------------------------------------

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

export function environmentOf(stack: string, config: ConfigMap): StackStatus["environment"] {
  const declared = config["flightdeck:environment"]?.value;
  if (declared && (ENVIRONMENT_ORDER as string[]).includes(declared))
    return declared as StackStatus["environment"];
  if (isPreviewStackName(stack)) return "preview";
  if ((ENVIRONMENT_ORDER as string[]).includes(stack)) return stack as StackStatus["environment"];
  return "unknown";
}

export function lastUpdateOf(record: UpdateRecord): LastUpdate {
  const actor = recordedRelease(record.config).release?.actor;
  return {
    result: record.result,
    kind: record.kind,
    startTime: record.startTime,
    ...(record.endTime ? { endTime: record.endTime } : {}),
    ...(actor ? { actor } : {}),
  };
}

export function historyEntryOf(record: UpdateRecord): HistoryEntry {
  const recorded = recordedRelease(record.config);
  const durationMs = record.endTime ? Date.parse(record.endTime) - Date.parse(record.startTime) : undefined;
  return {
    version: record.version,
    kind: record.kind,
    result: record.result,
    message: record.message,
    startTime: record.startTime,
    ...withoutUndefined({
      commit: recorded.commit,
      imageId: recorded.imageId,
      actor: recorded.release?.actor,
      endTime: record.endTime,
      durationMs: durationMs !== undefined && Number.isFinite(durationMs) ? durationMs : undefined,
    }),
  };
}

/** The stack's `url` output, when it has one. */
function urlOf(outputs: OutputMap | undefined): string | undefined {
  const value = outputs?.url?.value;
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

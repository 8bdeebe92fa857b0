/**
 * `flightdeck` at a terminal: the dashboard. It fails before drawing anything
 * when there is no engine; its actions run as the commands they stand for,
 * already confirmed on screen (production ones with the stack name typed).
 */
import { join } from "node:path";
import type { Operations } from "../../automation/api.js";
import { ExitCode } from "../../infra/errors.js";
import { renderError } from "../errors.js";
import { pendingMessage } from "../interrupt.js";
import { escapeControlsDeep, shortenEchoes, terminalText } from "../terminal-text.js";
import type { GlobalOptions } from "../parsed-command.js";
import { costPerDay, err, operations, type RunContext } from "../run.js";
import type { DashboardAction } from "../ui/dashboard-actions.js";
import { invokeDeploy } from "./deploy.js";
import { invokePreviewDown } from "./preview-down.js";
import { invokePreviewUp } from "./preview-up.js";
import { invokePromote } from "./promote.js";
import { invokeRollback } from "./rollback.js";

export async function dashboard(ctx: RunContext, globals: GlobalOptions): Promise<number> {
  // Fail before drawing anything when there is no engine (no `pulumi` on PATH). The first screen
  // comes at once: costs (offline plans, a few seconds each) join on a later refresh, when estimated.
  const { costWhenKnown } = await import("../cost.js");
  const ops = await operations(ctx, { costPerDay: costWhenKnown(await costPerDay(ctx)) });
  const { renderDashboard } = await import("../ui/render.js");
  // Ink prints what it is given: every value shown has its control characters made visible first.
  const describe = (error: unknown) =>
    terminalText(
      shortenEchoes(
        renderError(error, {
          colors: ctx.colors,
          env: ctx.deps.env,
          logDir: join(ctx.projectDir, ".flightdeck", "logs"),
        }).text,
        ctx.longArgs,
      ),
    );
  ctx.signalsOwned++;
  const how = await renderDashboard(ctx.deps, {
    // The overview: status, plus environments not deployed yet, commits behind, and the last drift check.
    loadStatus: async () => escapeControlsDeep(await ops.overview()),
    loadReleases: async (input) => escapeControlsDeep(await ops.releasesOf(input)),
    loadHistory: async (env) => escapeControlsDeep(await ops.history({ env, limit: 20 })),
    recentCommits: async () => escapeControlsDeep(await ctx.deps.recentCommits(ctx.projectDir, 15)),
    runAction: async (action, onEvent, signal) => {
      const actionOps = await operations(ctx, {
        onEvent: (event) => onEvent(escapeControlsDeep(event)),
        signal,
      });
      return invokeAction(actionOps, action, globals);
    },
    describeError: describe,
    onHardExit: (stack) => {
      err(ctx, pendingMessage(stack));
      ctx.deps.exit(ExitCode.interrupted);
    },
    subscribeSignals: (handler) => {
      ctx.deps.signals.on("SIGINT", handler);
      ctx.deps.signals.on("SIGTERM", handler);
      return () => {
        ctx.deps.signals.off("SIGINT", handler);
        ctx.deps.signals.off("SIGTERM", handler);
      };
    },
    clock: ctx.deps.clock,
    color: ctx.colors.isColorSupported,
    refreshMs: ctx.deps.refreshMs,
  }).finally(() => {
    ctx.signalsOwned--;
  });
  if (how === "interrupted") {
    err(ctx, "Interrupted: left the dashboard; no operation was running.");
    return ExitCode.interrupted;
  }
  return ExitCode.ok;
}

/** A dashboard action run as the command it stands for (already confirmed on screen). */
export function invokeAction(
  ops: Operations,
  action: DashboardAction,
  globals: GlobalOptions,
): Promise<unknown> {
  const confirmed: GlobalOptions = { ...globals, yes: true };
  switch (action.kind) {
    case "deploy":
      return invokeDeploy(ops, {
        command: "deploy",
        env: action.env,
        commit: action.commit,
        globals: confirmed,
      });
    case "promote":
      return invokePromote(ops, { command: "promote", from: action.from, to: action.to, globals: confirmed });
    case "rollback":
      return invokeRollback(ops, {
        command: "rollback",
        env: action.env,
        ref: action.commit,
        globals: confirmed,
      });
    case "preview up":
      return invokePreviewUp(ops, { command: "preview up", commit: action.commit, globals: confirmed });
    case "preview down":
      return invokePreviewDown(ops, { command: "preview down", ref: action.ref, globals: confirmed });
  }
}

/**
 * The real implementations behind `CliDeps`, each loaded with `import()` only
 * when a command needs it: the Automation API engine (which needs `pulumi` on
 * PATH), the operations, the AWS image resolver, the offline plan (Pulumi's
 * mock runtime) and git's recent log.
 */
import type { ImageResolver, OperationDeps, Operations } from "../automation/api.js";
import type { Engine } from "../automation/engine.js";
import type { PlanDocument, PlanOfflineOptions } from "../infra/plan.js";
import type { CommitChoice } from "./ui/choices.js";

/** What `plan <stack> --offline` returns (infra/plan.ts). */
export type OfflinePlan = PlanDocument;

export type OfflinePlanner = (input: PlanOfflineOptions) => Promise<PlanDocument>;

export async function createEngine(
  projectDir: string,
  env: Record<string, string | undefined>,
): Promise<Engine> {
  const { createLocalEngine } = await import("../automation/engine/local.js");
  return createLocalEngine(projectDir, env);
}

export async function createOperations(deps: OperationDeps): Promise<Operations> {
  const { createOperations } = await import("../automation/operations.js");
  return createOperations(deps);
}

export async function imageResolver(): Promise<ImageResolver> {
  const { createImageResolver } = await import("../automation/images.js");
  return createImageResolver();
}

export const planOffline: OfflinePlanner = async (input) => {
  const { planOffline } = await import("../infra/plan.js");
  return planOffline(input);
};

/** A ref (branch, tag, short SHA) as the full SHA the offline plan needs. */
export async function resolveCommit(projectDir: string, ref: string): Promise<string> {
  const { resolveCommit } = await import("../automation/git.js");
  return resolveCommit(projectDir, ref);
}

export async function recentCommits(projectDir: string, limit: number): Promise<CommitChoice[]> {
  const { recentCommits } = await import("../automation/git.js");
  const commits = await recentCommits(projectDir, limit);
  return commits.map((c) => ({ sha: c.sha, subject: c.subject, author: c.authorName, date: c.date }));
}

/**
 * The real implementations behind `CliDeps`, each loaded with `import()` only
 * when a command needs it: the Automation API engine (which needs `pulumi` on
 * PATH), the operations, the AWS image resolver, the offline plan (Pulumi's
 * mock runtime) and git's recent log.
 */
import type { ImageResolver, OperationDeps, Operations } from "../automation/api.js";
import type { Cloud } from "../automation/cloud.js";
import type { Engine } from "../automation/engine.js";
import { ExitCode, UserError } from "../infra/errors.js";
import type { PlanDocument, PlanOfflineOptions } from "../infra/plan.js";
import type { CommitChoice } from "./ui/choices.js";

/** What `plan <stack> --offline` returns (infra/plan.ts). */
export type OfflinePlan = PlanDocument;

export type OfflinePlanner = (input: PlanOfflineOptions) => Promise<PlanDocument>;

export interface EngineOptions {
  /** What the engine's set-up did or noticed (another `pulumi` on PATH, a plugin installed). */
  onNotice?: (message: string) => void;
}

export async function createEngine(
  projectDir: string,
  env: Record<string, string | undefined>,
  options: EngineOptions = {},
): Promise<Engine> {
  const { createLocalEngine } = await import("../automation/engine/local.js");
  return createLocalEngine(projectDir, env, options.onNotice ? { onNotice: options.onNotice } : {});
}

export async function createOperations(deps: OperationDeps): Promise<Operations> {
  const { createOperations } = await import("../automation/operations.js");
  return createOperations(deps);
}

export async function imageResolver(): Promise<ImageResolver> {
  const { createImageResolver } = await import("../automation/images.js");
  return createImageResolver();
}

export async function awsCloud(env: Record<string, string | undefined>): Promise<Cloud> {
  const { createAwsCloud } = await import("../automation/cloud/aws.js");
  return createAwsCloud(env);
}

export const planOffline: OfflinePlanner = async (input) => {
  const { planOffline } = await import("../infra/plan.js");
  return planOffline(input);
};

/**
 * A ref (SHA, short SHA, branch, tag) as its full SHA, exactly as the automation
 * layer resolves it; when that fails because the project is not a git
 * repository (or git is missing), that is what the person is told.
 */
export async function resolveCommit(projectDir: string, ref: string): Promise<string> {
  const { resolveCommit, git } = await import("../automation/git.js");
  try {
    return await resolveCommit(projectDir, ref);
  } catch (error) {
    let isRepo: boolean;
    try {
      isRepo = await git(projectDir).checkIsRepo();
    } catch (cause) {
      throw new UserError("git is needed to resolve commits, and it could not be run", {
        tryMessage: "Install git and make sure it is on PATH.",
        exitCode: ExitCode.usage,
        cause,
      });
    }
    if (isRepo) throw error;
    throw new UserError(`${projectDir} is not a git repository, so it has no commits to resolve`, {
      tryMessage:
        "Run flightdeck in a clone of the project (`git clone <url>`), or point to one with --cwd <dir>.",
      nextSteps: ["A new project becomes one with `git init` and a first commit."],
      exitCode: ExitCode.usage,
      cause: error,
    });
  }
}

export async function recentCommits(projectDir: string, limit: number): Promise<CommitChoice[]> {
  const { recentCommits } = await import("../automation/git.js");
  const commits = await recentCommits(projectDir, limit);
  return commits.map((c) => ({ sha: c.sha, subject: c.subject, author: c.authorName, date: c.date }));
}

/**
 * Guard decisions as pure functions: facts in (what git and the stack's
 * history say), a decision out, with the reason and what to do. The operations
 * gather the facts, emit one `guard` event per decision and throw a
 * `GuardError` (exit 3) for the first refusal.
 */
import type { ProtectionConfig } from "../infra/config.js";
import { GuardError } from "../infra/errors.js";
import { isEmailActor } from "./actor.js";
import { recordedRelease } from "./config-map.js";
import type { UpdateRecord } from "./engine.js";
import type { RangeAuthors, Reachability, TreeState } from "./git.js";

export interface GuardDecision {
  guard: string;
  allowed: boolean;
  reason: string;
  tryMessage?: string;
  nextSteps?: string[];
}

const short = (sha: string) => sha.slice(0, 7);

export function allowedBranchGuard(input: {
  stack: string;
  commit: string;
  allowedBranch?: string;
  reachability?: Reachability;
}): GuardDecision {
  const guard = "allowed-branch";
  const { stack, commit, allowedBranch, reachability } = input;
  if (!allowedBranch) return { guard, allowed: true, reason: `${stack} accepts commits from any branch` };
  if (reachability?.reachable) {
    return {
      guard,
      allowed: true,
      reason: `${short(commit)} is on ${allowedBranch} (${reachability.checked.join(", ")})`,
    };
  }
  const checked =
    reachability && reachability.checked.length > 0 ? reachability.checked.join(" and ") : undefined;
  return {
    guard,
    allowed: false,
    reason: checked
      ? `${short(commit)} is not reachable from ${checked}: ${stack} only runs commits merged into ${allowedBranch}`
      : `neither ${allowedBranch} nor origin/${allowedBranch} exists here, so ${short(commit)} cannot be shown to be on ${allowedBranch}`,
    tryMessage: checked
      ? `Merge the change into ${allowedBranch} first, then deploy the merged commit.`
      : `Run \`git fetch origin ${allowedBranch}\`, then try again.`,
  };
}

export function cleanTreeGuard(input: {
  stack: string;
  requireCleanTree: boolean;
  tree?: TreeState;
}): GuardDecision {
  const guard = "clean-tree";
  if (!input.requireCleanTree)
    return { guard, allowed: true, reason: `${input.stack} does not require a clean tree` };
  if (input.tree?.clean) return { guard, allowed: true, reason: "the work tree is clean" };
  const files = input.tree?.dirty ?? [];
  const listed = files.slice(0, 5).join(", ") + (files.length > 5 ? `, and ${files.length - 5} more` : "");
  return {
    guard,
    allowed: false,
    reason: `${input.stack} deploys only from a clean work tree; changed or untracked: ${listed}`,
    tryMessage:
      "Commit or discard the changes (the stack config deployed must be the committed one), then deploy again.",
  };
}

export function allowedDeployerGuard(input: {
  stack: string;
  actor: string;
  allowedDeployers: string[];
}): GuardDecision {
  const guard = "allowed-deployer";
  const allowed = input.allowedDeployers.map((d) => d.trim().toLowerCase());
  if (allowed.length === 0) return { guard, allowed: true, reason: `anyone may deploy ${input.stack}` };
  if (allowed.includes(input.actor.toLowerCase())) {
    return { guard, allowed: true, reason: `${input.actor} is an allowed deployer of ${input.stack}` };
  }
  return {
    guard,
    allowed: false,
    reason: `${input.actor} is not an allowed deployer of ${input.stack}`,
    tryMessage: `Ask one of ${input.allowedDeployers.join(", ")} to deploy it.`,
    nextSteps: [`The list is flightdeck:protection.allowedDeployers in Pulumi.${input.stack}.yaml.`],
  };
}

export function separationOfDutiesGuard(input: {
  stack: string;
  enabled: boolean;
  actor: string;
  /** What the stack runs now (undefined: nothing yet). */
  from?: string;
  to: string;
  authors?: RangeAuthors;
}): GuardDecision {
  const guard = "separation-of-duties";
  const { stack, actor, from, to } = input;
  if (!input.enabled) return { guard, allowed: true, reason: `separation of duties is off for ${stack}` };
  const range = from ? `${short(from)}..${short(to)}` : `every commit up to ${short(to)}`;
  if (!isEmailActor(actor)) {
    return {
      guard,
      allowed: false,
      reason: `separation of duties compares the deployer with commit authors by e-mail, and '${actor}' is not an e-mail`,
      tryMessage: "Pass --actor <your e-mail> or set FLIGHTDECK_ACTOR to the approver's e-mail.",
    };
  }
  const authors = input.authors ?? { commits: [], emails: [], byEmail: {} };
  const own = authors.byEmail[actor.toLowerCase()] ?? [];
  if (own.length === 0) {
    return {
      guard,
      allowed: true,
      reason: `${actor} wrote none of the ${authors.commits.length} commit(s) being released (${range})`,
    };
  }
  return {
    guard,
    allowed: false,
    reason: `${actor} wrote or co-wrote ${own.length} of the commits being released (${range}): ${own.map(short).join(", ")}`,
    tryMessage: "Ask a deployer who wrote none of these commits to release them.",
    nextSteps: [`Authors in the range: ${authors.emails.join(", ")}.`],
  };
}

/** Every protection guard for a deploy-like operation, in order. */
export function protectionDecisions(input: {
  stack: string;
  commit: string;
  actor: string;
  protection: ProtectionConfig;
  reachability?: Reachability;
  tree?: TreeState;
  runningCommit?: string;
  authors?: RangeAuthors;
}): GuardDecision[] {
  const { stack, commit, actor, protection } = input;
  return [
    allowedBranchGuard({
      stack,
      commit,
      allowedBranch: protection.allowedBranch,
      reachability: input.reachability,
    }),
    cleanTreeGuard({ stack, requireCleanTree: protection.requireCleanTree, tree: input.tree }),
    allowedDeployerGuard({ stack, actor, allowedDeployers: protection.allowedDeployers }),
    separationOfDutiesGuard({
      stack,
      enabled: protection.separationOfDuties,
      actor,
      from: input.runningCommit,
      to: commit,
      authors: input.authors,
    }),
  ];
}

export interface RollbackTarget {
  decision: GuardDecision;
  /** The succeeded update that ran the commit, newest first match. */
  record?: UpdateRecord;
  imageId?: string;
}

/** Rollback only to a commit with a succeeded update in the stack's history; it deploys the image recorded then. */
export function rollbackGuard(input: {
  stack: string;
  commit: string;
  history: UpdateRecord[];
}): RollbackTarget {
  const guard = "rollback-history";
  const { stack, commit, history } = input;
  const ran = history.filter((r) => r.kind === "update" && recordedRelease(r.config).commit === commit);
  const succeeded = ran.find((r) => r.result === "succeeded");
  if (!succeeded) {
    const deployed = [
      ...new Set(
        history
          .filter((r) => r.kind === "update" && r.result === "succeeded")
          .map((r) => recordedRelease(r.config).commit)
          .filter((c): c is string => c !== undefined)
          .map(short),
      ),
    ].slice(0, 5);
    return {
      decision: {
        guard,
        allowed: false,
        reason:
          ran.length > 0
            ? `${short(commit)} was deployed to ${stack} before, but never successfully (${ran.length} failed update(s))`
            : `${short(commit)} was never deployed to ${stack}: rollback only goes back to a commit that ran there`,
        tryMessage:
          deployed.length > 0
            ? `Pick one of the commits that ran successfully: ${deployed.join(", ")} (\`flightdeck history ${stack}\`).`
            : `Nothing has run successfully on ${stack} yet; use \`flightdeck deploy ${stack}\`.`,
      },
    };
  }
  const imageId = recordedRelease(succeeded.config).imageId;
  if (!imageId) {
    return {
      record: succeeded,
      decision: {
        guard,
        allowed: false,
        reason: `update ${succeeded.version} ran ${short(commit)} on ${stack} but recorded no image, so the same artifact cannot be redeployed`,
        tryMessage: `Deploy the commit instead: \`flightdeck deploy ${stack} --commit ${commit}\`.`,
      },
    };
  }
  return {
    record: succeeded,
    imageId,
    decision: {
      guard,
      allowed: true,
      reason: `${short(commit)} ran successfully on ${stack} in update ${succeeded.version} (${succeeded.startTime}) with ${imageId}`,
    },
  };
}

export interface PromoteSource {
  decision: GuardDecision;
  commit?: string;
  imageId?: string;
}

/** Promote only if the source's last update succeeded and it runs an image; exactly that image and commit move. */
export function promoteGuard(input: { from: string; to: string; history: UpdateRecord[] }): PromoteSource {
  const guard = "promote-source";
  const { from, to } = input;
  const last = input.history.find((r) => r.kind !== "preview");
  if (!last) {
    return {
      decision: {
        guard,
        allowed: false,
        reason: `${from} has never been updated, so there is nothing to promote to ${to}`,
        tryMessage: `Deploy ${from} first: \`flightdeck deploy ${from} --commit <ref>\`.`,
      },
    };
  }
  if (last.result !== "succeeded") {
    return {
      decision: {
        guard,
        allowed: false,
        reason: `the last update of ${from} (${last.kind} ${last.version}) ${last.result === "in-progress" ? "is still running" : `ended ${last.result}`}; only a healthy ${from} is promoted`,
        tryMessage: `Fix ${from} (redeploy it or roll it back), then promote.`,
      },
    };
  }
  if (last.kind === "destroy") {
    return {
      decision: {
        guard,
        allowed: false,
        reason: `${from} was destroyed in its last update; it runs nothing to promote`,
      },
    };
  }
  const { commit, imageId } = recordedRelease(last.config);
  if (!commit || !imageId) {
    return {
      decision: {
        guard,
        allowed: false,
        reason: `${from}'s last update recorded no ${commit ? "image" : "commit"}, so there is no exact artifact to promote`,
        tryMessage: `Redeploy ${from} with flightdeck (\`flightdeck deploy ${from} --commit <ref>\`), then promote.`,
      },
    };
  }
  return {
    commit,
    imageId,
    decision: {
      guard,
      allowed: true,
      reason: `${from} runs ${short(commit)} with ${imageId} (update ${last.version} succeeded)`,
    },
  };
}

/** The error for a refused decision. */
export function guardError(decision: GuardDecision): GuardError {
  return new GuardError(decision.guard, `refused: ${decision.reason}`, {
    tryMessage: decision.tryMessage,
    nextSteps: decision.nextSteps,
  });
}

/**
 * Guard decisions as pure functions: facts in (what git and the stack's
 * history say), a decision out, with the reason and what to do. The operations
 * gather the facts, emit one `guard` event per decision and throw a
 * `GuardError` (exit 3) for the first refusal.
 */
import type { ProtectionConfig } from "../infra/config.js";
import { identitiesOf, isRawIdentity, type PersonConfig } from "../infra/config/sections.js";
import { GuardError } from "../infra/errors.js";
import { isEmailActor, normalizeActor, personOf } from "./actor.js";
import type { Actor } from "./api.js";
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

/** Where production's rules were read from: a committed file on the rules branch, or nowhere (why). */
export type RulesSource =
  { found: true; ref: string; commit: string; file: string } | { found: false; file: string; ref?: string };

/** Production's rules count only as committed on the rules branch: never the work tree or the commit deployed. */
export function protectionRulesGuard(input: {
  stack: string;
  branch: string;
  source: RulesSource;
}): GuardDecision {
  const guard = "protection-rules";
  const { stack, branch, source } = input;
  const merged = `a change to them counts once it is merged to ${branch}`;
  if (source.found) {
    return {
      guard,
      allowed: true,
      reason: `${stack}'s rules are read from ${source.file} as committed on ${source.ref} (${short(source.commit)}), not from the work tree; ${merged}`,
    };
  }
  if (!source.ref) {
    return {
      guard,
      allowed: false,
      reason: `neither origin/${branch} nor ${branch} exists here, so ${stack}'s rules cannot be read as committed on ${branch}`,
      tryMessage: `Run \`git fetch origin ${branch}\`, then try again.`,
      nextSteps: [
        `${stack}'s rules are ${source.file} as committed on ${branch}; the work tree's copy never counts.`,
      ],
    };
  }
  return {
    guard,
    allowed: false,
    reason: `${source.file} is not committed on ${source.ref}, so ${stack} has no rules to deploy under`,
    tryMessage: `Commit ${source.file} and merge it to ${branch}, then deploy.`,
  };
}

/**
 * Production takes a verified actor: the CI's own identity of who started the
 * step. A terminal's actor (git's user.email) is only a claim: refused unless
 * the committed rules allow terminal deploys; a CI that names nobody is refused.
 */
export function actorIdentityGuard(input: {
  stack: string;
  actor: Actor;
  allowTerminalDeploys: boolean;
}): GuardDecision {
  const guard = "actor-identity";
  const { stack, actor } = input;
  if (actor.verified) {
    return {
      guard,
      allowed: true,
      reason: `${actor.id} is the CI's verified identity of who started this run`,
    };
  }
  if (actor.ci) {
    return {
      guard,
      allowed: false,
      reason: `this CI run reports no identity of who started it (BITBUCKET_STEP_TRIGGERER_UUID, GITHUB_TRIGGERING_ACTOR), so ${actor.id} is only a claim and ${stack} takes a verified deployer`,
      tryMessage: `Deploy ${stack} from the pipeline's manual ${stack} step (Bitbucket Pipelines reports who pressed it).`,
      nextSteps: ["--actor and FLIGHTDECK_ACTOR never stand in for the CI's identity."],
    };
  }
  if (input.allowTerminalDeploys) {
    return {
      guard,
      allowed: true,
      reason: `${actor.id} (git's user.email at a terminal) is unverified; ${stack}'s rules allow terminal deploys (protection.allowTerminalDeploys), and the release is recorded as unverified`,
    };
  }
  return {
    guard,
    allowed: false,
    reason: `${stack} is deployed from CI, where the deployer is verified; at a terminal ${actor.id} (git's user.email) is only a claim`,
    tryMessage: `Run the pipeline's manual ${stack} step instead.`,
    nextSteps: [
      `To allow deploys from a terminal (recorded as unverified), merge \`allowTerminalDeploys: true\` under flightdeck:protection in Pulumi.${stack}.yaml to the rules branch.`,
    ],
  };
}

function describeActor(actor: string, person: { name: string } | undefined): string {
  return person ? `${actor} (${person.name})` : actor;
}

export function allowedDeployerGuard(input: {
  stack: string;
  actor: string;
  allowedDeployers: string[];
  people?: Record<string, PersonConfig>;
}): GuardDecision {
  const guard = "allowed-deployer";
  const people = input.people ?? {};
  if (input.allowedDeployers.length === 0)
    return { guard, allowed: true, reason: `anyone may deploy ${input.stack}` };
  const actor = normalizeActor(input.actor);
  const person = personOf(actor, people);
  const ids = new Set(person ? identitiesOf(person.person) : [actor]);
  const listed = input.allowedDeployers.some((entry) =>
    isRawIdentity(entry) ? ids.has(normalizeActor(entry)) : entry === person?.name,
  );
  const who = describeActor(input.actor, person);
  if (listed) return { guard, allowed: true, reason: `${who} is an allowed deployer of ${input.stack}` };
  return {
    guard,
    allowed: false,
    reason: `${who} is not an allowed deployer of ${input.stack}`,
    tryMessage: `Ask one of ${input.allowedDeployers.join(", ")} to deploy it.`,
    nextSteps: [
      `The list is flightdeck:protection.allowedDeployers in Pulumi.${input.stack}.yaml (people by name, from protection.people).`,
      ...(person
        ? []
        : [`If ${input.actor} is one of them, add it to their entry in protection.people, and merge that.`]),
    ],
  };
}

export function separationOfDutiesGuard(input: {
  stack: string;
  enabled: boolean;
  actor: string;
  people?: Record<string, PersonConfig>;
  /** What the stack runs now (undefined: nothing yet). */
  from?: string;
  to: string;
  authors?: RangeAuthors;
}): GuardDecision {
  const guard = "separation-of-duties";
  const { stack, actor, from, to } = input;
  if (!input.enabled) return { guard, allowed: true, reason: `separation of duties is off for ${stack}` };
  const range = from ? `${short(from)}..${short(to)}` : `every commit up to ${short(to)}`;
  const person = personOf(actor, input.people ?? {});
  const emails = person
    ? person.person.emails.map((e) => e.toLowerCase())
    : isEmailActor(actor)
      ? [normalizeActor(actor)]
      : [];
  const who = describeActor(actor, person);
  if (emails.length === 0) {
    return {
      guard,
      allowed: false,
      reason: `separation of duties compares the deployer's e-mails with commit authors, and ${actor} is nobody in protection.people`,
      tryMessage: `Add the person to flightdeck:protection.people in Pulumi.${stack}.yaml with their commit e-mails and this identity, and merge that.`,
    };
  }
  const authors = input.authors ?? { commits: [], emails: [], byEmail: {} };
  const own = [...new Set(emails.flatMap((e) => authors.byEmail[e] ?? []))];
  if (own.length === 0) {
    return {
      guard,
      allowed: true,
      reason: `${who} wrote none of the ${authors.commits.length} commit(s) being released (${range})`,
    };
  }
  return {
    guard,
    allowed: false,
    reason: `${who} wrote or co-wrote ${own.length} of the commits being released (${range}): ${own.map(short).join(", ")}`,
    tryMessage: "Ask a deployer who wrote none of these commits to release them.",
    nextSteps: [`Authors in the range: ${authors.emails.join(", ")}.`],
  };
}

/**
 * Every protection guard for a deploy-like operation, in order. Production
 * (`rules` given: read as committed on the rules branch) also decides where
 * its rules came from and whether the actor is verified.
 */
export function protectionDecisions(input: {
  stack: string;
  commit: string;
  actor: Actor;
  protection: ProtectionConfig;
  /** Production only: where its rules were read from. */
  rules?: { branch: string; source: RulesSource };
  reachability?: Reachability;
  tree?: TreeState;
  runningCommit?: string;
  authors?: RangeAuthors;
}): GuardDecision[] {
  const { stack, commit, actor, protection, rules } = input;
  return [
    ...(rules ? [protectionRulesGuard({ stack, ...rules })] : []),
    allowedBranchGuard({
      stack,
      commit,
      allowedBranch: protection.allowedBranch,
      reachability: input.reachability,
    }),
    cleanTreeGuard({ stack, requireCleanTree: protection.requireCleanTree, tree: input.tree }),
    ...(rules
      ? [actorIdentityGuard({ stack, actor, allowTerminalDeploys: protection.allowTerminalDeploys })]
      : []),
    allowedDeployerGuard({
      stack,
      actor: actor.id,
      allowedDeployers: protection.allowedDeployers,
      people: protection.people,
    }),
    separationOfDutiesGuard({
      stack,
      enabled: protection.separationOfDuties,
      actor: actor.id,
      people: protection.people,
      from: input.runningCommit,
      to: commit,
      authors: input.authors,
    }),
  ];
}

/** The error for a refused decision. */
export function guardError(decision: GuardDecision): GuardError {
  return new GuardError(decision.guard, `refused: ${decision.reason}`, {
    tryMessage: decision.tryMessage,
    nextSteps: decision.nextSteps,
  });
}

/**
 * Who runs an operation: `--actor`, else `FLIGHTDECK_ACTOR`, else the CI's own
 * variables, else git's `user.email`.
 *
 * CI variables used, and why:
 * - Bitbucket Pipelines (`BITBUCKET_BUILD_NUMBER` set): `BITBUCKET_STEP_TRIGGERER_UUID`,
 *   the account that started the step (for a manual production step, the person who
 *   pressed the button). Pipelines exposes no e-mail, so the actor is
 *   `bitbucket:{uuid}`; list it in `allowedDeployers` as written.
 * - GitHub Actions (`GITHUB_ACTIONS=true`): `GITHUB_TRIGGERING_ACTOR` (who started
 *   this run, also for a re-run), else `GITHUB_ACTOR`; the actor is `github:<login>`.
 *
 * Separation of duties compares the actor with commit author e-mails, so it
 * needs an e-mail actor (see `guards.ts`); in CI set `FLIGHTDECK_ACTOR` to the
 * approver's e-mail (for example from a deployment approval) when it is on.
 */

import { ExitCode, UserError } from "../infra/errors.js";
import type { Actor } from "./api.js";

type Env = Record<string, string | undefined>;

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed && trimmed.length > 0 ? trimmed : undefined;
}

/** E-mail addresses compare case-insensitively; other identities are kept as they are. */
export function normalizeActor(id: string): string {
  const trimmed = id.trim();
  return trimmed.includes("@") && !trimmed.includes(":") ? trimmed.toLowerCase() : trimmed;
}

/** The actor from the flag, the environment and CI variables; undefined when only git could tell. */
export function actorFromEnvironment(flag: string | undefined, env: Env): Actor | undefined {
  const fromFlag = nonEmpty(flag);
  if (fromFlag) return { id: normalizeActor(fromFlag), source: "flag" };
  const fromVar = nonEmpty(env.FLIGHTDECK_ACTOR);
  if (fromVar) return { id: normalizeActor(fromVar), source: "FLIGHTDECK_ACTOR" };
  if (nonEmpty(env.BITBUCKET_BUILD_NUMBER)) {
    const uuid = nonEmpty(env.BITBUCKET_STEP_TRIGGERER_UUID);
    if (uuid) return { id: `bitbucket:${uuid}`, source: "bitbucket" };
  }
  if (env.GITHUB_ACTIONS === "true") {
    const login = nonEmpty(env.GITHUB_TRIGGERING_ACTOR) ?? nonEmpty(env.GITHUB_ACTOR);
    if (login) return { id: `github:${login}`, source: "github" };
  }
  return undefined;
}

/** Resolve the actor; `gitEmail` is asked only when nothing else told. */
export async function resolveActor(
  flag: string | undefined,
  env: Env,
  gitEmail: () => Promise<string | undefined>,
): Promise<Actor> {
  const actor = actorFromEnvironment(flag, env);
  if (actor) return actor;
  const email = nonEmpty(await gitEmail());
  if (email) return { id: normalizeActor(email), source: "git" };
  throw new UserError("cannot tell who is running this", {
    tryMessage:
      "Pass --actor <email>, set FLIGHTDECK_ACTOR, or set git's user.email (`git config user.email you@example.com`).",
    exitCode: ExitCode.usage,
  });
}

/** Whether an actor id is an e-mail address (comparable with commit authors). */
export function isEmailActor(id: string): boolean {
  return /^[^\s@:]+@[^\s@]+$/.test(id);
}

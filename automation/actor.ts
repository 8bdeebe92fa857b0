/**
 * Who runs an operation. Nothing the runner merely says decides it:
 *
 * - In CI (`CI` set, or Bitbucket's or GitHub's own variables), the actor is
 *   the CI's identity of the person who started the step, and it is verified:
 *   - Bitbucket Pipelines (`BITBUCKET_BUILD_NUMBER` set): `BITBUCKET_STEP_TRIGGERER_UUID`,
 *     the account that started the step (for a manual production step, the person who
 *     pressed the button), as `bitbucket:{uuid}`;
 *   - GitHub Actions (`GITHUB_ACTIONS=true`): `GITHUB_TRIGGERING_ACTOR` (who started
 *     this run, also for a re-run), else `GITHUB_ACTOR`, as `github:<login>`.
 * - At a terminal, the actor is git's `user.email`, unverified: the record
 *   says so, and production refuses it unless its committed rules allow
 *   terminal deploys.
 * - `--actor` and `FLIGHTDECK_ACTOR` never override either identity: one that
 *   names someone else is ignored with a warning.
 * - In a CI that names nobody there is nothing to verify: the actor is
 *   `--actor`, else `FLIGHTDECK_ACTOR`, else git's `user.email` (a machine's
 *   there), unverified; production refuses it whatever its rules say.
 *
 * The identities map to people through `protection.people` (see `personOf`),
 * so allowed deployers and commit authors are compared person to person.
 */

import { identitiesOf, type PersonConfig } from "../infra/config/sections.js";
import { ExitCode, UserError } from "../infra/errors.js";
import type { Actor } from "./api.js";

type Env = Record<string, string | undefined>;

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed && trimmed.length > 0 ? trimmed : undefined;
}

/** E-mail addresses and CI identities compare case-insensitively. */
export function normalizeActor(id: string): string {
  return id.trim().toLowerCase();
}

/** Whether this runs in CI: `CI` set (not `false`/`0`), or Bitbucket Pipelines, or GitHub Actions. */
export function isCi(env: Env): boolean {
  const ci = nonEmpty(env.CI)?.toLowerCase();
  return (
    (ci !== undefined && ci !== "false" && ci !== "0") ||
    nonEmpty(env.BITBUCKET_BUILD_NUMBER) !== undefined ||
    env.GITHUB_ACTIONS === "true"
  );
}

/** The CI's own identity of whoever started this run, when the CI reports one. */
export function ciIdentity(env: Env): Pick<Actor, "id" | "source"> | undefined {
  if (nonEmpty(env.BITBUCKET_BUILD_NUMBER)) {
    const uuid = nonEmpty(env.BITBUCKET_STEP_TRIGGERER_UUID);
    if (uuid) return { id: normalizeActor(`bitbucket:${uuid}`), source: "bitbucket" };
  }
  if (env.GITHUB_ACTIONS === "true") {
    const login = nonEmpty(env.GITHUB_TRIGGERING_ACTOR) ?? nonEmpty(env.GITHUB_ACTOR);
    if (login) return { id: normalizeActor(`github:${login}`), source: "github" };
  }
  return undefined;
}

export interface ResolvedActor {
  actor: Actor;
  /** Claims that were ignored, for the operation to report. */
  warnings: string[];
}

/** Resolve the actor; `gitEmail` is asked only when there is no CI identity. */
export async function resolveActor(
  flag: string | undefined,
  env: Env,
  gitEmail: () => Promise<string | undefined>,
): Promise<ResolvedActor> {
  const ci = isCi(env);
  const claimed = nonEmpty(flag)
    ? { id: normalizeActor(flag as string), source: "flag" as const, name: "--actor" }
    : nonEmpty(env.FLIGHTDECK_ACTOR)
      ? {
          id: normalizeActor(env.FLIGHTDECK_ACTOR as string),
          source: "FLIGHTDECK_ACTOR" as const,
          name: "FLIGHTDECK_ACTOR",
        }
      : undefined;
  const ignored = (actor: Actor, why: string) =>
    claimed && claimed.id !== actor.id
      ? [`${claimed.name} ${claimed.id} is ignored: ${why} ${actor.id}`]
      : [];

  const identity = ciIdentity(env);
  if (identity) {
    const actor: Actor = { ...identity, verified: true, ci: true };
    return { actor, warnings: ignored(actor, "in CI the actor is the CI's verified identity,") };
  }
  const asClaimed: ResolvedActor | undefined = claimed && {
    actor: { id: claimed.id, source: claimed.source, verified: false, ci },
    warnings: [],
  };
  if (ci && asClaimed) return asClaimed;
  const email = nonEmpty(await gitEmail());
  if (email) {
    const actor: Actor = { id: normalizeActor(email), source: "git", verified: false, ci };
    return { actor, warnings: ignored(actor, "at a terminal the actor is git's user.email,") };
  }
  if (asClaimed) return asClaimed;
  throw new UserError("cannot tell who is running this", {
    tryMessage: "Set git's user.email (`git config user.email you@example.com`), or pass --actor <email>.",
    exitCode: ExitCode.usage,
  });
}

/** Whether an actor id is an e-mail address (comparable with commit authors). */
export function isEmailActor(id: string): boolean {
  return /^[^\s@:]+@[^\s@]+$/.test(id);
}

/** The person in `people` an actor id is, by any of their identities. */
export function personOf(
  id: string,
  people: Record<string, PersonConfig>,
): { name: string; person: PersonConfig } | undefined {
  const wanted = normalizeActor(id);
  for (const [name, person] of Object.entries(people)) {
    if (identitiesOf(person).includes(wanted)) return { name, person };
  }
  return undefined;
}

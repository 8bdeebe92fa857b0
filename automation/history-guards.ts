/**
 * The guards decided by a stack's own update history: roll back only to a
 * commit that ran there successfully (with the image recorded then), promote
 * only from a source whose last update succeeded (exactly its image and commit).
 * "Successfully" means served: Pulumi's success AND a verified rollout
 * (`rollout-verdicts.ts`); a failed or unchecked rollout never counts.
 */
import { recordedRelease } from "./config-map.js";
import type { UpdateRecord } from "./engine.js";
import type { GuardDecision } from "./guards.js";
import { servedOf, type Verdicts } from "./rollout-verdicts.js";

const short = (sha: string) => sha.slice(0, 7);

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
  verdicts: Verdicts;
}): RollbackTarget {
  const guard = "rollback-history";
  const { stack, commit, history, verdicts } = input;
  const ran = history.filter((r) => r.kind === "update" && recordedRelease(r.config).commit === commit);
  const succeeded = ran.find((r) => servedOf(r, verdicts).ok);
  if (!succeeded) {
    // Pulumi called it a success, but the rollout failed or was never verified.
    const pulumiSuccess = ran.find((r) => r.result === "succeeded");
    const hollow = pulumiSuccess ? servedOf(pulumiSuccess, verdicts) : undefined;
    const deployed = [
      ...new Set(
        history
          .filter((r) => servedOf(r, verdicts).ok)
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
          hollow && !hollow.ok
            ? `${short(commit)} was deployed to ${stack} before, but never served there: ${hollow.why}`
            : ran.length > 0
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
      reason: `${short(commit)} ran successfully on ${stack} in update ${succeeded.version} (${succeeded.startTime}) with ${imageId}, its rollout verified`,
    },
  };
}

export interface PromoteSource {
  decision: GuardDecision;
  commit?: string;
  imageId?: string;
}

/** Promote only if the source's last update succeeded and it runs an image; exactly that image and commit move. */
export function promoteGuard(input: {
  from: string;
  to: string;
  history: UpdateRecord[];
  verdicts: Verdicts;
}): PromoteSource {
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
  const served = last.kind === "update" ? servedOf(last, input.verdicts) : undefined;
  if (served && !served.ok) {
    return {
      decision: {
        guard,
        allowed: false,
        reason: `the last deploy of ${from} (update ${last.version}) never served: ${served.why}; only a verified ${from} is promoted`,
        tryMessage: `Redeploy ${from} and let its rollout finish (\`flightdeck deploy ${from} --commit <ref>\`), then promote.`,
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
      reason: `${from} runs ${short(commit)} with ${imageId} (update ${last.version} succeeded and its rollout was verified)`,
    },
  };
}

/**
 * The cloud port: what a deploy asks of AWS itself, beside the Pulumi engine.
 * The release phase (a one-shot machine from the new image runs the
 * migrations and writes its outcome to an SSM parameter) and the rollout
 * checks (instance refreshes, target health, the commit the URL serves).
 *
 * Two implementations: `cloud/aws.ts` (the AWS SDK; in the sandbox pointed at
 * moto and its stand-ins) and `cloud/memory.ts` (scripted, for fast tests).
 * The waiting and deciding is not here but in `operations/steps/release-phase.ts`
 * and `operations/steps/rollout.ts`, over this port.
 */

/** Where and how the release machine boots: the stack's `releaseTask` output. */
export interface ReleaseLaunch {
  region: string;
  subnetIds: string[];
  securityGroupIds: string[];
  instanceProfileArn: string;
  instanceType: string;
  /** The release role's user-data as the stack renders it (commit and status parameter are replaced per release). */
  userData: string;
}

/** The document the image's `flightdeck-release` script writes (images/files/flightdeck-release). */
export interface ReleaseStatus {
  commit: string;
  stack?: string;
  status: "pending" | "running" | "succeeded" | "failed";
  exitCode?: number;
  startedAt?: string;
  finishedAt?: string;
  /** The last lines the release command printed. */
  logTail?: string[];
  /** Who claimed the release (the deploy that started its machine). */
  claimedBy?: string;
  instanceId?: string;
}

/** One auto scaling group's newest instance refresh (DescribeInstanceRefreshes). */
export interface GroupRefresh {
  group: string;
  /** AWS's status: Pending | InProgress | Successful | Failed | Cancelling | Cancelled | RollbackInProgress | RollbackFailed | RollbackSuccessful | Baking. */
  status: string;
  percentage: number;
  instancesToUpdate: number;
  statusReason?: string;
  startTime?: string;
  endTime?: string;
}

export interface TargetHealth {
  healthy: number;
  total: number;
  /** The reasons AWS gives for the unhealthy ones. */
  reasons: string[];
}

export interface Cloud {
  /** The release status parameter of a commit, or undefined when none was written. */
  releaseStatus(region: string, parameter: string): Promise<ReleaseStatus | undefined>;
  /**
   * Claim a commit's release: create the parameter only if it does not exist
   * (SSM PutParameter with Overwrite=false). false: someone claimed it first.
   */
  claimRelease(region: string, parameter: string, status: ReleaseStatus): Promise<boolean>;
  /** Replace the parameter (a claim that could not start its machine gives it back as failed). */
  putReleaseStatus(region: string, parameter: string, status: ReleaseStatus): Promise<void>;
  /** Launch the one-shot release machine; resolves to its instance id. */
  startReleaseMachine(
    launch: ReleaseLaunch,
    imageId: string,
    userData: string,
    tags: Record<string, string>,
  ): Promise<string>;
  /** The newest instance refresh of each group (groups without one are left out). */
  instanceRefreshes(region: string, groups: string[]): Promise<GroupRefresh[]>;
  targetHealth(region: string, targetGroupArn: string): Promise<TargetHealth>;
  /** The commit the environment's health endpoint reports, or a reason it reports none. */
  servedCommit(url: string): Promise<{ commit?: string; problem?: string }>;
}

/** The parameter a commit's release writes: one per stack and commit, so a re-run finds it. */
export function releaseParameter(stack: string, commit: string): string {
  return `/flightdeck/${stack}/release/${commit}`;
}

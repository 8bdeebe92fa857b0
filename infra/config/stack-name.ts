/**
 * What a stack's name must be, because the program derives AWS names from it.
 *
 * Every resource is named `<stack>-<part>` (its logical name, `componentName`
 * in `stack.ts`), and Pulumi's autonaming makes the physical name by appending
 * `-` and 7 random hex digits (the RDS identifier: 7 hex digits, no hyphen).
 * The AWS names of an environment stack (production, staging, testing), with
 * their AWS limits and what that leaves for the stack name:
 *
 * | resource (AWS limit)                                  | physical name                                | stack |
 * | ElastiCache replication group id (40, CreateReplicationGroup) | `<stack>-cache-redis-<7>`            | 20    |
 * | IAM role (64, CreateRole)                             | `<stack>-fleet-scheduler-role-<7>`           | 35    |
 * | RDS DB instance identifier (63, CreateDBInstance)     | `<stack>-db-db<7>`                           | 50    |
 * | IAM instance profile (128), launch template (128)     | `<stack>-fleet-scheduler-profile-<7>`, `-lt` | 96    |
 * | security groups, subnet groups, Auto Scaling groups and policies, lifecycle hooks (255) | `<stack>-…-<7>` | 200+ |
 * | RDS final snapshot (255, DeleteDBInstance)            | `<stack>-db-final-<8>` (`database.ts`)       | 200+  |
 * | ELBv2 load balancer, target groups (32)               | cut and hashed to fit (`elbv2LogicalName`)   | any   |
 *
 * So an environment stack's name has at most 20 characters (ElastiCache). The
 * RDS identifier and the ElastiCache id must also start with a letter and hold
 * no two hyphens in a row (RDS CreateDBInstance `DBInstanceIdentifier`,
 * ElastiCache CreateReplicationGroup `ReplicationGroupId`), so the name starts
 * with a letter and its separators (`-`, `_` and `.`, which become `-`) stand
 * alone between letters and digits. Preview stacks are named by flightdeck
 * within `MAX_PREVIEW_STACK_NAME` (`preview-names.ts`); they have no cache.
 */
import { MAX_PREVIEW_STACK_NAME } from "../preview-names.js";

/** The longest name of an environment stack (production, staging, testing): see the table above. */
export const ENVIRONMENT_STACK_NAME_MAX = 20;

const SHAPE = /^[A-Za-z][A-Za-z0-9]*([-_.][A-Za-z0-9]+)*$/;

/** The longest stack name for an environment kind. */
export function stackNameMax(environment: string): number {
  return environment === "preview" || environment === "previews"
    ? MAX_PREVIEW_STACK_NAME
    : ENVIRONMENT_STACK_NAME_MAX;
}

/** Problems of a stack's name for its environment kind, each `<source>: stack name: <message>`. */
export function stackNameShapeProblems(stack: string, environment: string, source: string): string[] {
  const at = `${source}: stack name:`;
  const problems: string[] = [];
  const max = stackNameMax(environment);
  if (stack.length > max) {
    const why =
      max === ENVIRONMENT_STACK_NAME_MAX
        ? "AWS caps an ElastiCache replication group id at 40 characters and flightdeck names it " +
          "<stack>-cache-redis plus an 8-character suffix"
        : "every AWS name flightdeck derives from a preview stack's name must fit its limit";
    problems.push(
      `${at} '${stack}' has ${stack.length} characters; a ${environment || "flightdeck"} stack's name has at most ${max}: ${why}. ` +
        "Use a shorter stack name (pulumi stack rename, or a new stack and its Pulumi.<stack>.yaml)",
    );
  }
  if (!SHAPE.test(stack)) {
    problems.push(
      `${at} '${stack}' must start with a letter and use only letters and digits, ` +
        "with single -, _ or . between them: RDS and ElastiCache identifiers derived from it " +
        "start with a letter and never hold two hyphens in a row",
    );
  }
  return problems;
}

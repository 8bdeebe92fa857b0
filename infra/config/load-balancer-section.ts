/**
 * The `loadBalancer` section: the safety of a stack's application load balancer.
 *
 * - `deletionProtection`: the ELBv2 attribute `deletion_protection.enabled`
 *   (@pulumi/aws `enableDeletionProtection`): AWS refuses to delete the load
 *   balancer (DeleteLoadBalancer fails with OperationNotPermitted) until it is
 *   turned off. On by default in production, off elsewhere; production turns
 *   it off only to be taken down on purpose.
 * - `accessLogs`: the attributes `access_logs.s3.enabled`, `access_logs.s3.bucket`
 *   and `access_logs.s3.prefix` (@pulumi/aws `accessLogs`): every request is
 *   logged to an existing S3 bucket in the stack's region, under
 *   `<prefix>/<stack>/AWSLogs/<account>/...`, so stacks sharing a bucket never
 *   mix. The bucket's policy must let Elastic Load Balancing write there (see the
 *   README); flightdeck does not create or own the bucket.
 */
import { z } from "zod";

/**
 * An S3 general purpose bucket name: 3 to 63 lower-case letters, digits, dots and
 * hyphens, starting and ending with a letter or digit, no two dots in a row, not an
 * IP address (Amazon S3 user guide, "General purpose bucket naming rules").
 */
const S3_BUCKET = /^(?!\d+\.\d+\.\d+\.\d+$)(?!xn--)(?!sthree-)[a-z0-9]([a-z0-9-]|\.(?!\.)){1,61}[a-z0-9]$/;

/**
 * A key prefix for the logs: S3 key characters that need no encoding, `/` between
 * parts, never starting or ending with `/`, and never `AWSLogs`, which Elastic Load
 * Balancing adds itself (ELBv2 user guide, "Enable access logs for your Application
 * Load Balancer": "The prefix can't include the string AWSLogs").
 */
const LOG_PREFIX = /^(?!.*AWSLogs)[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/;

export const accessLogsSchema = z
  .object({
    bucket: z.string().regex(S3_BUCKET, {
      message:
        "must be an S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit",
    }),
    /** Put before the stack's name: `<prefix>/<stack>`; without it, the stack's name alone. */
    prefix: z
      .string()
      .max(200)
      .regex(LOG_PREFIX, {
        message:
          "must be an S3 key prefix like logs/alb: letters, digits and !_.*'()- with / between parts, not starting or ending with /, without AWSLogs",
      })
      .optional(),
  })
  .strict();

export const loadBalancerSchema = z
  .object({
    /** Default: on in production, off elsewhere. */
    deletionProtection: z.boolean().optional(),
    accessLogs: accessLogsSchema.optional(),
  })
  .strict();

export type LoadBalancerConfig = z.output<typeof loadBalancerSchema>;

/** What the load balancer of a stack gets: its deletion protection, and where its access logs go (if anywhere). */
export interface LoadBalancerSafety {
  deletionProtection: boolean;
  accessLogs?: { bucket: string; prefix: string };
}

/** The load balancer settings of a stack of `environment`, with the defaults applied. */
export function loadBalancerSafety(
  environment: string,
  stack: string,
  config: LoadBalancerConfig | undefined,
): LoadBalancerSafety {
  const logs = config?.accessLogs;
  return {
    deletionProtection: config?.deletionProtection ?? environment === "production",
    accessLogs: logs ? { bucket: logs.bucket, prefix: accessLogPrefix(stack, logs.prefix) } : undefined,
  };
}

/** The key prefix of a stack's access logs: `<prefix>/<stack>`, or `<stack>`. */
export function accessLogPrefix(stack: string, prefix: string | undefined): string {
  return prefix ? `${prefix}/${stack}` : stack;
}

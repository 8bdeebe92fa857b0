/**
 * The port `sweep` finds and deletes AWS leftovers through (`aws.ts` is the
 * AWS SDK implementation), and the pure decisions around it: what kind of
 * resource an ARN names, whether a stack's state holds it, and the order
 * deletes go in.
 *
 * Delete order: what uses a thing goes before the thing. Auto Scaling groups
 * (which terminate their instances), then instances, then load balancers and
 * their target groups, then launch templates, security groups, subnets and
 * VPCs; S3 buckets last, and only when empty (sweep never deletes objects).
 * Every other type is reported for deletion by hand.
 */

/** One tagged resource as the Resource Groups Tagging API lists it. */
export interface TaggedResource {
  arn: string;
  tags: Record<string, string>;
}

export interface Leftovers {
  /** Every resource in `region` carrying the tag `key` (any value), every page. */
  tagged(region: string, key: string): Promise<TaggedResource[]>;
  /** Delete one resource (a type of `DELETE_ORDER`); rejects with AWS's reason. */
  delete(region: string, arn: string): Promise<void>;
}

/** The types sweep deletes, in the order it deletes them. */
export const DELETE_ORDER = [
  "autoscaling:autoScalingGroup",
  "ec2:instance",
  "elasticloadbalancing:loadbalancer",
  "elasticloadbalancing:targetgroup",
  "ec2:launch-template",
  "ec2:security-group",
  "ec2:subnet",
  "ec2:vpc",
  "s3:bucket",
] as const;

/**
 * `service:resource-type` of an ARN (`arn:partition:service:region:account:resource`,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html):
 * the resource part is `type/id`, `type:id`, or (S3) just the bucket name.
 */
export function arnType(arn: string): string {
  const parts = arn.split(":");
  const service = parts[2] ?? "";
  const resource = parts.slice(5).join(":");
  if (service === "s3" && !resource.includes("/")) return "s3:bucket";
  const type = resource.split(/[/:]/)[0] ?? "";
  // ELBv2 ARNs read `loadbalancer/app/<name>/<id>` and `targetgroup/<name>/<id>`.
  return `${service}:${type}`;
}

/** The IDs an ARN's resource may be known by in a stack's state: the ARN, its last segment, its name. */
export function idsOf(arn: string): string[] {
  const resource = arn.split(":").slice(5).join(":");
  const ids = new Set([arn, resource]);
  const last = resource.split("/").pop();
  if (last) ids.add(last);
  // Auto Scaling: `autoScalingGroup:<uuid>:autoScalingGroupName/<name>`; Pulumi's ID is the name.
  const named = /autoScalingGroupName\/(.+)$/.exec(resource);
  if (named?.[1]) ids.add(named[1]);
  return [...ids];
}

export function isDeletable(type: string): boolean {
  return (DELETE_ORDER as readonly string[]).includes(type);
}

/** `items` sorted into delete order (types sweep does not delete left out). */
export function deleteOrder<T extends { type: string }>(items: readonly T[]): T[] {
  const rank = (t: string) => (DELETE_ORDER as readonly string[]).indexOf(t);
  return items.filter((i) => isDeletable(i.type)).sort((a, b) => rank(a.type) - rank(b.type));
}

/**
 * The tag rule: every taggable resource carries the stack, environment and
 * commit tags, so every resource in an account can be traced to its stack.
 */
import { get, str } from "../inputs.js";
import type { ResourceRecord } from "../resources.js";
import { RESOURCE_TAGS } from "../tags.js";
import { type StackRule, TYPES } from "./rule-types.js";

/**
 * The types the tag rule checks. Each supports `tags` in AWS provider 7 (a
 * list of `{key, value, propagateAtLaunch}` for Auto Scaling groups, a map
 * otherwise); awsx's Vpc passes its `tags` on to what it creates.
 */
export const TAGGABLE_TYPES: readonly string[] = [
  TYPES.awsxVpc,
  "aws:ec2/vpc:Vpc",
  "aws:ec2/subnet:Subnet",
  "aws:ec2/natGateway:NatGateway",
  "aws:ec2/eip:Eip",
  "aws:ec2/internetGateway:InternetGateway",
  "aws:ec2/routeTable:RouteTable",
  TYPES.securityGroup,
  TYPES.ingressRule,
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  TYPES.launchTemplate,
  TYPES.autoScalingGroup,
  TYPES.instance,
  TYPES.volume,
  TYPES.loadBalancer,
  "aws:lb/targetGroup:TargetGroup",
  "aws:lb/listener:Listener",
  "aws:lb/listenerRule:ListenerRule",
  TYPES.database,
  "aws:rds/subnetGroup:SubnetGroup",
  "aws:rds/parameterGroup:ParameterGroup",
  TYPES.cache,
  "aws:elasticache/subnetGroup:SubnetGroup",
  "aws:iam/role:Role",
  "aws:iam/instanceProfile:InstanceProfile",
  "aws:iam/policy:Policy",
  "aws:acm/certificate:Certificate",
  "aws:secretsmanager/secret:Secret",
  "aws:kms/key:Key",
  "aws:cloudwatch/logGroup:LogGroup",
  "aws:cloudwatch/metricAlarm:MetricAlarm",
];

export const REQUIRED_TAG_KEYS: readonly string[] = [
  RESOURCE_TAGS.stack,
  RESOURCE_TAGS.environment,
  RESOURCE_TAGS.commit,
];

/**
 * Every taggable resource carries the stack, environment and commit tags, on
 * itself or through the AWS provider's `defaultTags` (which do not reach Auto
 * Scaling groups: those need their own tag list).
 */
export const requiredTags: StackRule = {
  kind: "stack",
  name: "required-tags",
  description: `Every taggable resource carries ${REQUIRED_TAG_KEYS.join(", ")}.`,
  level: "mandatory",
  check: (records) => {
    const defaults = providerDefaultTagKeys(records);
    return records
      .filter((r) => TAGGABLE_TYPES.includes(r.type))
      .flatMap((record) => {
        const own = tagKeysOf(record);
        const effective = record.type === TYPES.autoScalingGroup ? own : new Set([...own, ...defaults]);
        const missing = REQUIRED_TAG_KEYS.filter((key) => !effective.has(key));
        return missing.length === 0
          ? []
          : [{ record, message: `is missing tag${missing.length > 1 ? "s" : ""} ${missing.join(", ")}` }];
      });
  },
};

/** The tag keys on a resource: a map, or an Auto Scaling group's list of `{key, value}`. */
export function tagKeysOf(record: ResourceRecord): Set<string> {
  const tags = record.inputs.tags;
  if (Array.isArray(tags)) {
    return new Set(tags.map((t) => str(get(t, "key"))).filter((k): k is string => k !== undefined));
  }
  if (tags !== null && typeof tags === "object") {
    return new Set(
      Object.entries(tags)
        .filter(([, v]) => typeof v === "string")
        .map(([k]) => k),
    );
  }
  return new Set();
}

/**
 * Keys every explicit AWS provider in the plan puts on its resources. Taken
 * only when every AWS provider sets them, since a record does not say which
 * provider it was created with.
 */
function providerDefaultTagKeys(records: readonly ResourceRecord[]): Set<string> {
  const providers = records.filter((r) => r.type === TYPES.awsProvider);
  if (providers.length === 0) return new Set();
  const sets = providers.map((p) => {
    const tags = get(get(p.inputs, "defaultTags"), "tags");
    return new Set(tags && typeof tags === "object" ? Object.keys(tags) : []);
  });
  const [first, ...rest] = sets;
  return new Set([...(first ?? [])].filter((k) => rest.every((s) => s.has(k))));
}

/**
 * The shapes of the policy rules and the resource types they look at.
 */
import type { ResourceRecord } from "../resources.js";

export type PolicyLevel = "mandatory" | "advisory";

/** One finding, as the plan document shows it. */
export interface PolicyResult {
  policy: string;
  level: PolicyLevel;
  /** The name of the resource at fault. */
  resource: string;
  message: string;
}

export interface PolicyContext {
  /** The stack's environment kind (`production`, `staging`, `testing`, `previews`, `preview`). */
  environment: string;
}

/** A finding of a stack-level rule: which record, and why. */
export interface StackFinding {
  record: ResourceRecord;
  message: string;
}

interface RuleInfo {
  name: string;
  description: string;
  level: PolicyLevel;
}

/** A rule over one resource at a time: the messages of its violations (none when compliant). */
export interface ResourceRule extends RuleInfo {
  kind: "resource";
  /** The resource types the rule looks at. */
  types: readonly string[];
  check(record: ResourceRecord, context: PolicyContext): string[];
}

/** A rule that needs to see several resources together (who can reach what, provider default tags). */
export interface StackRule extends RuleInfo {
  kind: "stack";
  check(records: readonly ResourceRecord[], context: PolicyContext): StackFinding[];
}

export type Rule = ResourceRule | StackRule;

export const TYPES = {
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  legacyRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  autoScalingGroup: "aws:autoscaling/group:Group",
  instance: "aws:ec2/instance:Instance",
  volume: "aws:ebs/volume:Volume",
  database: "aws:rds/instance:Instance",
  cache: "aws:elasticache/replicationGroup:ReplicationGroup",
  loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
  awsxVpc: "awsx:ec2:Vpc",
  awsProvider: "pulumi:providers:aws",
} as const;

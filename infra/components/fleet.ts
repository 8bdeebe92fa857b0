/**
 * The machines: one auto scaling group per role (app, worker, scheduler, and
 * content when configured), all booting the same universal image; the role is
 * chosen at boot by user-data.
 *
 * Deploys replace instances by a rolling instance refresh. Web tiers and workers
 * launch before they terminate (100% healthy capacity kept, up to 200% while
 * refreshing) and roll back on failure; the single scheduler is replaced
 * terminate-first so two Celery beats never run at once; a terminating worker is
 * held by a lifecycle hook for `workerDrainSeconds` to finish its tasks.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DeployConfig, Role, StackConfig, TierConfig } from "../config.js";
import type { ImageRef } from "../image.js";
import { IAM_PATH } from "../naming.js";
import { renderUserData } from "../userdata.js";
import { APP_PORT } from "./load-balancer.js";
import {
  completeLifecyclePolicy,
  EC2_TRUST_POLICY,
  readSecretPolicy,
  ssmManagedPolicyArn,
} from "./fleet-policies.js";
import { createReleaseTask } from "./release-task.js";

export {
  completeLifecyclePolicy,
  EC2_TRUST_POLICY,
  readSecretPolicy,
  ssmManagedPolicyArn,
} from "./fleet-policies.js";

type Tiers = NonNullable<StackConfig["tiers"]>;
export type UserDataSettings = Record<string, string | number | boolean | undefined>;

export interface FleetArgs {
  environment: string;
  stack: string;
  region: string;
  commit: string;
  image: ImageRef;
  tiers: Tiers;
  deploy: DeployConfig;
  privateSubnetIds: pulumi.Input<string[]>;
  /** The fleet's security group (made by the caller: the database and cache admit it). */
  securityGroupId: pulumi.Input<string>;
  /** Target groups of the web roles. */
  targetGroupArns: Partial<Record<"app" | "content", pulumi.Input<string>>>;
  /** Settings every machine's user-data carries (database host, cache host, ...). */
  settings: pulumi.Input<UserDataSettings>;
  /** The Secrets Manager secret holding the database master credentials, readable by every role. */
  databaseSecretArn?: pulumi.Input<string>;
  tags: Record<string, string>;
}

const WEB_ROLES: ReadonlySet<Role> = new Set(["app", "content"]);
/** Name of the worker's termination hook; the image's drain script completes it. */
export const WORKER_DRAIN_HOOK = "drain";

/** The roles a config runs, in a stable order. */
export function fleetRoles(tiers: Tiers): Role[] {
  return tiers.content ? ["app", "worker", "scheduler", "content"] : ["app", "worker", "scheduler"];
}

/**
 * Instance refresh preferences of a role. Everyone but the scheduler launches
 * before terminating (`deploy` percentages, 100/200 by default) and rolls back a
 * failed refresh; the scheduler (at most one instance) terminates first
 * (0/100), so there is never a second beat.
 */
export function refreshPreferences(
  role: Role,
  deploy: DeployConfig,
): aws.types.input.autoscaling.GroupInstanceRefreshPreferences {
  const warmup = String(deploy.instanceWarmupSeconds);
  if (role === "scheduler") {
    return {
      minHealthyPercentage: 0,
      maxHealthyPercentage: 100,
      instanceWarmup: warmup,
      autoRollback: false,
    };
  }
  return {
    minHealthyPercentage: deploy.minHealthyPercentage,
    maxHealthyPercentage: deploy.maxHealthyPercentage,
    instanceWarmup: warmup,
    autoRollback: deploy.autoRollback,
    skipMatching: true,
  };
}

/** Web roles count as healthy only once the load balancer says so. */
export function healthCheckType(role: Role): "ELB" | "EC2" {
  return WEB_ROLES.has(role) ? "ELB" : "EC2";
}

/** Role-specific user-data settings. */
export function roleSettings(role: Role, deploy: DeployConfig): UserDataSettings {
  if (role === "worker")
    return { drain_seconds: deploy.workerDrainSeconds, lifecycle_hook: WORKER_DRAIN_HOOK };
  if (WEB_ROLES.has(role)) return { http_port: APP_PORT };
  return {};
}

/** Auto scaling group tags: the stack's tags, propagated to the instances it launches. */
export function asgTags(tags: Record<string, string>, name: string): aws.types.input.autoscaling.GroupTag[] {
  return Object.entries({ ...tags, Name: name }).map(([key, value]) => ({
    key,
    value,
    propagateAtLaunch: true,
  }));
}

/** The user-data of one role, base64-encoded for a launch template. */
export function encodedUserData(
  args: Pick<FleetArgs, "environment" | "stack" | "region" | "commit" | "deploy">,
  role: Role,
  settings: UserDataSettings,
): string {
  const text = renderUserData({
    role,
    environment: args.environment,
    stack: args.stack,
    commit: args.commit,
    region: args.region,
    settings: { ...settings, ...roleSettings(role, args.deploy) },
  });
  return Buffer.from(text, "utf8").toString("base64");
}

export interface FleetTierOutputs {
  groupName: pulumi.Output<string>;
  groupArn: pulumi.Output<string>;
  launchTemplateId: pulumi.Output<string>;
  instanceRole: aws.iam.Role;
  instanceProfileArn: pulumi.Output<string>;
}

export class Fleet extends pulumi.ComponentResource {
  readonly tiers: Partial<Record<Role, FleetTierOutputs>> = {};
  /** Auto scaling group name of each role, for the dashboard and the rollout checks. */
  readonly groupNames: pulumi.Output<Partial<Record<Role, string>>>;
  /** Where a deploy boots its release machine (`release-task.ts`). */
  readonly releaseTask: ReturnType<typeof createReleaseTask>;

  constructor(name: string, args: FleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flightdeck:env:Fleet", name, {}, opts);
    for (const role of fleetRoles(args.tiers)) {
      const tier = args.tiers[role] as TierConfig;
      this.tiers[role] = createTier(this, `${name}-${role}`, role, tier, args);
    }
    this.groupNames = pulumi
      .all(Object.entries(this.tiers).map(([role, t]) => t.groupName.apply((n) => [role, n] as const)))
      .apply((pairs) => Object.fromEntries(pairs));
    const app = this.tiers.app as FleetTierOutputs;
    this.releaseTask = createReleaseTask({
      fleet: args,
      instanceType: (args.tiers.app as TierConfig).instanceType,
      instanceProfileArn: app.instanceProfileArn,
      instanceRole: app.instanceRole,
      parent: this,
      name: `${name}-app`,
    });
    this.registerOutputs({ groupNames: this.groupNames, releaseTask: this.releaseTask });
  }
}

/** Everything one role needs: instance role and profile, launch template, group, scaling, hooks. */
function createTier(
  parent: pulumi.Resource,
  name: string,
  role: Role,
  tier: TierConfig,
  args: FleetArgs,
): FleetTierOutputs {
  const instanceRole = createInstanceRole(parent, name, args);
  const profile = createInstanceProfile(parent, name, instanceRole, args);
  const template = createLaunchTemplate(parent, name, role, tier, profile, args);
  const group = createGroup(parent, name, role, tier, template, args);
  if (role !== "scheduler") createCpuScaling(parent, name, tier, group);
  if (role === "worker") createDrainHook(parent, name, instanceRole, group, args.deploy);
  return {
    groupName: group.name,
    groupArn: group.arn,
    launchTemplateId: template.id,
    instanceRole,
    instanceProfileArn: profile.arn,
  };
}

function createInstanceRole(parent: pulumi.Resource, name: string, args: FleetArgs): aws.iam.Role {
  const role = new aws.iam.Role(
    `${name}-role`,
    {
      path: IAM_PATH,
      assumeRolePolicy: EC2_TRUST_POLICY,
      description: `Instances of ${name}`,
      tags: args.tags,
    },
    { parent },
  );
  new aws.iam.RolePolicyAttachment(
    `${name}-ssm`,
    { role: role.name, policyArn: ssmManagedPolicyArn(args.region) },
    { parent },
  );
  if (args.databaseSecretArn !== undefined) {
    new aws.iam.RolePolicy(
      `${name}-db-secret`,
      { role: role.name, policy: pulumi.output(args.databaseSecretArn).apply(readSecretPolicy) },
      { parent },
    );
  }
  return role;
}

function createInstanceProfile(
  parent: pulumi.Resource,
  name: string,
  role: aws.iam.Role,
  args: FleetArgs,
): aws.iam.InstanceProfile {
  return new aws.iam.InstanceProfile(
    `${name}-profile`,
    { path: IAM_PATH, role: role.name, tags: args.tags },
    { parent },
  );
}

function createLaunchTemplate(
  parent: pulumi.Resource,
  name: string,
  role: Role,
  tier: TierConfig,
  profile: aws.iam.InstanceProfile,
  args: FleetArgs,
): aws.ec2.LaunchTemplate {
  const userData = pulumi.output(args.settings).apply((settings) => encodedUserData(args, role, settings));
  return new aws.ec2.LaunchTemplate(
    `${name}-lt`,
    {
      description: `${role} of ${args.stack} at ${args.commit}`,
      imageId: args.image.imageId,
      instanceType: tier.instanceType,
      userData,
      iamInstanceProfile: { arn: profile.arn },
      vpcSecurityGroupIds: [args.securityGroupId],
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
        instanceMetadataTags: "enabled",
      },
      blockDeviceMappings: [
        {
          deviceName: args.image.rootDeviceName,
          ebs: {
            volumeSize: tier.volumeGb,
            volumeType: "gp3",
            encrypted: "true",
            deleteOnTermination: "true",
          },
        },
      ],
      tagSpecifications: [
        { resourceType: "instance", tags: { ...args.tags, Name: name } },
        { resourceType: "volume", tags: { ...args.tags, Name: name } },
      ],
      updateDefaultVersion: true,
      tags: args.tags,
    },
    { parent },
  );
}

function createGroup(
  parent: pulumi.Resource,
  name: string,
  role: Role,
  tier: TierConfig,
  template: aws.ec2.LaunchTemplate,
  args: FleetArgs,
): aws.autoscaling.Group {
  const targetGroup = role === "app" || role === "content" ? args.targetGroupArns[role] : undefined;
  return new aws.autoscaling.Group(
    `${name}-asg`,
    {
      vpcZoneIdentifiers: args.privateSubnetIds,
      minSize: tier.min,
      maxSize: tier.max,
      desiredCapacity: tier.desired,
      // A new template version (new image or user-data) is what starts an instance refresh.
      launchTemplate: { id: template.id, version: template.latestVersion.apply(String) },
      targetGroupArns: targetGroup === undefined ? [] : [targetGroup],
      healthCheckType: healthCheckType(role),
      healthCheckGracePeriod: args.deploy.instanceWarmupSeconds,
      defaultInstanceWarmup: args.deploy.instanceWarmupSeconds,
      instanceRefresh: { strategy: "Rolling", preferences: refreshPreferences(role, args.deploy) },
      tags: asgTags(args.tags, name),
    },
    // The CPU policy moves desired capacity; a deploy must not reset it to the config value.
    { parent, ignoreChanges: role === "scheduler" ? [] : ["desiredCapacity"] },
  );
}

function createCpuScaling(
  parent: pulumi.Resource,
  name: string,
  tier: TierConfig,
  group: aws.autoscaling.Group,
): aws.autoscaling.Policy {
  return new aws.autoscaling.Policy(
    `${name}-cpu`,
    {
      autoscalingGroupName: group.name,
      policyType: "TargetTrackingScaling",
      targetTrackingConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
        targetValue: tier.targetCpu,
      },
    },
    { parent },
  );
}

/**
 * Hold a terminating worker for `workerDrainSeconds`: the image's drain unit sees the
 * target lifecycle state in instance metadata, stops taking tasks, waits for running
 * ones, then completes this hook (or the timeout lets termination continue).
 */
function createDrainHook(
  parent: pulumi.Resource,
  name: string,
  instanceRole: aws.iam.Role,
  group: aws.autoscaling.Group,
  deploy: DeployConfig,
): aws.autoscaling.LifecycleHook {
  new aws.iam.RolePolicy(
    `${name}-lifecycle`,
    { role: instanceRole.name, policy: group.arn.apply(completeLifecyclePolicy) },
    { parent },
  );
  return new aws.autoscaling.LifecycleHook(
    `${name}-drain`,
    {
      name: WORKER_DRAIN_HOOK,
      autoscalingGroupName: group.name,
      lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
      heartbeatTimeout: deploy.workerDrainSeconds,
      defaultResult: "CONTINUE",
    },
    { parent },
  );
}

export interface FleetSecurityGroupArgs {
  vpcId: pulumi.Input<string>;
  /** The load balancer's group: the only source of inbound traffic (web roles on APP_PORT). */
  loadBalancerSecurityGroupId: pulumi.Input<string>;
  tags: Record<string, string>;
}

/**
 * The fleet's security group. Made before the fleet (by the environment) because
 * the database and cache admit exactly this group, and the fleet needs their
 * addresses. Inbound: only the load balancer, only on the app port. No SSH:
 * people reach machines through Systems Manager.
 */
export function createFleetSecurityGroup(
  parent: pulumi.Resource,
  name: string,
  args: FleetSecurityGroupArgs,
): aws.ec2.SecurityGroup {
  return new aws.ec2.SecurityGroup(
    name,
    {
      description: "Fleet: web traffic from the load balancer only",
      vpcId: args.vpcId,
      ingress: [
        {
          description: "From the load balancer",
          protocol: "tcp",
          fromPort: APP_PORT,
          toPort: APP_PORT,
          securityGroups: [args.loadBalancerSecurityGroupId],
        },
      ],
      // Outbound: package mirrors, SSM, Secrets Manager, the database and cache.
      egress: [
        { description: "Outbound", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] },
      ],
      tags: { ...args.tags, Name: name },
    },
    { parent },
  );
}

/**
 * A preview's machine: an Auto Scaling group of ONE (min 0, max 1, desired 1)
 * on Spot by default, so an interrupted or failed machine is replaced by
 * itself, and scheduled actions that scale it to 0 outside working hours and
 * back to 1.
 *
 * Spot and its "fallback", in Auto Scaling terms: a mixed instances policy over
 * several instance types of at least `preview.minMemoryGib`, with
 * `price-capacity-optimized` Spot allocation, `OnDemandBaseCapacity` 0 and
 * `OnDemandPercentageAboveBaseCapacity` 0 (all Spot), and capacity rebalancing
 * (a machine at elevated risk of interruption is replaced proactively).
 * A group's On-Demand/Spot split is fixed by those two numbers
 * (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstancesDistribution.html);
 * there is no setting that launches On-Demand only when Spot has no capacity:
 * the group keeps retrying Spot in every listed pool. So the fallback is
 * (1) many pools: several types x the base's subnets, which is what makes Spot
 * capacity rarely unavailable, and (2) `preview.purchase: on-demand`, one
 * config switch that makes every preview machine On-Demand (at about 3x the
 * compute price), for when Spot is short in the region.
 *
 * Sleeping terminates the machine (an Auto Scaling group cannot stop Spot
 * Instances or keep a warm pool with a mixed instances policy), so its root
 * volume goes with it and its data is loaded again when it wakes.
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config.js";
import { autoScalingCron } from "../config/preview-schedule.js";
import type { ImageRef } from "../image.js";
import { asgTags } from "./fleet.js";
import { hasScheduleResources, type PowerMode } from "./preview-routing.js";

/** Seconds a new preview machine gets to boot and load its data before its health counts. */
export const PREVIEW_WARMUP_SECONDS = 600;

export interface MachineInputs {
  config: StackConfig;
  stack: string;
  mode: PowerMode;
  image: ImageRef;
  /** The rendered user-data (plain text; base64-encoded here). */
  userData: string;
  subnetIds: pulumi.Input<string[]>;
  securityGroupId: pulumi.Input<string>;
  instanceProfileArn: pulumi.Input<string>;
  targetGroupArn: pulumi.Input<string>;
  tags: Record<string, string>;
}

export interface Machine {
  template: aws.ec2.LaunchTemplate;
  group: aws.autoscaling.Group;
  schedules: aws.autoscaling.Schedule[];
}

/** The capacity the program sets: 0 asleep by hand, else 1 (the schedule moves it after creation). */
export function desiredCapacity(mode: PowerMode): 0 | 1 {
  return mode === "asleep-by-hand" ? 0 : 1;
}

/** The group's split between Spot and On-Demand (see the module comment). */
export function instancesDistribution(
  purchase: StackConfig["preview"]["purchase"],
): aws.types.input.autoscaling.GroupMixedInstancesPolicyInstancesDistribution {
  return {
    onDemandBaseCapacity: 0,
    onDemandPercentageAboveBaseCapacity: purchase === "spot" ? 0 : 100,
    onDemandAllocationStrategy: "prioritized",
    spotAllocationStrategy: "price-capacity-optimized",
  };
}

export function createMachine(parent: pulumi.Resource, name: string, i: MachineInputs): Machine {
  const template = createLaunchTemplate(parent, name, i);
  const group = createGroup(parent, name, i, template);
  const schedules = hasScheduleResources(i.mode) ? createScheduledActions(parent, name, i, group) : [];
  return { template, group, schedules };
}

function createLaunchTemplate(
  parent: pulumi.Resource,
  name: string,
  i: MachineInputs,
): aws.ec2.LaunchTemplate {
  return new aws.ec2.LaunchTemplate(
    `${name}-lt`,
    {
      description: `Preview ${i.stack} at ${i.config.image.commit ?? "an explicit image"}`,
      imageId: i.image.imageId,
      userData: Buffer.from(i.userData, "utf8").toString("base64"),
      iamInstanceProfile: { arn: i.instanceProfileArn },
      vpcSecurityGroupIds: [i.securityGroupId],
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
        instanceMetadataTags: "enabled",
      },
      blockDeviceMappings: [
        {
          deviceName: i.image.rootDeviceName,
          ebs: {
            volumeSize: i.config.preview.volumeGb,
            volumeType: "gp3",
            encrypted: "true",
            deleteOnTermination: "true",
          },
        },
      ],
      tagSpecifications: [
        { resourceType: "instance", tags: { ...i.tags, Name: name } },
        { resourceType: "volume", tags: { ...i.tags, Name: name } },
      ],
      updateDefaultVersion: true,
      tags: i.tags,
    },
    { parent },
  );
}

function createGroup(
  parent: pulumi.Resource,
  name: string,
  i: MachineInputs,
  template: aws.ec2.LaunchTemplate,
): aws.autoscaling.Group {
  const preview = i.config.preview;
  return new aws.autoscaling.Group(
    `${name}-asg`,
    {
      vpcZoneIdentifiers: i.subnetIds,
      minSize: 0,
      maxSize: 1,
      desiredCapacity: desiredCapacity(i.mode),
      capacityRebalance: true,
      mixedInstancesPolicy: {
        instancesDistribution: instancesDistribution(preview.purchase),
        launchTemplate: {
          launchTemplateSpecification: {
            launchTemplateId: template.id,
            version: template.latestVersion.apply(String),
          },
          overrides: preview.instanceTypes.map((instanceType) => ({ instanceType })),
        },
      },
      targetGroupArns: [i.targetGroupArn],
      healthCheckType: "ELB",
      healthCheckGracePeriod: PREVIEW_WARMUP_SECONDS,
      defaultInstanceWarmup: PREVIEW_WARMUP_SECONDS,
      // One machine: a new image replaces it terminate-first (no second copy of the data).
      instanceRefresh: {
        strategy: "Rolling",
        preferences: { minHealthyPercentage: 0, maxHealthyPercentage: 100, autoRollback: false },
      },
      tags: asgTags(i.tags, name),
    },
    // On its schedule, the scheduled actions own the capacity: an update must not reset it.
    { parent, ignoreChanges: i.mode === "scheduled" ? ["desiredCapacity"] : [] },
  );
}

/** Scale to 1 at wake time and to 0 at sleep time, on the schedule's days, in its time zone. */
function createScheduledActions(
  parent: pulumi.Resource,
  name: string,
  i: MachineInputs,
  group: aws.autoscaling.Group,
): aws.autoscaling.Schedule[] {
  const schedule = i.config.preview.schedule;
  return (
    [
      ["wake", schedule.wake, 1],
      ["sleep", schedule.sleep, 0],
    ] as const
  ).map(
    ([what, time, desired]) =>
      new aws.autoscaling.Schedule(
        `${name}-${what}`,
        {
          autoscalingGroupName: group.name,
          scheduledActionName: what,
          recurrence: autoScalingCron(time, schedule.days),
          timeZone: schedule.timeZone,
          minSize: 0,
          maxSize: 1,
          desiredCapacity: desired,
        },
        { parent },
      ),
  );
}

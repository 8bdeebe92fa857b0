/**
 * The release task: where flightdeck boots the one-shot machine that runs a
 * new image's release role (migrations, once, before traffic moves), exported
 * as the stack's `releaseTask` output and read by the deploy's release phase
 * (automation/operations/steps/release-phase.ts). It boots like an app server
 * (same subnets, security group, instance profile and size, so it reaches the
 * database with the same rights) with the release role's user-data; the
 * deploy replaces the commit and names the SSM parameter for the outcome.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsPartition } from "../naming.js";
import { renderUserData } from "../userdata.js";

/** The SSM parameters release machines of `stack` write their outcome to. */
export function releaseParameterArn(region: string, stack: string): string {
  return `arn:${awsPartition(region)}:ssm:${region}:*:parameter/flightdeck/${stack}/release/*`;
}

/** Let the app role's machines (and so the release machine, which boots with its profile) write the outcome. */
export function releaseStatusPolicy(region: string, stack: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: "ssm:PutParameter",
        Resource: releaseParameterArn(region, stack),
      },
    ],
  });
}

export interface ReleaseTaskArgs {
  fleet: {
    environment: string;
    stack: string;
    region: string;
    commit: string;
    privateSubnetIds: pulumi.Input<string[]>;
    securityGroupId: pulumi.Input<string>;
    settings: pulumi.Input<Record<string, string | number | boolean | undefined>>;
  };
  instanceType: string;
  instanceProfileArn: pulumi.Input<string>;
  instanceRole: aws.iam.Role;
  parent: pulumi.Resource;
  name: string;
}

export function createReleaseTask(args: ReleaseTaskArgs) {
  const { fleet } = args;
  new aws.iam.RolePolicy(
    `${args.name}-release-status`,
    { role: args.instanceRole.name, policy: releaseStatusPolicy(fleet.region, fleet.stack) },
    { parent: args.parent },
  );
  return pulumi
    .all([fleet.privateSubnetIds, fleet.securityGroupId, args.instanceProfileArn, fleet.settings])
    .apply(([subnetIds, securityGroupId, instanceProfileArn, settings]) => ({
      region: fleet.region,
      subnetIds,
      securityGroupIds: [securityGroupId],
      instanceProfileArn,
      instanceType: args.instanceType,
      userData: renderUserData({
        role: "release",
        environment: fleet.environment,
        stack: fleet.stack,
        commit: fleet.commit,
        region: fleet.region,
        settings,
      }),
    }));
}

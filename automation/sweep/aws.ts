/**
 * The leftovers port over the AWS SDK v3 (the SDK's own settings: credentials,
 * `AWS_ENDPOINT_URL`, as in `cloud/aws.ts`).
 *
 * - Finding: the Resource Groups Tagging API's GetResources with a tag filter
 *   on the key alone ("If you don't specify a value for a key, the response
 *   returns all resources that are tagged with that key, with any or no
 *   value"), page after page while a `PaginationToken` comes back non-empty
 *   (https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html).
 * - Deleting: one call per type of `DELETE_ORDER`; an Auto Scaling group and
 *   an instance are waited for until gone, since what comes after them
 *   (security groups, subnets) cannot go while they hold it.
 */
import { arnType, type Leftovers, type TaggedResource } from "./port.js";

const GONE_TIMEOUT_MS = 10 * 60_000;
const POLL_MS = 5_000;

export function createAwsLeftovers(): Leftovers {
  return {
    async tagged(region, key) {
      const sdk = await import("@aws-sdk/client-resource-groups-tagging-api");
      const client = new sdk.ResourceGroupsTaggingAPIClient({ region });
      const out: TaggedResource[] = [];
      try {
        let token: string | undefined;
        do {
          const page = await client.send(
            new sdk.GetResourcesCommand({
              TagFilters: [{ Key: key }],
              ResourcesPerPage: 100,
              ...(token ? { PaginationToken: token } : {}),
            }),
          );
          for (const r of page.ResourceTagMappingList ?? []) {
            if (!r.ResourceARN) continue;
            const tags: Record<string, string> = {};
            for (const t of r.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? "";
            out.push({ arn: r.ResourceARN, tags });
          }
          token = page.PaginationToken || undefined;
        } while (token);
      } finally {
        client.destroy();
      }
      return out;
    },
    delete: (region, arn) => deleteOne(region, arn),
  };
}

function lastSegment(arn: string): string {
  return arn.split("/").pop() ?? arn;
}

async function until(done: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + GONE_TIMEOUT_MS;
  while (!(await done())) {
    if (Date.now() > end)
      throw new Error(`${what} was still there after ${GONE_TIMEOUT_MS / 60_000} minutes`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function deleteOne(region: string, arn: string): Promise<void> {
  const type = arnType(arn);
  const id = lastSegment(arn);
  switch (type) {
    case "autoscaling:autoScalingGroup": {
      const sdk = await import("@aws-sdk/client-auto-scaling");
      const c = new sdk.AutoScalingClient({ region });
      const name = /autoScalingGroupName\/(.+)$/.exec(arn)?.[1] ?? id;
      try {
        // ForceDelete terminates the group's instances with it.
        await c.send(
          new sdk.DeleteAutoScalingGroupCommand({ AutoScalingGroupName: name, ForceDelete: true }),
        );
        await until(async () => {
          const out = await c.send(
            new sdk.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
          );
          return (out.AutoScalingGroups ?? []).length === 0;
        }, `Auto Scaling group ${name}`);
      } finally {
        c.destroy();
      }
      return;
    }
    case "elasticloadbalancing:loadbalancer":
    case "elasticloadbalancing:targetgroup": {
      const sdk = await import("@aws-sdk/client-elastic-load-balancing-v2");
      const c = new sdk.ElasticLoadBalancingV2Client({ region });
      try {
        if (type === "elasticloadbalancing:loadbalancer") {
          await c.send(new sdk.DeleteLoadBalancerCommand({ LoadBalancerArn: arn }));
        } else {
          await c.send(new sdk.DeleteTargetGroupCommand({ TargetGroupArn: arn }));
        }
      } finally {
        c.destroy();
      }
      return;
    }
    case "s3:bucket": {
      const sdk = await import("@aws-sdk/client-s3");
      const c = new sdk.S3Client({ region, forcePathStyle: true });
      try {
        await c.send(new sdk.DeleteBucketCommand({ Bucket: id.split(":").pop() ?? id }));
      } catch (error) {
        if ((error as { name?: string }).name === "BucketNotEmpty") {
          throw new Error("the bucket is not empty: sweep never deletes objects; empty it by hand first", {
            cause: error,
          });
        }
        throw error;
      } finally {
        c.destroy();
      }
      return;
    }
    default:
      return deleteEc2(region, type, id);
  }
}

async function deleteEc2(region: string, type: string, id: string): Promise<void> {
  const sdk = await import("@aws-sdk/client-ec2");
  const c = new sdk.EC2Client({ region });
  try {
    switch (type) {
      case "ec2:instance":
        await c.send(new sdk.TerminateInstancesCommand({ InstanceIds: [id] }));
        await until(async () => {
          const out = await c.send(new sdk.DescribeInstancesCommand({ InstanceIds: [id] }));
          const states = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.State?.Name);
          return states.every((s) => s === "terminated");
        }, `instance ${id}`);
        return;
      case "ec2:launch-template":
        await c.send(new sdk.DeleteLaunchTemplateCommand({ LaunchTemplateId: id }));
        return;
      case "ec2:security-group":
        await c.send(new sdk.DeleteSecurityGroupCommand({ GroupId: id }));
        return;
      case "ec2:subnet":
        await c.send(new sdk.DeleteSubnetCommand({ SubnetId: id }));
        return;
      case "ec2:vpc":
        await c.send(new sdk.DeleteVpcCommand({ VpcId: id }));
        return;
      default:
        throw new Error(`flightdeck does not delete ${type}: delete it by hand`);
    }
  } finally {
    c.destroy();
  }
}

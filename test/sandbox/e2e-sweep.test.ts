/**
 * The sweep's AWS implementation (`automation/sweep/aws.ts`) against moto on
 * 127.0.0.1 (test double of AWS: see moto.ts): resources made with the SDK
 * and tagged `flightdeck:stack=...` are found through the Resource Groups
 * Tagging API's GetResources, over several pages, and deleted in dependency
 * order. Moto implements GetResources for EC2 and S3 resources
 * (moto/resourcegroupstaggingapi/models.py, `_get_resources_generator`), with
 * its own page size; ours asks for 100 a page, so 105 tagged resources need
 * two pages. Fake credentials only; nothing reaches AWS.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { CreateBucketCommand, PutBucketTaggingCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  GetResourcesCommand,
  ResourceGroupsTaggingAPIClient,
} from "@aws-sdk/client-resource-groups-tagging-api";
import { createAwsLeftovers } from "../../automation/sweep/aws.js";
import { arnType, deleteOrder } from "../../automation/sweep/port.js";
import { SANDBOX_REGION, useMoto, useMotoEnvInProcess } from "./moto.js";

const KEY = "flightdeck:stack";

describe("sandbox: sweep's AWS calls against moto", function () {
  this.timeout(120_000);
  const moto = useMoto();
  const run = randomBytes(3).toString("hex");
  const gone = `preview-${run}0`;

  let restoreEnv = () => {};
  before(function () {
    // The SDK reads its endpoint, region and credentials from the process environment.
    restoreEnv = useMotoEnvInProcess(moto.endpoint);
  });
  after(() => restoreEnv());

  it("finds every tagged resource over pages, and deletes them in order (a bucket only when empty)", async () => {
    const ec2 = new EC2Client({ region: SANDBOX_REGION });
    const s3 = new S3Client({ region: SANDBOX_REGION, forcePathStyle: true });
    const tag = (stack: string) => [{ Key: KEY, Value: stack }];
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: "10.77.0.0/16" }));
    const vpcId = vpc.Vpc?.VpcId as string;
    const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: "10.77.1.0/24" }));
    const subnetId = subnet.Subnet?.SubnetId as string;
    const sg = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: `sg-${run}`, Description: "x", VpcId: vpcId }),
    );
    const sgId = sg.GroupId as string;
    await ec2.send(new CreateTagsCommand({ Resources: [vpcId, subnetId, sgId], Tags: tag(gone) }));
    const empty = `fd-empty-${run}`;
    const full = `fd-full-${run}`;
    for (const bucket of [empty, full]) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: tag(gone) } }));
    }
    await s3.send(new PutObjectCommand({ Bucket: full, Key: "keep.txt", Body: "data" }));
    // Enough other tagged resources to need a second page.
    const extra: string[] = [];
    for (let i = 0; i < 100; i++) {
      const g = await ec2.send(
        new CreateSecurityGroupCommand({ GroupName: `pad-${run}-${i}`, Description: "pad" }),
      );
      extra.push(g.GroupId as string);
    }
    await ec2.send(new CreateTagsCommand({ Resources: extra, Tags: tag(`staging-${run}`) }));

    // One page of 100 does not hold them all: the port must follow PaginationToken.
    const tagging = new ResourceGroupsTaggingAPIClient({ region: SANDBOX_REGION });
    const first = await tagging.send(
      new GetResourcesCommand({ TagFilters: [{ Key: KEY }], ResourcesPerPage: 100 }),
    );
    tagging.destroy();
    assert.ok((first.ResourceTagMappingList?.length ?? 0) <= 100);
    assert.ok(first.PaginationToken, "moto returned everything on one page: the test proves no pagination");

    const leftovers = createAwsLeftovers();
    const found = await leftovers.tagged(SANDBOX_REGION, KEY);
    const ours = found.filter((r) => r.tags[KEY] === gone);
    assert.deepEqual(ours.map((r) => arnType(r.arn)).sort(), [
      "ec2:security-group",
      "ec2:subnet",
      "ec2:vpc",
      "s3:bucket",
      "s3:bucket",
    ]);
    assert.ok(ours.some((r) => r.arn.endsWith(`vpc/${vpcId}`)));
    assert.ok(ours.some((r) => r.arn === `arn:aws:s3:::${empty}`));
    assert.equal(found.filter((r) => r.tags[KEY] === `staging-${run}`).length, 100);

    const failures: string[] = [];
    for (const r of deleteOrder(ours.map((o) => ({ ...o, type: arnType(o.arn) })))) {
      await leftovers
        .delete(SANDBOX_REGION, r.arn)
        .catch((error: Error) => failures.push(`${r.arn}: ${error.message}`));
    }
    // Security group, subnet, VPC and the empty bucket go; the bucket with an object stays, with why.
    assert.equal(failures.length, 1, failures.join("\n"));
    assert.match(failures[0] ?? "", new RegExp(`${full}: the bucket is not empty`));
    const vpcs = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }));
    assert.equal(vpcs.Vpcs?.length ?? 0, 0);
    const subnets = await ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: "subnet-id", Values: [subnetId] }] }),
    );
    assert.equal(subnets.Subnets?.length ?? 0, 0);
    const after = await leftovers.tagged(SANDBOX_REGION, KEY);
    assert.deepEqual(
      after.filter((r) => r.tags[KEY] === gone).map((r) => r.arn),
      [`arn:aws:s3:::${full}`],
    );
    ec2.destroy();
    s3.destroy();
  });
});

/**
 * The pure parts of drift and sweep: reading a refresh preview's engine events
 * and an exported state (shapes of Pulumi 3.248's event log and
 * `pulumi stack export`), and the sweep's ARN reading and delete order.
 */
import assert from "node:assert/strict";
import type * as Auto from "@pulumi/pulumi/automation/index.js";
import { driftedOf, stateResourcesOf } from "../../automation/engine/drift-events.js";
import { arnType, deleteOrder, idsOf, isDeletable } from "../../automation/sweep/port.js";

const URN =
  "urn:pulumi:staging::flightdeck::flightdeck:env:Environment$aws:ec2/securityGroup:SecurityGroup::web-sg";

function outputs(
  op: string,
  type = "aws:ec2/securityGroup:SecurityGroup",
  diffs?: string[],
): Auto.EngineEvent {
  return {
    sequence: 1,
    timestamp: 0,
    resOutputsEvent: { metadata: { op, urn: URN, type, provider: "", ...(diffs ? { diffs } : {}) } },
  } as unknown as Auto.EngineEvent;
}

describe("drift: a refresh preview's events", () => {
  it("takes the refresh's result ops update and delete as drift, with the changed properties", () => {
    assert.deepEqual(driftedOf(outputs("update", undefined, ["tags", "ingress", "tags"])), {
      urn: URN,
      type: "aws:ec2/securityGroup:SecurityGroup",
      name: "web-sg",
      change: "update",
      properties: ["ingress", "tags"],
    });
    assert.equal(driftedOf(outputs("delete"))?.change, "delete");
    assert.equal(driftedOf(outputs("delete"))?.properties, undefined);
  });

  it("names the changed properties from a detailed diff, else from the outputs that differ (names only)", () => {
    const withDetail = outputs("update");
    const meta = (withDetail as unknown as { resOutputsEvent: { metadata: Record<string, unknown> } })
      .resOutputsEvent.metadata;
    meta.detailedDiff = { "ingress[0].cidrBlocks": { kind: "update" }, "tags.Name": { kind: "update" } };
    assert.deepEqual(driftedOf(withDetail)?.properties, ["ingress", "tags"]);
    delete meta.detailedDiff;
    meta.old = { outputs: { size: 2, arn: "a", password: "old-secret" } };
    meta.new = { outputs: { size: 5, arn: "a", password: "new-secret" } };
    const found = driftedOf(withDetail);
    assert.deepEqual(found?.properties, ["password", "size"]);
    const text = JSON.stringify(found);
    assert.ok(!text.includes("old-secret") && !text.includes("new-secret"), "values never leave: names only");
  });

  it("ignores resources that read the same, step starts, the stack and providers", () => {
    assert.equal(driftedOf(outputs("same")), undefined);
    assert.equal(driftedOf(outputs("refresh")), undefined);
    assert.equal(driftedOf(outputs("update", "pulumi:pulumi:Stack")), undefined);
    assert.equal(driftedOf(outputs("update", "pulumi:providers:aws")), undefined);
    const pre = {
      sequence: 1,
      timestamp: 0,
      resourcePreEvent: { metadata: { op: "update", urn: URN, type: "x" } },
    };
    assert.equal(driftedOf(pre as unknown as Auto.EngineEvent), undefined);
  });
});

describe("sweep: the state's resources", () => {
  it("lists custom resources with their IDs and ARNs, leaving out providers, components and pending deletes", () => {
    const exported = {
      version: 3,
      deployment: {
        resources: [
          { urn: "urn:stack", type: "pulumi:pulumi:Stack", custom: false },
          { urn: "urn:prov", type: "pulumi:providers:aws", custom: true, id: "p-1" },
          {
            urn: "urn:vpc",
            type: "aws:ec2/vpc:Vpc",
            custom: true,
            id: "vpc-1",
            outputs: { arn: "arn:aws:ec2:r:a:vpc/vpc-1" },
          },
          { urn: "urn:old", type: "aws:ec2/vpc:Vpc", custom: true, id: "vpc-0", delete: true },
          { urn: "urn:bucket", type: "aws:s3/bucketV2:BucketV2", custom: true, id: "logs" },
        ],
      },
    };
    assert.deepEqual(stateResourcesOf(exported), [
      { urn: "urn:vpc", type: "aws:ec2/vpc:Vpc", id: "vpc-1", arn: "arn:aws:ec2:r:a:vpc/vpc-1" },
      { urn: "urn:bucket", type: "aws:s3/bucketV2:BucketV2", id: "logs" },
    ]);
    assert.deepEqual(stateResourcesOf({}), []);
  });
});

describe("sweep: ARNs and the delete order", () => {
  // ARN formats: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html and each
  // service's "resource types" page of the Service Authorization Reference.
  const asg =
    "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:6d1c2b3a-0000-4000-8000-000000000000:autoScalingGroupName/staging-app-asg";
  const lb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188";

  it("reads the service and resource type", () => {
    assert.equal(arnType("arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1"), "ec2:vpc");
    assert.equal(arnType("arn:aws:ec2:us-east-1:123456789012:security-group/sg-1"), "ec2:security-group");
    assert.equal(arnType("arn:aws:s3:::my-bucket"), "s3:bucket");
    assert.equal(arnType(asg), "autoscaling:autoScalingGroup");
    assert.equal(arnType(lb), "elasticloadbalancing:loadbalancer");
    assert.equal(arnType("arn:aws:rds:us-east-1:123456789012:db:main"), "rds:db");
  });

  it("knows the IDs a state may hold a resource by (Pulumi's ID: a VPC's id, an ASG's name, an ALB's ARN)", () => {
    assert.ok(idsOf("arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1").includes("vpc-1"));
    assert.ok(idsOf("arn:aws:s3:::my-bucket").includes("my-bucket"));
    assert.ok(idsOf(asg).includes("staging-app-asg"));
    assert.ok(idsOf(lb).includes(lb));
  });

  it("deletes users before what they use, and leaves other types out", () => {
    const items = [
      "ec2:vpc",
      "s3:bucket",
      "ec2:subnet",
      "rds:db",
      "ec2:security-group",
      "ec2:instance",
      "autoscaling:autoScalingGroup",
      "ec2:launch-template",
    ].map((type) => ({ type }));
    assert.deepEqual(
      deleteOrder(items).map((i) => i.type),
      [
        "autoscaling:autoScalingGroup",
        "ec2:instance",
        "ec2:launch-template",
        "ec2:security-group",
        "ec2:subnet",
        "ec2:vpc",
        "s3:bucket",
      ],
    );
    assert.equal(isDeletable("rds:db"), false);
  });
});

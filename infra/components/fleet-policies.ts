/** The IAM policies of the fleet's machines: trust, Systems Manager, the database secret, the drain hook. */
import { awsPartition } from "../naming.js";

/** The trust policy of an instance role. */
export const EC2_TRUST_POLICY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

/** The AWS managed policy that lets Systems Manager reach the instance (Session Manager, no SSH). */
export function ssmManagedPolicyArn(region: string): string {
  return `arn:${awsPartition(region)}:iam::aws:policy/AmazonSSMManagedInstanceCore`;
}

/** Read one secret, nothing else. */
export function readSecretPolicy(secretArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secretArn }],
  });
}

/** Let a worker finish its own termination hook once drained, in its own group only. */
export function completeLifecyclePolicy(groupArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: "autoscaling:CompleteLifecycleAction", Resource: groupArn },
      // Describe calls cannot be scoped to a resource; this one only finds the instance's own group.
      { Effect: "Allow", Action: "autoscaling:DescribeAutoScalingInstances", Resource: "*" },
    ],
  });
}

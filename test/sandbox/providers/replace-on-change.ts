/**
 * TEST DOUBLE: part of the sandbox's stand-in `aws` provider plugin, which
 * stands in for AWS and creates nothing in AWS.
 *
 * The stand-in's approximation of the real provider's ForceNew properties: for
 * each resource type the program uses, the inputs whose change AWS cannot apply
 * in place, so the resource is replaced (a new one created, then the old one
 * deleted). Any other changed input is an in-place update.
 *
 * Taken from the Terraform AWS provider's schemas that @pulumi/aws 7 is bridged
 * from (`ForceNew: true`), for the properties the program sets or could set.
 * It is deliberately small: a type missing here only ever updates in place.
 * Keys are the Pulumi (camelCase) property names.
 */
export const REPLACE_ON_CHANGE: Readonly<Record<string, readonly string[]>> = {
  // Names and identifiers: AWS has no rename for these.
  "aws:iam/role:Role": ["name", "namePrefix", "path"],
  "aws:iam/instanceProfile:InstanceProfile": ["name", "namePrefix", "path"],
  "aws:iam/rolePolicy:RolePolicy": ["name", "namePrefix", "role"],
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["role", "policyArn"],
  "aws:ec2/securityGroup:SecurityGroup": ["name", "namePrefix", "description", "vpcId"],
  "aws:ec2/launchTemplate:LaunchTemplate": ["name", "namePrefix"],
  "aws:ec2/instance:Instance": ["ami", "availabilityZone", "subnetId", "privateIp", "keyName", "tenancy"],
  "aws:autoscaling/group:Group": ["name", "namePrefix"],
  "aws:autoscaling/policy:Policy": ["name", "autoscalingGroupName"],
  "aws:autoscaling/lifecycleHook:LifecycleHook": ["name", "autoscalingGroupName"],
  "aws:lb/loadBalancer:LoadBalancer": ["name", "namePrefix", "internal", "loadBalancerType"],
  "aws:lb/targetGroup:TargetGroup": [
    "name",
    "namePrefix",
    "port",
    "protocol",
    "protocolVersion",
    "targetType",
    "vpcId",
  ],
  "aws:lb/listener:Listener": ["loadBalancerArn"],
  "aws:lb/listenerRule:ListenerRule": ["listenerArn"],
  "aws:lb/targetGroupAttachment:TargetGroupAttachment": [
    "targetGroupArn",
    "targetId",
    "port",
    "availabilityZone",
  ],
  "aws:acm/certificate:Certificate": ["domainName", "subjectAlternativeNames", "keyAlgorithm"],
  "aws:acm/certificateValidation:CertificateValidation": ["certificateArn", "validationRecordFqdns"],
  "aws:route53/record:Record": ["name", "zoneId", "setIdentifier"],
  "aws:rds/subnetGroup:SubnetGroup": ["name", "namePrefix"],
  "aws:rds/instance:Instance": [
    "identifier",
    "identifierPrefix",
    "engine",
    "dbName",
    "username",
    "snapshotIdentifier",
    "storageEncrypted",
    "kmsKeyId",
    "availabilityZone",
    "characterSetName",
    "timezone",
  ],
  "aws:elasticache/subnetGroup:SubnetGroup": ["name"],
  "aws:elasticache/replicationGroup:ReplicationGroup": [
    "replicationGroupId",
    "subnetGroupName",
    "atRestEncryptionEnabled",
    "port",
    "snapshotName",
    "snapshotArns",
    "preferredCacheClusterAzs",
  ],
};

/** The inputs of `type` whose change replaces the resource. */
export function replaceOnChange(type: string): readonly string[] {
  return REPLACE_ON_CHANGE[type] ?? [];
}

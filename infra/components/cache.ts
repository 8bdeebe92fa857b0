/**
 * The Redis-compatible cache and Celery broker: an ElastiCache replication group
 * (Valkey or Redis) in the private subnets, encrypted at rest and in transit,
 * reachable only from the fleet's security group.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { CacheConfig } from "../config.js";
import { createFleetOnlySecurityGroup } from "./security.js";

export const CACHE_PORT = 6379;

export interface CacheArgs {
  config: CacheConfig;
  vpcId: pulumi.Input<string>;
  privateSubnetIds: pulumi.Input<string[]>;
  clientSecurityGroupId: pulumi.Input<string>;
  tags: Record<string, string>;
}

/** Node count and failover: the primary plus replicas; failover and Multi-AZ need at least one replica. */
export function replicationSettings(config: CacheConfig) {
  const ha = config.replicas > 0;
  return {
    numCacheClusters: 1 + config.replicas,
    automaticFailoverEnabled: ha,
    multiAzEnabled: ha,
  };
}

export class Cache extends pulumi.ComponentResource {
  readonly primaryEndpoint: pulumi.Output<string>;
  readonly port: number;
  readonly securityGroupId: pulumi.Output<string>;

  constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flightdeck:env:Cache", name, {}, opts);
    const sg = createFleetOnlySecurityGroup(this, `${name}-sg`, {
      vpcId: args.vpcId,
      service: args.config.engine,
      port: CACHE_PORT,
      clientSecurityGroupId: args.clientSecurityGroupId,
      tags: args.tags,
    });
    const subnets = createSubnetGroup(this, name, args);
    const group = createReplicationGroup(this, name, args, sg, subnets);

    this.primaryEndpoint = group.primaryEndpointAddress;
    this.port = CACHE_PORT;
    this.securityGroupId = sg.id;
    this.registerOutputs({ primaryEndpoint: this.primaryEndpoint, securityGroupId: this.securityGroupId });
  }
}

function createSubnetGroup(
  parent: pulumi.Resource,
  name: string,
  args: CacheArgs,
): aws.elasticache.SubnetGroup {
  return new aws.elasticache.SubnetGroup(
    `${name}-subnets`,
    { description: "Private subnets", subnetIds: args.privateSubnetIds, tags: args.tags },
    { parent },
  );
}

function createReplicationGroup(
  parent: pulumi.Resource,
  name: string,
  args: CacheArgs,
  sg: aws.ec2.SecurityGroup,
  subnets: aws.elasticache.SubnetGroup,
): aws.elasticache.ReplicationGroup {
  return new aws.elasticache.ReplicationGroup(
    `${name}-redis`,
    {
      description: `Cache and Celery broker of ${name}`,
      engine: args.config.engine,
      engineVersion: args.config.engineVersion,
      nodeType: args.config.nodeType,
      ...replicationSettings(args.config),
      port: CACHE_PORT,
      subnetGroupName: subnets.name,
      securityGroupIds: [sg.id],
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      autoMinorVersionUpgrade: true,
      tags: args.tags,
    },
    { parent },
  );
}

/**
 * A whole environment (production, staging, testing): network, load balancer,
 * database, cache and the fleet, composed from the validated config.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config.js";
import { loadBalancerSafety } from "../config/load-balancer-section.js";
import { lookupImage } from "../image.js";
import { stackTags } from "../tags.js";
import { Cache } from "./cache.js";
import { Database, enginePort } from "./database.js";
import { createFleetSecurityGroup, Fleet, type UserDataSettings } from "./fleet.js";
import { HEALTH_CHECK_PATH, LoadBalancer } from "./load-balancer.js";
import { Network } from "./network.js";

export interface EnvironmentArgs {
  config: StackConfig;
  stack: string;
}

/** What a deployment dashboard reads from an environment stack. */
export interface EnvironmentOutputs {
  url: pulumi.Output<string>;
  commit: string;
  imageId: pulumi.Output<string>;
  environment: string;
  stack: string;
  region: string;
  autoScalingGroups: pulumi.Output<Record<string, string>>;
  /** Target group ARN of each web role, for the rollout's health checks. */
  targetGroups: pulumi.Output<Record<string, string>>;
  /** Where a deploy boots its release machine. */
  releaseTask: Fleet["releaseTask"];
  loadBalancerDnsName: pulumi.Output<string>;
  databaseHost: pulumi.Output<string>;
  databasePort: pulumi.Output<number>;
  cacheHost: pulumi.Output<string>;
  releasedBy?: string;
  releasedAt?: string;
  releaseOperation?: string;
}

/** The environment's parts, all required: the schema guarantees them for these environments. */
function requiredParts(config: StackConfig) {
  const { database, cache, tiers } = config;
  if (!database || !cache || !tiers) {
    throw new Error(
      `a ${config.environment} environment needs database, cache and tiers (the schema checks this)`,
    );
  }
  return { database, cache, tiers };
}

export class Environment extends pulumi.ComponentResource {
  readonly outputs: EnvironmentOutputs;

  constructor(name: string, args: EnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flightdeck:env:Environment", name, {}, opts);
    const { config, stack } = args;
    const parts = requiredParts(config);
    const tags = stackTags(config, stack);
    const commit = config.image.commit ?? "unknown";

    const image = lookupImage(config.image, config.region, this);
    const network = new Network(`${name}-net`, { config: config.network, tags }, { parent: this });
    const lb = new LoadBalancer(
      `${name}-lb`,
      {
        vpcId: network.vpcId,
        vpcCidr: network.cidr,
        publicSubnetIds: network.publicSubnetIds,
        tls: config.domain && config.dnsZone ? { hostName: config.domain, zone: config.dnsZone } : undefined,
        defaultRoute: "app",
        contentPathPatterns: parts.tiers.content?.pathPatterns,
        ...loadBalancerSafety(config.environment, stack, config.loadBalancer),
        tags,
      },
      { parent: this },
    );
    const fleetSg = createFleetSecurityGroup(this, `${name}-fleet-sg`, {
      vpcId: network.vpcId,
      loadBalancerSecurityGroupId: lb.securityGroupId,
      tags,
    });
    const db = new Database(
      `${name}-db`,
      {
        config: parts.database,
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        clientSecurityGroupId: fleetSg.id,
        finalSnapshot: true,
        tags,
      },
      { parent: this },
    );
    const cache = new Cache(
      `${name}-cache`,
      {
        config: parts.cache,
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        clientSecurityGroupId: fleetSg.id,
        tags,
      },
      { parent: this },
    );
    const settings: pulumi.Output<UserDataSettings> = pulumi.all({
      site_url: lb.url,
      health_path: HEALTH_CHECK_PATH,
      database_engine: parts.database.engine,
      database_host: db.address,
      database_port: enginePort(parts.database.engine),
      database_name: db.databaseName,
      database_secret_arn: db.masterSecretArn,
      cache_host: cache.primaryEndpoint,
      cache_port: cache.port,
      cache_tls: true,
    });
    const fleet = new Fleet(
      `${name}-fleet`,
      {
        environment: config.environment,
        stack,
        region: config.region,
        commit,
        image,
        tiers: parts.tiers,
        deploy: config.deploy,
        privateSubnetIds: network.privateSubnetIds,
        securityGroupId: fleetSg.id,
        targetGroupArns: { app: lb.appTargetGroupArn, content: lb.contentTargetGroupArn },
        settings,
        databaseSecretArn: db.masterSecretArn,
        tags,
      },
      { parent: this },
    );

    this.outputs = {
      url: lb.url,
      commit,
      imageId: image.imageId,
      environment: config.environment,
      stack,
      region: config.region,
      autoScalingGroups: fleet.groupNames as pulumi.Output<Record<string, string>>,
      targetGroups: pulumi
        .all({ app: lb.appTargetGroupArn, content: lb.contentTargetGroupArn })
        .apply((arns) =>
          Object.fromEntries(
            Object.entries(arns).filter((e): e is [string, string] => typeof e[1] === "string"),
          ),
        ),
      releaseTask: fleet.releaseTask,
      loadBalancerDnsName: lb.dnsName,
      databaseHost: db.address,
      databasePort: db.port,
      cacheHost: cache.primaryEndpoint,
      releasedBy: config.release?.actor,
      releasedAt: config.release?.at,
      releaseOperation: config.release?.operation,
    };
    this.registerOutputs({ ...this.outputs });
  }
}

/**
 * The network of a stack: one VPC with a public and a private subnet in each
 * configured availability zone, and NAT gateways per the config.
 */
// The package root, not `@pulumi/awsx/ec2/index.js` (0.1-0.3 s faster to load): only the
// root registers the awsx package with the runtime, which the real engine may need to
// rehydrate references in the remote component's outputs.
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { subnetLayout } from "../cidr.js";
import type { NetworkConfig } from "../config.js";

type NatStrategy = awsx.types.enums.ec2.NatGatewayStrategy;
type SubnetSpec = awsx.types.input.ec2.SubnetSpecArgs;

export interface NetworkArgs {
  config: NetworkConfig;
  tags: Record<string, string>;
}

/** The awsx NAT strategy of a config value. */
export function natStrategy(nat: NetworkConfig["nat"]): NatStrategy {
  switch (nat) {
    case "perAz":
      return "OnePerAz";
    case "single":
      return "Single";
    case "none":
      return "None";
  }
}

/** The awsx subnet specs: explicit CIDR blocks from `subnetLayout`, so the layout is ours and tested. */
export function subnetSpecs(config: NetworkConfig, tags: Record<string, string>): SubnetSpec[] {
  const layout = subnetLayout(config.cidr, config.azs);
  return [
    // With nat: none the private subnets have no route out; they stay "Private" (not
    // "Isolated") so every component finds its machines in `privateSubnetIds`.
    { type: "Private", name: "private", cidrBlocks: layout.privateCidrs, tags },
    { type: "Public", name: "public", cidrBlocks: layout.publicCidrs, tags },
  ];
}

export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly publicSubnetIds: pulumi.Output<string[]>;
  readonly privateSubnetIds: pulumi.Output<string[]>;
  readonly cidr: string;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flightdeck:env:Network", name, {}, opts);
    const vpc = createVpc(this, name, args);

    this.cidr = args.config.cidr;
    this.vpcId = vpc.vpcId;
    this.publicSubnetIds = vpc.publicSubnetIds;
    this.privateSubnetIds = vpc.privateSubnetIds;
    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
    });
  }
}

/**
 * awsx.ec2.Vpc is a remote (multi-language) component: its subnets, route tables,
 * gateways and NAT gateways are created by the awsx plugin, so under the mock
 * runtime it is ONE recorded resource whose inputs say what it will build.
 */
function createVpc(parent: pulumi.Resource, name: string, args: NetworkArgs): awsx.ec2.Vpc {
  return new awsx.ec2.Vpc(
    `${name}-vpc`,
    {
      cidrBlock: args.config.cidr,
      numberOfAvailabilityZones: args.config.azs,
      subnetStrategy: "Auto",
      subnetSpecs: subnetSpecs(args.config, args.tags),
      natGateways: { strategy: natStrategy(args.config.nat) },
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { ...args.tags, Name: name },
    },
    { parent },
  );
}

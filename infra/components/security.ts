/**
 * The security group of a data service (database, cache): one port, open only to
 * the fleet's security group, and no outbound rules (it starts no connections).
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

export interface FleetOnlyGroupArgs {
  vpcId: pulumi.Input<string>;
  /** What listens, for the description (e.g. `postgres`). */
  service: string;
  port: number;
  /** The only group allowed in: the fleet's. */
  clientSecurityGroupId: pulumi.Input<string>;
  tags: Record<string, string>;
}

export function createFleetOnlySecurityGroup(
  parent: pulumi.Resource,
  name: string,
  args: FleetOnlyGroupArgs,
): aws.ec2.SecurityGroup {
  return new aws.ec2.SecurityGroup(
    name,
    {
      description: `${args.service} from the fleet only`,
      vpcId: args.vpcId,
      ingress: [
        {
          description: "From the fleet",
          protocol: "tcp",
          fromPort: args.port,
          toPort: args.port,
          securityGroups: [args.clientSecurityGroupId],
        },
      ],
      egress: [],
      tags: { ...args.tags, Name: name },
    },
    { parent },
  );
}

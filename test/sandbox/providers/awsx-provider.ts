/**
 * TEST DOUBLE standing in for AWS: the sandbox's stand-in for the `awsx`
 * resource provider plugin (what `pulumi-resource-awsx` does for @pulumi/awsx).
 * It creates nothing in AWS and calls no AWS API.
 *
 * awsx 3's `ec2.Vpc` is a remote component: the program asks the engine to
 * construct it, and the engine calls `Construct` on this plugin. The stand-in
 * registers the component and answers with the outputs the program reads
 * (vpcId, public/private subnet ids), from the fake account's table
 * (infra/fake-aws.ts, the same answers as the offline plan). Like the offline
 * plan, it models the VPC as that one component: no subnets, route tables or
 * NAT gateways are registered under it.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider/index.js";
import { FakeAwsAccount } from "../../../infra/fake-aws.js";
import { plainProps } from "./diff.js";
import { packageVersion, regionOf } from "./plugin-env.js";
import { applyFaults, Cancellation } from "./switches.js";

type Env = Record<string, string | undefined>;

export const VPC_TYPE = "awsx:ec2:Vpc";

/** The component the stand-in registers for an `awsx.ec2.Vpc`: no children, only outputs. */
class StandInVpc extends pulumi.ComponentResource {
  constructor(name: string, options: pulumi.ComponentResourceOptions) {
    super(VPC_TYPE, name, {}, options);
  }

  complete(outputs: pulumi.Inputs): void {
    this.registerOutputs(outputs);
  }
}

/** The stand-in `awsx` provider, for `main()` of @pulumi/pulumi/provider. */
export function awsxStandIn(env: Env = process.env): provider.Provider {
  const cancellation = new Cancellation();
  const account = new FakeAwsAccount({ region: regionOf(env) });

  return {
    version: packageVersion("@pulumi/awsx"),

    async construct(
      name: string,
      type: string,
      inputs: pulumi.Inputs,
      options: pulumi.ComponentResourceOptions,
    ): Promise<provider.ConstructResult> {
      if (type !== VPC_TYPE) {
        throw new Error(`the sandbox's awsx stand-in has no component ${type} (only ${VPC_TYPE})`);
      }
      await applyFaults("construct", [name, type], cancellation, env);
      const vpc = new StandInVpc(name, options);
      const computed = pulumi
        .output(inputs)
        .apply((resolved) =>
          account.outputsOf(type, name, plainProps(resolved as Record<string, unknown>), ""),
        );
      const keys = Object.keys(account.outputsOf(type, name, {}, ""));
      const state = Object.fromEntries(keys.map((key) => [key, computed.apply((c) => c[key])]));
      vpc.complete(state);
      return { urn: vpc.urn, state };
    },

    async cancel(): Promise<void> {
      cancellation.cancel();
    },
  };
}

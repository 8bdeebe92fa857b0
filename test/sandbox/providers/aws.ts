/**
 * TEST DOUBLE standing in for AWS; creates nothing in AWS. The process of the
 * sandbox's stand-in `aws` provider plugin, started by the Pulumi engine as
 * `pulumi-resource-aws` (bin/pulumi-resource-aws runs this file with the
 * project's tsx). It serves the provider protocol with @pulumi/pulumi's own
 * provider server, which prints the port it listens on for the engine.
 */
import { main } from "@pulumi/pulumi/provider/index.js";
import { awsStandIn } from "./aws-provider.js";

await main(awsStandIn(), process.argv.slice(2));

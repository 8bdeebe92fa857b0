/**
 * TEST DOUBLE standing in for AWS; creates nothing in AWS. The process of the
 * sandbox's stand-in `awsx` provider plugin, started by the Pulumi engine as
 * `pulumi-resource-awsx` (bin/pulumi-resource-awsx runs this file with the
 * project's tsx). It serves the provider protocol with @pulumi/pulumi's own
 * provider server, which prints the port it listens on for the engine.
 */
import { main } from "@pulumi/pulumi/provider/index.js";
import { awsxStandIn } from "./awsx-provider.js";

await main(awsxStandIn(), process.argv.slice(2));

/**
 * The `flightdeck` CrossGuard policy pack, for the real engine:
 *
 *     npm run build
 *     pulumi up --policy-pack infra/policy
 *
 * `infra/policy/PulumiPolicy.yaml` points the Pulumi CLI at the compiled form of
 * this file (`dist/infra/policy/pack.js`). Constructing the `PolicyPack` starts
 * the analyzer server the CLI talks to, so nothing else may import this module.
 *
 * Not run on this machine: there is no Pulumi CLI here. The policies it serves
 * are tested through `flightdeckPolicies()` (test/infra/policy-pack.test.ts).
 */
import { PolicyPack } from "@pulumi/policy";
import { flightdeckPolicies } from "./crossguard.js";

new PolicyPack("flightdeck", {
  description:
    "flightdeck's guard rails: no SSH/RDP from the internet, private encrypted data, IMDSv2, tags.",
  policies: flightdeckPolicies(),
});

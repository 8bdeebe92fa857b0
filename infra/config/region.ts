/**
 * The AWS regions a stack can run in: the list @pulumi/aws ships, not a copy.
 *
 * `Region` is the enum of node_modules/@pulumi/aws/types/enums/index.d.ts
 * ("A Region represents any valid Amazon region that may be targeted with
 * deployments"), generated from the AWS provider's schema, so it moves with
 * the pinned @pulumi/aws. (The AWS SDK keeps its own list in @aws-sdk/core's
 * endpoint partitions, which is not a public export.) Regions of the isolated
 * (us-iso*, eu-isoe) and European sovereign (eusc-) partitions are left out:
 * flightdeck builds ARNs only for the aws, aws-cn and aws-us-gov partitions
 * (`awsPartition` in naming.ts).
 */
import { Region } from "@pulumi/aws/types/enums/index.js";
import { z } from "zod";
import { quoteValue } from "./problems.js";

const UNSUPPORTED_PARTITION = /^(us-iso[a-z]?-|eu-isoe-|eusc-)/;

/** Every region flightdeck can deploy to, in @pulumi/aws's order (grouped by partition). */
export const AWS_REGIONS: readonly string[] = Object.values(Region).filter(
  (region) => !UNSUPPORTED_PARTITION.test(region),
);

const KNOWN = new Set(AWS_REGIONS);
/** Every region of every partition, to tell one flightdeck leaves out from one that does not exist. */
const ALL_REGIONS = new Set<string>(Object.values(Region));
/** Letters, one or more dash-separated words, a number: `us-east-1`, `us-gov-west-1`, `eusc-de-east-1`. */
const REGION_SHAPE = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/;

/** What is wrong with a region, or `undefined` when flightdeck can deploy there. */
export function regionProblem(value: string): string | undefined {
  if (KNOWN.has(value)) return undefined;
  if (!REGION_SHAPE.test(value)) return "must be an AWS region like us-east-1";
  if (ALL_REGIONS.has(value)) {
    return `${value} is in an AWS partition flightdeck does not deploy to (it builds ARNs for aws, aws-cn and aws-us-gov); use one of ${AWS_REGIONS.join(", ")}`;
  }
  return `${quoteValue(value)} is not an AWS region flightdeck can deploy to; use one of ${AWS_REGIONS.join(", ")}`;
}

export const regionSchema = z.string().superRefine((value, ctx) => {
  const problem = regionProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});

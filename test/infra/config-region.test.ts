import assert from "node:assert/strict";
import { Region } from "@pulumi/aws/types/enums/index.js";
import { AWS_REGIONS, parseStackConfig } from "../../infra/config.js";
import { ConfigError } from "../../infra/errors.js";
import { exampleInput } from "./fixtures.js";

function regionProblems(region: string): string[] {
  try {
    parseStackConfig({ ...exampleInput("staging"), region }, "Pulumi.staging.yaml");
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
}

describe("stack config region", () => {
  it("refuses a well-formed region AWS does not have, naming it and listing the ones it knows", () => {
    const [problem, ...rest] = regionProblems("us-east-7");
    assert.deepEqual(rest, []);
    assert.match(problem ?? "", /^Pulumi\.staging\.yaml: aws:region: 'us-east-7' is not an AWS region /);
    assert.match(problem ?? "", /us-east-1, us-east-2, us-west-1, us-west-2/);
    assert.match(problem ?? "", /eu-west-1/);
  });

  it("accepts every region of the aws, aws-cn and aws-us-gov partitions that @pulumi/aws knows", () => {
    const expected = Object.values(Region).filter((r) => !/^(us-iso[a-z]?-|eu-isoe-|eusc-)/.test(r));
    assert.deepEqual([...AWS_REGIONS].sort(), expected.sort());
    for (const region of ["us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1"]) {
      assert.deepEqual(regionProblems(region), [], region);
    }
  });

  it("refuses regions of partitions whose ARNs flightdeck cannot build", () => {
    for (const region of ["us-iso-east-1", "us-isob-east-1", "eusc-de-east-1"]) {
      assert.match(
        regionProblems(region)[0] ?? "",
        new RegExp(`aws:region: ${region} is in an AWS partition flightdeck does not deploy to`),
        region,
      );
    }
  });

  it("keeps the message for a value that is not shaped like a region", () => {
    assert.deepEqual(regionProblems("useast1"), [
      "Pulumi.staging.yaml: aws:region: must be an AWS region like us-east-1",
    ]);
  });
});

import assert from "node:assert/strict";
import { vpcCidrProblem } from "../../infra/cidr.js";
import { parseStackConfig } from "../../infra/config.js";
import { ConfigError } from "../../infra/errors.js";
import { exampleInput } from "./fixtures.js";

function networkProblems(cidr: string, azs = 2): string[] {
  const input = structuredClone(exampleInput("staging")) as Record<string, Record<string, unknown>>;
  input.network = { ...input.network, cidr, azs };
  try {
    parseStackConfig(input, "Pulumi.staging.yaml");
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
}

const PREFIX_RANGE =
  "Pulumi.staging.yaml: flightdeck:network.cidr: must be an IPv4 CIDR block with a prefix from /16 to /24, like 10.20.0.0/16";

describe("VPC CIDR blocks", () => {
  it("gives a block too small for its AZs one message, not two contradictory ones", () => {
    assert.deepEqual(networkProblems("10.20.0.0/26", 2), [PREFIX_RANGE]);
    assert.deepEqual(networkProblems("10.20.0.0/25", 4), [PREFIX_RANGE]);
    assert.deepEqual(networkProblems("10.20.0.0/24", 6), [
      "Pulumi.staging.yaml: flightdeck:network.cidr: a /24 network is too small for 6 availability zones (use /23 or larger)",
    ]);
  });

  it("refuses a block with host bits set and says which block was meant", () => {
    assert.deepEqual(networkProblems("10.0.0.1/16"), [
      "Pulumi.staging.yaml: flightdeck:network.cidr: 10.0.0.1/16 has host bits set; did you mean 10.0.0.0/16?",
    ]);
    assert.equal(
      vpcCidrProblem("10.20.7.0/20", 2),
      "10.20.7.0/20 has host bits set; did you mean 10.20.0.0/20?",
    );
  });

  it("refuses a public range, naming the RFC 1918 private ranges", () => {
    const message =
      "is a public range: use a block inside the RFC 1918 private ranges 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, like 10.20.0.0/16";
    assert.deepEqual(networkProblems("8.8.0.0/16"), [
      `Pulumi.staging.yaml: flightdeck:network.cidr: 8.8.0.0/16 ${message}`,
    ]);
    assert.equal(vpcCidrProblem("172.32.0.0/16", 2), `172.32.0.0/16 ${message}`);
    assert.equal(vpcCidrProblem("192.169.0.0/16", 2), `192.169.0.0/16 ${message}`);
    assert.equal(vpcCidrProblem("11.0.0.0/16", 2), `11.0.0.0/16 ${message}`);
  });

  it("accepts private blocks of every RFC 1918 range", () => {
    for (const cidr of [
      "10.0.0.0/16",
      "10.255.255.0/24",
      "172.16.0.0/16",
      "172.31.0.0/20",
      "192.168.0.0/16",
    ]) {
      assert.equal(vpcCidrProblem(cidr, 2), undefined, cidr);
      assert.deepEqual(networkProblems(cidr), [], cidr);
    }
  });

  it("refuses what is not a CIDR block at all with the prefix-range message", () => {
    for (const cidr of ["10.0.0.0", "300.0.0.0/16", "10.0.0.0/33", "banana", "10.0.0.0/8"]) {
      assert.deepEqual(networkProblems(cidr), [PREFIX_RANGE], cidr);
    }
  });
});

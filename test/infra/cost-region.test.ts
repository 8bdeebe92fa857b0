import assert from "node:assert/strict";
import { estimateCost, previewMarginalCost } from "../../infra/cost/estimate.js";
import { PRICES } from "../../infra/cost/prices.js";
import type { ResourceRecord } from "../../infra/resources.js";

function rec(type: string, name: string, inputs: Record<string, unknown>, stack = "staging"): ResourceRecord {
  return { type, name, urn: `urn:pulumi:${stack}::flightdeck::${type}::${name}`, inputs, id: `${name}_id` };
}

const RECORDS = [
  rec("awsx:ec2:Vpc", "vpc", { natGateways: { strategy: "Single" }, numberOfAvailabilityZones: 2 }),
  rec("aws:ec2/instance:Instance", "box", {
    instanceType: "t4g.small",
    rootBlockDevice: { volumeSize: 20, volumeType: "gp3" },
  }),
];

describe("cost estimate by region", () => {
  it("prices us-east-1, the region of the table, with totals", () => {
    assert.equal(PRICES.region, "us-east-1");
    const estimate = estimateCost(RECORDS, { region: "us-east-1" });
    assert.equal(estimate.note, undefined);
    assert.ok((estimate.daily ?? 0) > 0);
    assert.deepEqual(estimate, estimateCost(RECORDS));
  });

  it("shows no total for another region, and says plainly the prices are us-east-1's", () => {
    const estimate = estimateCost(RECORDS, { region: "eu-west-1" });
    assert.equal(estimate.hourly, undefined);
    assert.equal(estimate.daily, undefined);
    assert.equal(estimate.monthly, undefined);
    assert.match(
      estimate.note ?? "",
      /^No total: the price table holds us-east-1 list prices \(as of \d{4}-\d{2}-\d{2}\) and this stack runs in eu-west-1/,
    );
    // The lines stay, each at its us-east-1 price, so the resources are still listed.
    assert.deepEqual(
      estimate.lines.map((l) => l.unitPriceUsd),
      estimateCost(RECORDS).lines.map((l) => l.unitPriceUsd),
    );
    assert.ok(
      estimate.lines.every((l) => l.item.endsWith("(us-east-1 price)")),
      estimate.lines[0]?.item,
    );
  });

  it("keeps the region when pricing a preview's own resources", () => {
    const preview = [rec("aws:ec2/instance:Instance", "p", { instanceType: "t4g.nano" }, "preview-abc1234")];
    assert.equal(previewMarginalCost(preview, "preview-abc1234", { region: "ap-south-1" }).daily, undefined);
    assert.ok((previewMarginalCost(preview, "preview-abc1234").daily ?? 0) > 0);
  });
});

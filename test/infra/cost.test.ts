import assert from "node:assert/strict";
import {
  type CostEstimate,
  estimateCost,
  previewMarginalCost,
  stackOfUrn,
} from "../../infra/cost/estimate.js";
import { HOURS_PER_DAY, HOURS_PER_MONTH, PRICES } from "../../infra/cost/prices.js";
import type { ResourceRecord } from "../../infra/resources.js";

function rec(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  stack = "production",
): ResourceRecord {
  return { type, name, urn: `urn:pulumi:${stack}::flightdeck::${type}::${name}`, inputs, id: `${name}_id` };
}

/** A production-shaped environment, as the components record it. */
function productionRecords(): ResourceRecord[] {
  return [
    rec("flightdeck:env:Environment", "production", {}),
    rec("awsx:ec2:Vpc", "net-vpc", { natGateways: { strategy: "OnePerAz" }, numberOfAvailabilityZones: 3 }),
    rec("aws:ec2/securityGroup:SecurityGroup", "lb-sg", { ingress: [] }),
    rec("aws:lb/loadBalancer:LoadBalancer", "lb-alb", {
      loadBalancerType: "application",
      internal: false,
      subnets: ["a", "b", "c"],
    }),
    rec("aws:ec2/launchTemplate:LaunchTemplate", "app-lt", {
      instanceType: "m7g.large",
      blockDeviceMappings: [
        { deviceName: "/dev/xvda", ebs: { volumeSize: 30, volumeType: "gp3", encrypted: true } },
      ],
    }),
    rec("aws:autoscaling/group:Group", "app-asg", {
      desiredCapacity: 3,
      minSize: 3,
      maxSize: 12,
      launchTemplate: { id: "app-lt_id", version: "$Latest" },
    }),
    rec("aws:rds/instance:Instance", "db", {
      engine: "postgres",
      instanceClass: "db.r6g.large",
      allocatedStorage: 200,
      storageType: "gp3",
      multiAz: true,
    }),
    rec("aws:elasticache/replicationGroup:ReplicationGroup", "cache", {
      engine: "valkey",
      nodeType: "cache.r7g.large",
      numCacheClusters: 2,
    }),
  ];
}

function linesOf(estimate: CostEstimate, resource: string) {
  return estimate.lines.filter((l) => l.resource === resource);
}

describe("cost estimate", () => {
  it("adds the lines up to the totals exactly, over a 730-hour month and 24-hour day", () => {
    const estimate = estimateCost(productionRecords());
    assert.ok(estimate.lines.length >= 8);
    let hourly = 0;
    let daily = 0;
    let monthly = 0;
    for (const line of estimate.lines) {
      hourly += line.hourly;
      daily += line.daily;
      monthly += line.monthly;
      assert.equal(line.daily, line.hourly * HOURS_PER_DAY);
      assert.equal(line.monthly, line.hourly * HOURS_PER_MONTH);
    }
    assert.equal(estimate.hourly, hourly);
    assert.equal(estimate.daily, daily);
    assert.equal(estimate.monthly, monthly);
    assert.ok(Math.abs(estimate.daily - estimate.hourly * 24) < 1e-9);
    assert.ok(Math.abs(estimate.monthly - estimate.hourly * 730) < 1e-9);
    assert.equal(estimate.currency, "USD");
    assert.deepEqual(estimate.unpriced, []);
  });

  it("prices an Auto Scaling group at desired capacity x its launch template's type, plus root volumes", () => {
    const [instances, volumes, ...rest] = linesOf(estimateCost(productionRecords()), "app-asg");
    assert.equal(rest.length, 0);
    assert.equal(instances?.quantity, 3);
    assert.equal(instances?.unitPriceUsd, PRICES.ec2["m7g.large"]?.usd);
    assert.equal(instances?.hourly, 3 * 0.0816);
    assert.match(instances?.item ?? "", /m7g\.large/);
    assert.equal(volumes?.unit, "GB-month");
    assert.equal(volumes?.quantity, 90);
    assert.equal(volumes?.hourly, 90 * (0.08 / 730));
    assert.equal(
      linesOf(estimateCost(productionRecords()), "app-lt").length,
      0,
      "the template itself is free",
    );
  });

  it("prices NAT by the Vpc's strategy x AZs, each with its public IPv4 address", () => {
    const nat = (strategy: string, azs: number) =>
      linesOf(
        estimateCost([
          rec("awsx:ec2:Vpc", "v", { natGateways: { strategy }, numberOfAvailabilityZones: azs }),
        ]),
        "v",
      );
    const perAz = nat("OnePerAz", 3);
    assert.deepEqual(
      perAz.map((l) => [l.unit, l.quantity]),
      [
        ["NAT-gateway-hour", 3],
        ["address-hour", 3],
      ],
    );
    assert.equal(perAz[0]?.hourly, 3 * PRICES.natGatewayHour.usd);
    assert.deepEqual(
      nat("Single", 3).map((l) => l.quantity),
      [1, 1],
    );
    assert.deepEqual(nat("None", 3), []);
  });

  it("prices an ALB hour, the LCU estimate and one public IPv4 per AZ; an internal one has no address", () => {
    const alb = (internal: boolean, lcu?: number) =>
      linesOf(
        estimateCost(
          [rec("aws:lb/loadBalancer:LoadBalancer", "alb", { internal, subnets: ["s1", "s2"] })],
          lcu === undefined ? {} : { lcuPerLoadBalancer: lcu },
        ),
        "alb",
      );
    assert.deepEqual(
      alb(false).map((l) => [l.unit, l.quantity]),
      [
        ["load-balancer-hour", 1],
        ["LCU-hour", 1],
        ["address-hour", 2],
      ],
    );
    assert.equal(alb(false, 4)[1]?.hourly, 4 * PRICES.albLcuHour.usd);
    assert.deepEqual(
      alb(true).map((l) => l.unit),
      ["load-balancer-hour", "LCU-hour"],
    );
  });

  it("doubles a Multi-AZ database's instance and storage", () => {
    const db = (multiAz: boolean) =>
      linesOf(
        estimateCost([
          rec("aws:rds/instance:Instance", "db", {
            engine: "postgres",
            instanceClass: "db.t4g.medium",
            allocatedStorage: 100,
            storageType: "gp3",
            multiAz,
          }),
        ]),
        "db",
      );
    const single = db(false);
    const multi = db(true);
    assert.deepEqual(
      single.map((l) => l.quantity),
      [1, 100],
    );
    assert.deepEqual(
      multi.map((l) => l.quantity),
      [2, 200],
    );
    assert.equal(multi[0]?.hourly, 2 * 0.065);
    assert.equal(multi[1]?.hourly, 200 * (0.115 / 730));
  });

  it("counts cache nodes as numCacheClusters, or node groups x (1 + replicas)", () => {
    const cache = (inputs: Record<string, unknown>) =>
      linesOf(
        estimateCost([
          rec("aws:elasticache/replicationGroup:ReplicationGroup", "c", {
            nodeType: "cache.t4g.small",
            ...inputs,
          }),
        ]),
        "c",
      )[0];
    assert.equal(cache({ numCacheClusters: 3 })?.quantity, 3);
    assert.equal(cache({ replicasPerNodeGroup: 2 })?.quantity, 3);
    assert.equal(cache({ replicasPerNodeGroup: 1, numNodeGroups: 2 })?.quantity, 4);
    // Redis OSS is the engine AWS assumes when none is given; Valkey is priced apart.
    assert.equal(
      cache({ numCacheClusters: 1 })?.unitPriceUsd,
      PRICES.elasticache.redis["cache.t4g.small"]?.usd,
    );
    assert.equal(
      cache({ numCacheClusters: 1, engine: "valkey" })?.unitPriceUsd,
      PRICES.elasticache.valkey["cache.t4g.small"]?.usd,
    );
  });

  it("reports types and classes missing from the table as unpriced, never as zero", () => {
    const records = [
      rec("aws:ec2/launchTemplate:LaunchTemplate", "lt", {
        instanceType: "x9z.mega",
        blockDeviceMappings: [{ ebs: { volumeSize: 20, volumeType: "gp3" } }],
      }),
      rec("aws:autoscaling/group:Group", "asg", { desiredCapacity: 2, launchTemplate: { id: "lt_id" } }),
      rec("aws:rds/instance:Instance", "db", {
        engine: "postgres",
        instanceClass: "db.x99.huge",
        allocatedStorage: 20,
        storageType: "io2",
      }),
      rec("aws:elasticache/replicationGroup:ReplicationGroup", "c", {
        nodeType: "cache.q1.tiny",
        numCacheClusters: 1,
      }),
      rec("aws:dynamodb/table:Table", "t", {}),
      rec("aws:autoscaling/group:Group", "orphan", {
        desiredCapacity: 1,
        launchTemplate: { id: "missing_id" },
      }),
    ];
    const estimate = estimateCost(records);
    const unpriced = estimate.unpriced.map((u) => `${u.resource}: ${u.item}`);
    assert.deepEqual(unpriced, [
      "asg: EC2 x9z.mega",
      "db: RDS postgres db.x99.huge",
      "db: RDS io2 storage",
      "c: ElastiCache redis cache.q1.tiny",
      "t: aws:dynamodb/table:Table",
      "orphan: instances",
    ]);
    for (const u of estimate.unpriced) assert.ok(u.reason.length > 0);
    // Only what is priced is counted: the group's volumes, nothing for the unknown instance type.
    assert.deepEqual(
      estimate.lines.map((l) => `${l.resource}: ${l.unit}`),
      ["asg: GB-month"],
    );
    assert.equal(estimate.hourly, 40 * (0.08 / 730));
  });

  it("reports a machine whose size is unknown as unpriced", () => {
    const estimate = estimateCost([
      rec("aws:ec2/instance:Instance", "i", { rootBlockDevice: { volumeSize: 8 } }),
    ]);
    assert.deepEqual(
      estimate.unpriced.map((u) => u.item),
      ["instance"],
    );
    assert.equal(estimate.lines.length, 1);
  });

  it("prices a preview's own records only: no NAT gateway or load balancer line", () => {
    const base = [
      rec(
        "awsx:ec2:Vpc",
        "previews-vpc",
        { natGateways: { strategy: "Single" }, numberOfAvailabilityZones: 2 },
        "previews",
      ),
      rec("aws:lb/loadBalancer:LoadBalancer", "previews-alb", { subnets: ["a", "b"] }, "previews"),
    ];
    const preview = [
      rec("pulumi:pulumi:StackReference", "base", {}, "preview-abc1234"),
      rec("aws:lb/targetGroup:TargetGroup", "p-tg", {}, "preview-abc1234"),
      rec("aws:lb/listenerRule:ListenerRule", "p-rule", {}, "preview-abc1234"),
      rec(
        "aws:ec2/instance:Instance",
        "p-instance",
        { instanceType: "t4g.nano", rootBlockDevice: { volumeSize: 10, volumeType: "gp3", encrypted: true } },
        "preview-abc1234",
      ),
    ];
    const everything = estimateCost([...base, ...preview]);
    assert.ok(
      everything.lines.some((l) => l.unit === "NAT-gateway-hour"),
      "the base does have a NAT line",
    );
    const marginal = previewMarginalCost([...base, ...preview], "preview-abc1234");
    assert.deepEqual(
      marginal.lines.map((l) => l.unit),
      ["instance-hour", "GB-month"],
    );
    assert.ok(!marginal.lines.some((l) => /NAT|ALB|load balancer/i.test(l.item)));
    assert.equal(marginal.daily, 0.0042 * 24 + 10 * (0.08 / 730) * 24);
    assert.deepEqual(marginal.unpriced, []);
  });

  it("reads the stack out of a URN", () => {
    assert.equal(
      stackOfUrn("urn:pulumi:preview-abc1234::flightdeck::aws:ec2/instance:Instance::x"),
      "preview-abc1234",
    );
    assert.equal(stackOfUrn("not-a-urn"), undefined);
  });

  it("gives every price a source page and the table a date", () => {
    assert.match(PRICES.asOf, /^\d{4}-\d{2}-\d{2}$/);
    const prices = [
      ...Object.values(PRICES.ec2),
      ...Object.values(PRICES.ebs),
      ...Object.values(PRICES.rds.postgres),
      ...Object.values(PRICES.rds.mysql),
      ...Object.values(PRICES.elasticache.redis),
      ...Object.values(PRICES.elasticache.valkey),
      PRICES.albHour,
      PRICES.natGatewayHour,
      PRICES.publicIpv4Hour,
    ];
    for (const price of prices) {
      assert.match(price.source, /^https:\/\/aws\.amazon\.com\//);
      assert.ok(price.usd > 0);
    }
  });
});

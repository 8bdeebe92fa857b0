/** The text form of a plan: resources as a tree of components, cost grouped with subtotals, unpriced items listed. */
import assert from "node:assert/strict";
import { colors } from "../../cli/output.js";
import { costCategory, costGroups, formatPlan, resourceTree } from "../../cli/plan-format.js";
import type { CostLine } from "../../infra/cost/estimate.js";
import type { PlanDocument, PlanResource } from "../../infra/plan.js";

const r = (type: string, name: string, parent: string | null, inputs = {}): PlanResource => ({
  type,
  name,
  parent,
  inputs,
});

const line = (resource: string, type: string, item: string, monthly: number): CostLine => ({
  resource,
  type,
  item,
  quantity: 1,
  unit: "instance-hour",
  unitPriceUsd: monthly / 730,
  hourly: monthly / 730,
  daily: (monthly / 730) * 24,
  monthly,
  source: "https://aws.amazon.com/",
});

const resources = [
  r("aws:autoscaling/group:Group", "env-fleet-app-asg", "env-fleet", { minSize: 2 }),
  r("flightdeck:env:Fleet", "env-fleet", "env"),
  r("aws:rds/instance:Instance", "env-db-db", "env-db", {
    instanceClass: "db.t4g.large",
    password: "[secret]",
  }),
  r("flightdeck:env:Environment", "env", null),
  r("aws:ec2/securityGroup:SecurityGroup", "env-fleet-sg", "env"),
  r("flightdeck:env:Database", "env-db", "env"),
  r("aws:iam/role:Role", "env-fleet-app-role", "env-fleet"),
  r("aws:s3/bucket:Bucket", "orphan", "gone"),
];

const lines = [
  line("env-fleet-app-asg", "aws:autoscaling/group:Group", "EC2 t4g.large (Linux, on-demand)", 98),
  line("env-db-db", "aws:rds/instance:Instance", "RDS postgres db.t4g.large (single-AZ)", 94),
  line("env-db-db", "aws:rds/instance:Instance", "RDS gp3 storage (single-AZ, 100 GB)", 11.5),
  line("env-fleet-app-asg", "aws:autoscaling/group:Group", "EBS gp3 volume (2 x 20 GB, /dev/xvda)", 3.2),
  line("env-net-vpc", "awsx:ec2:Vpc", "NAT gateway (Single)", 32.85),
];

const plan: PlanDocument = {
  stack: "env",
  commit: null,
  offline: true,
  resources,
  cost: {
    currency: "USD",
    hourly: lines.reduce((n, l) => n + l.hourly, 0),
    daily: lines.reduce((n, l) => n + l.daily, 0),
    monthly: lines.reduce((n, l) => n + l.monthly, 0),
    lines,
    unpriced: [
      {
        resource: "env-cache-redis",
        type: "aws:elasticache/replicationGroup:ReplicationGroup",
        item: "cache.x9.huge",
        reason: "not in the price table",
      },
    ],
  },
  policies: [
    { policy: "tags", level: "advisory", resource: "orphan", message: "missing tags" },
    {
      policy: "imdsv2",
      level: "mandatory",
      resource: "env-fleet-app-asg",
      message: "IMDSv2 is not required",
    },
  ],
};

describe("cli: the plan as text", () => {
  it("orders resources by parent component, each exactly once, orphans at the top", () => {
    const tree = resourceTree(resources).map((t) => `${"  ".repeat(t.depth)}${t.resource.name}`);
    assert.deepEqual(tree, [
      "orphan",
      "env",
      "  env-fleet-sg",
      "  env-db",
      "    env-db-db",
      "  env-fleet",
      "    env-fleet-app-asg",
      "    env-fleet-app-role",
    ]);
  });

  it("groups cost lines by what is billed, subtotals adding up to the total, most expensive first", () => {
    assert.equal(costCategory(lines[3] as CostLine), "Storage (EBS)");
    const groups = costGroups(lines);
    assert.deepEqual(
      groups.map((g) => [g.category, Math.round(g.monthly * 100) / 100]),
      [
        ["Database (RDS)", 105.5],
        ["Compute (EC2)", 98],
        ["Network (NAT, public IPv4)", 32.85],
        ["Storage (EBS)", 3.2],
      ],
    );
    const sum = groups.reduce((n, g) => n + g.monthly, 0);
    assert.ok(Math.abs(sum - (plan.cost.monthly ?? Number.NaN)) < 1e-9);
    assert.equal(groups.flatMap((g) => g.lines).length, lines.length, "every line in one group");
  });

  it("prints the tree, the grouped cost with the price date, every unpriced item and the policies", () => {
    const text = formatPlan(plan, colors(false), "2025-06-01");
    assert.match(text, /^Plan of env \(offline: Pulumi's mock runtime\): 8 resources\n/);
    assert.match(text, /\nflightdeck:env:Environment +env +- +-\n/);
    assert.match(text, /\naws:autoscaling\/group:Group {2,} {4}env-fleet-app-asg +env-fleet +minSize=2\n/);
    assert.match(text, /\nEstimated cost: \$0\.33\/hour, \$7\.88\/day, \$239\.55\/month \(USD\)\n/);
    assert.match(text, /as of 2025-06-01/);
    assert.match(
      text,
      /\nDatabase \(RDS\) +\$3\.47 +\$105\.50\n {2}RDS postgres db\.t4g\.large \(single-AZ\) +env-db-db +1 instance-hour +\$3\.09 +\$94\.00\n/,
    );
    assert.match(text, /\nTotal +\$7\.88 +\$239\.55\n/);
    assert.match(
      text,
      /Not priced \(1; not in the totals above, which are therefore too low\):\n {2}env-cache-redis \(aws:elasticache\/replicationGroup:ReplicationGroup\): cache\.x9\.huge: not in the price table/,
    );
    assert.match(
      text,
      /Policies: 1 mandatory, 1 other violation\(s\):\n {2}mandatory imdsv2 env-fleet-app-asg: IMDSv2 is not required\n {2}advisory tags orphan/,
    );
    assert.doesNotMatch(text, /password=/);
  });
});

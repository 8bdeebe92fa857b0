/**
 * The offline cost estimate: a pure function from the resources a plan records
 * to priced lines, using the dated table in `prices.ts`.
 *
 * Every line is one thing AWS bills by the hour (or by the GB-month, turned
 * into hours over a 730-hour month). The totals are the sums of the lines, so
 * they add up exactly; figures are rounded only when shown. The table's date
 * (`PRICES.asOf`) is for the renderer to show beside the figures. Anything that costs
 * money but cannot be priced (a type missing from the table, a size the plan
 * does not know) is listed in `unpriced`, never counted as zero.
 *
 * The table holds us-east-1 prices only. For a stack in another region the
 * estimate has no totals (`undefined`), a `note` saying so, and each line
 * marked as a us-east-1 price: other regions' prices differ, often by 10-30%.
 *
 * The pricers of each kind of resource are in `compute.ts`, `network.ts` and
 * `data-stores.ts`; a line and an unpriced item are made in `lines.ts`.
 */
import type { ResourceRecord } from "../resources.js";
import { priceAutoScalingGroup, priceEbsVolume, priceInstance } from "./compute.js";
import { priceDatabase, priceReplicationGroup } from "./data-stores.js";
import {
  type CostLine,
  none,
  type Priced,
  type Pricer,
  type PricingContext,
  type UnpricedItem,
  unpricedOnly,
} from "./lines.js";
import { priceAwsxVpc, priceEip, priceLoadBalancer, priceNatGateway } from "./network.js";
import { PRICES, type PriceTable } from "./prices.js";

export type { CostLine, UnpricedItem } from "./lines.js";

/** An estimate at the table's prices, for a stack in the table's region. */
export interface CostEstimate {
  currency: "USD";
  /** The sum of the lines. */
  hourly: number;
  daily: number;
  monthly: number;
  lines: CostLine[];
  unpriced: UnpricedItem[];
  /** What it costs on its sleep schedule, when a line runs only part of the week. */
  scheduled?: ScheduledCost;
}

/**
 * The cost on a schedule: each line x its `awakeShare` (storage and anything
 * without a schedule: around the clock). The plain totals are the always-on cost.
 */
export interface ScheduledCost {
  hourly: number;
  daily: number;
  monthly: number;
  /** The hours a week the scheduled machines run (the largest share among the lines x 168). */
  awakeHoursPerWeek: number;
}

/** An estimate for a stack in a given region: no totals when the table has no prices there. */
export interface RegionalCostEstimate extends Omit<CostEstimate, "hourly" | "daily" | "monthly"> {
  hourly: number | undefined;
  daily: number | undefined;
  monthly: number | undefined;
  /** Why there are no totals, when there are none. */
  note?: string;
}

export interface CostOptions {
  prices?: PriceTable;
  /**
   * Load balancer capacity units assumed per load balancer and hour. LCUs depend
   * on traffic, which a plan cannot know; 1 LCU covers roughly 25 new
   * connections/s, 3,000 active connections or 1 GB/h of processed bytes.
   */
  lcuPerLoadBalancer?: number;
}

/** The options of an estimate for a stack in `region` (its `config.region`). */
export type RegionalCostOptions = CostOptions & { region: string };

export const DEFAULT_LCU_PER_LOAD_BALANCER = 1;

/** The types that cost nothing by themselves (they are free, or billed through another resource). */
export const FREE_TYPES: ReadonlySet<string> = new Set([
  "pulumi:pulumi:Stack",
  "pulumi:providers:aws",
  "pulumi:pulumi:StackReference",
  // Priced through the Auto Scaling group that launches it.
  "aws:ec2/launchTemplate:LaunchTemplate",
  "aws:ec2/securityGroup:SecurityGroup",
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  "aws:ec2/securityGroupRule:SecurityGroupRule",
  "aws:ec2/subnet:Subnet",
  "aws:ec2/routeTable:RouteTable",
  "aws:ec2/routeTableAssociation:RouteTableAssociation",
  "aws:ec2/route:Route",
  "aws:ec2/internetGateway:InternetGateway",
  "aws:ec2/vpc:Vpc",
  "aws:lb/targetGroup:TargetGroup",
  "aws:lb/listener:Listener",
  "aws:lb/listenerRule:ListenerRule",
  "aws:lb/targetGroupAttachment:TargetGroupAttachment",
  "aws:autoscaling/policy:Policy",
  "aws:autoscaling/lifecycleHook:LifecycleHook",
  "aws:autoscaling/attachment:Attachment",
  // Scheduled actions cost nothing; EventBridge Scheduler's first 14 million invocations a
  // month are free (https://aws.amazon.com/eventbridge/pricing/): two a day per preview.
  "aws:autoscaling/schedule:Schedule",
  "aws:scheduler/schedule:Schedule",
  "aws:iam/role:Role",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  "aws:iam/policy:Policy",
  "aws:iam/instanceProfile:InstanceProfile",
  "aws:rds/subnetGroup:SubnetGroup",
  "aws:rds/parameterGroup:ParameterGroup",
  "aws:elasticache/subnetGroup:SubnetGroup",
  "aws:elasticache/parameterGroup:ParameterGroup",
  // Public ACM certificates are free; Route 53 records bill per query, which a plan cannot know.
  "aws:acm/certificate:Certificate",
  "aws:acm/certificateValidation:CertificateValidation",
  "aws:route53/record:Record",
  "random:index/randomPassword:RandomPassword",
]);

/**
 * Estimate what the resources cost to run, from the price table. Without a
 * region, at the table's prices (us-east-1); with one, a `RegionalCostEstimate`.
 */
export function estimateCost(records: readonly ResourceRecord[], options?: CostOptions): CostEstimate;
export function estimateCost(
  records: readonly ResourceRecord[],
  options: RegionalCostOptions,
): RegionalCostEstimate;
export function estimateCost(
  records: readonly ResourceRecord[],
  options: CostOptions & { region?: string } = {},
): CostEstimate | RegionalCostEstimate {
  const prices = options.prices ?? PRICES;
  const ctx: PricingContext = {
    prices,
    lcu: options.lcuPerLoadBalancer ?? DEFAULT_LCU_PER_LOAD_BALANCER,
    byId: new Map(records.map((r) => [r.id, r])),
    records,
  };
  const lines: CostLine[] = [];
  const unpriced: UnpricedItem[] = [];
  for (const record of records) {
    const result = priceRecord(record, ctx);
    lines.push(...result.lines);
    unpriced.push(...result.unpriced);
  }
  const region = options.region ?? prices.region;
  if (region === prices.region) {
    const scheduled = scheduledCost(lines);
    return { currency: "USD", ...sumLines(lines), lines, unpriced, ...(scheduled ? { scheduled } : {}) };
  }
  return {
    currency: "USD",
    hourly: undefined,
    daily: undefined,
    monthly: undefined,
    lines: lines.map((l) => ({ ...l, item: `${l.item} (${prices.region} price)` })),
    unpriced,
    note: `No total: the price table holds ${prices.region} list prices (as of ${prices.asOf}) and this stack runs in ${region}, where prices differ. Each line shows its ${prices.region} price.`,
  };
}

/** The totals are the sums of the lines' own figures, so the lines add up to them exactly. */
export function sumLines(lines: readonly CostLine[]): { hourly: number; daily: number; monthly: number } {
  let hourly = 0;
  let daily = 0;
  let monthly = 0;
  for (const line of lines) {
    hourly += line.hourly;
    daily += line.daily;
    monthly += line.monthly;
  }
  return { hourly, daily, monthly };
}

/** The totals on the lines' schedules, or undefined when every line runs around the clock. */
export function scheduledCost(lines: readonly CostLine[]): ScheduledCost | undefined {
  const shares = lines.flatMap((l) => (l.awakeShare === undefined ? [] : [l.awakeShare]));
  if (shares.length === 0) return undefined;
  const scaled = lines.map((l) => {
    const share = l.awakeShare ?? 1;
    return { ...l, hourly: l.hourly * share, daily: l.daily * share, monthly: l.monthly * share };
  });
  return { ...sumLines(scaled), awakeHoursPerWeek: Math.max(...shares) * 168 };
}

/** The stack a URN belongs to: `urn:pulumi:<stack>::<project>::<type>::<name>`. */
export function stackOfUrn(urn: string): string | undefined {
  const m = /^urn:pulumi:([^:]+)::/.exec(urn);
  return m?.[1];
}

/**
 * The marginal cost of one preview: only the resources of the preview's own
 * stack. The shared preview base (network, NAT, load balancer, certificate) is
 * another stack, priced by its own plan, so it never counts against a preview.
 */
export function previewMarginalCost(
  records: readonly ResourceRecord[],
  previewStack: string,
  options?: CostOptions,
): CostEstimate;
export function previewMarginalCost(
  records: readonly ResourceRecord[],
  previewStack: string,
  options: RegionalCostOptions,
): RegionalCostEstimate;
export function previewMarginalCost(
  records: readonly ResourceRecord[],
  previewStack: string,
  options: CostOptions & { region?: string } = {},
): CostEstimate | RegionalCostEstimate {
  const own = records.filter((r) => stackOfUrn(r.urn) === previewStack);
  return options.region === undefined
    ? estimateCost(own, options)
    : estimateCost(own, { ...options, region: options.region });
}

const PRICERS: Record<string, Pricer> = {
  "aws:autoscaling/group:Group": priceAutoScalingGroup,
  "aws:ec2/instance:Instance": priceInstance,
  "aws:ec2/volume:Volume": priceEbsVolume,
  "aws:ebs/volume:Volume": priceEbsVolume,
  "awsx:ec2:Vpc": priceAwsxVpc,
  "aws:ec2/natGateway:NatGateway": priceNatGateway,
  "aws:ec2/eip:Eip": priceEip,
  "aws:lb/loadBalancer:LoadBalancer": priceLoadBalancer,
  "aws:alb/loadBalancer:LoadBalancer": priceLoadBalancer,
  "aws:rds/instance:Instance": priceDatabase,
  "aws:elasticache/replicationGroup:ReplicationGroup": priceReplicationGroup,
};

function priceRecord(record: ResourceRecord, ctx: PricingContext): Priced {
  const pricer = PRICERS[record.type];
  if (pricer) return pricer(record, ctx);
  if (FREE_TYPES.has(record.type) || !isCloudResource(record.type)) return none();
  return unpricedOnly(record, record.type, "no price rule for this resource type; add it to infra/cost");
}

/** Component resources (`flightdeck:env:Database`, ...) are groupings and cost nothing themselves. */
function isCloudResource(type: string): boolean {
  return type.startsWith("aws:") || type.startsWith("awsx:");
}

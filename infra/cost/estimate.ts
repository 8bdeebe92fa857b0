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
 */
import { array, get, num, str } from "../inputs.js";
import type { ResourceRecord } from "../resources.js";
import {
  type CacheEngine,
  type DbEngine,
  HOURS_PER_DAY,
  HOURS_PER_MONTH,
  PRICES,
  type Price,
  type PriceTable,
  type PriceUnit,
} from "./prices.js";

export interface CostLine {
  /** The name of the resource the cost comes from. */
  resource: string;
  type: string;
  /** What is billed, e.g. `EC2 t4g.small (Linux, on-demand)`. */
  item: string;
  quantity: number;
  unit: PriceUnit;
  /** The table's price per `unit`. */
  unitPriceUsd: number;
  hourly: number;
  daily: number;
  monthly: number;
  /** The pricing page the unit price comes from. */
  source: string;
}

export interface UnpricedItem {
  resource: string;
  type: string;
  item: string;
  reason: string;
}

export interface CostEstimate {
  currency: "USD";
  hourly: number;
  daily: number;
  monthly: number;
  lines: CostLine[];
  unpriced: UnpricedItem[];
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

type Priced = { lines: CostLine[]; unpriced: UnpricedItem[] };

interface Context {
  prices: PriceTable;
  lcu: number;
  byId: ReadonlyMap<string, ResourceRecord>;
  records: readonly ResourceRecord[];
}

type Pricer = (record: ResourceRecord, ctx: Context) => Priced;

/** Estimate what the resources cost to run, from the price table. */
export function estimateCost(records: readonly ResourceRecord[], options: CostOptions = {}): CostEstimate {
  const ctx: Context = {
    prices: options.prices ?? PRICES,
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
  return { currency: "USD", ...sumLines(lines), lines, unpriced };
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
  options: CostOptions = {},
): CostEstimate {
  return estimateCost(
    records.filter((r) => stackOfUrn(r.urn) === previewStack),
    options,
  );
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

function priceRecord(record: ResourceRecord, ctx: Context): Priced {
  const pricer = PRICERS[record.type];
  if (pricer) return pricer(record, ctx);
  if (FREE_TYPES.has(record.type) || !isCloudResource(record.type)) return none();
  return unpricedOnly(record, record.type, "no price rule for this resource type; add it to infra/cost");
}

/** Component resources (`flightdeck:env:Database`, ...) are groupings and cost nothing themselves. */
function isCloudResource(type: string): boolean {
  return type.startsWith("aws:") || type.startsWith("awsx:");
}

function priceAutoScalingGroup(record: ResourceRecord, ctx: Context): Priced {
  const desired = num(record.inputs.desiredCapacity) ?? num(record.inputs.minSize);
  const templateId = str(get(record.inputs, "launchTemplate", "id"));
  const template = templateId === undefined ? undefined : ctx.byId.get(templateId);
  if (desired === undefined) {
    return unpricedOnly(record, "instances", "desired capacity is unknown in the plan");
  }
  if (!template) {
    return unpricedOnly(record, "instances", "its launch template is not among the planned resources");
  }
  const instanceType = str(template.inputs.instanceType);
  const out = none();
  if (instanceType === undefined) {
    out.unpriced.push(unpriced(record, "instances", "the launch template sets no instance type"));
  } else {
    add(out, instanceLine(record, instanceType, desired, ctx));
  }
  for (const [index, mapping] of array(template.inputs.blockDeviceMappings).entries()) {
    const size = num(get(mapping, "ebs", "volumeSize"));
    const volumeType = str(get(mapping, "ebs", "volumeType"));
    const device = str(get(mapping, "deviceName")) ?? `device ${index}`;
    if (size === undefined) {
      out.unpriced.push(unpriced(record, `EBS volume ${device}`, "the volume size comes from the image"));
      continue;
    }
    add(out, volumeLine(record, volumeType, size * desired, ctx, ` (${desired} x ${size} GB, ${device})`));
  }
  return out;
}

function priceInstance(record: ResourceRecord, ctx: Context): Priced {
  const out = none();
  const instanceType = str(record.inputs.instanceType);
  if (instanceType === undefined) {
    out.unpriced.push(unpriced(record, "instance", "the instance type is unknown in the plan"));
  } else {
    add(out, instanceLine(record, instanceType, 1, ctx));
  }
  const root = record.inputs.rootBlockDevice;
  const size = num(get(root, "volumeSize"));
  if (size === undefined) {
    out.unpriced.push(unpriced(record, "root volume", "the root volume size comes from the image"));
  } else {
    add(out, volumeLine(record, str(get(root, "volumeType")), size, ctx, " (root)"));
  }
  for (const device of array(record.inputs.ebsBlockDevices)) {
    const extra = num(get(device, "volumeSize"));
    const name = str(get(device, "deviceName")) ?? "extra volume";
    if (extra === undefined) out.unpriced.push(unpriced(record, `EBS ${name}`, "its size is unknown"));
    else add(out, volumeLine(record, str(get(device, "volumeType")), extra, ctx, ` (${name})`));
  }
  if (record.inputs.associatePublicIpAddress === true) {
    out.lines.push(line(record, "public IPv4 address", 1, ctx.prices.publicIpv4Hour));
  }
  return out;
}

function priceEbsVolume(record: ResourceRecord, ctx: Context): Priced {
  const size = num(record.inputs.size);
  if (size === undefined) return unpricedOnly(record, "EBS volume", "its size is unknown in the plan");
  const out = none();
  add(out, volumeLine(record, str(record.inputs.type), size, ctx, ""));
  return out;
}

/**
 * awsx's Vpc is a remote component: its NAT gateways and their Elastic IPs are
 * not visible as records, so they are priced from its strategy and AZ count.
 * awsx's defaults apply when they are not set: three AZs, one NAT per AZ.
 */
function priceAwsxVpc(record: ResourceRecord, ctx: Context): Priced {
  const strategy = str(get(record.inputs, "natGateways", "strategy")) ?? "OnePerAz";
  const azs = vpcAzCount(record);
  let gateways: number;
  if (strategy === "None") gateways = 0;
  else if (strategy === "Single") gateways = 1;
  else if (strategy === "OnePerAz") gateways = azs;
  else return unpricedOnly(record, "NAT gateways", `unknown NAT strategy '${strategy}'`);
  if (gateways === 0) return none();
  return {
    lines: [
      line(record, `NAT gateway (${strategy})`, gateways, ctx.prices.natGatewayHour),
      line(record, "public IPv4 address of NAT gateway", gateways, ctx.prices.publicIpv4Hour),
    ],
    unpriced: [],
  };
}

function vpcAzCount(vpc: ResourceRecord): number {
  const names = array(vpc.inputs.availabilityZoneNames);
  if (names.length > 0) return names.length;
  return num(vpc.inputs.numberOfAvailabilityZones) ?? 3;
}

function priceNatGateway(record: ResourceRecord, ctx: Context): Priced {
  // Its Elastic IP, if any, is a separate `Eip` record and priced there.
  return { lines: [line(record, "NAT gateway", 1, ctx.prices.natGatewayHour)], unpriced: [] };
}

function priceEip(record: ResourceRecord, ctx: Context): Priced {
  return {
    lines: [line(record, "public IPv4 address (Elastic IP)", 1, ctx.prices.publicIpv4Hour)],
    unpriced: [],
  };
}

function priceLoadBalancer(record: ResourceRecord, ctx: Context): Priced {
  const kind = str(record.inputs.loadBalancerType) ?? "application";
  const p = ctx.prices;
  let hour: Price;
  let lcu: Price;
  if (kind === "application") {
    hour = p.albHour;
    lcu = p.albLcuHour;
  } else if (kind === "network") {
    hour = p.nlbHour;
    lcu = p.nlbLcuHour;
  } else {
    return unpricedOnly(
      record,
      `${kind} load balancer`,
      "only application and network load balancers are priced",
    );
  }
  const label = kind === "application" ? "ALB" : "NLB";
  const out: Priced = {
    lines: [
      line(record, `${label} hour`, 1, hour),
      line(record, `${label} capacity units (estimate: ${ctx.lcu} LCU per hour)`, ctx.lcu, lcu),
    ],
    unpriced: [],
  };
  if (record.inputs.internal !== true) {
    const azs = loadBalancerAzCount(record, ctx);
    if (azs === undefined) {
      out.unpriced.push(unpriced(record, "public IPv4 addresses", "the number of its subnets is unknown"));
    } else {
      out.lines.push(line(record, `public IPv4 address (one per AZ, ${azs} AZs)`, azs, p.publicIpv4Hour));
    }
  }
  return out;
}

/** An internet-facing load balancer holds one public IPv4 address per subnet (AZ) it spans. */
function loadBalancerAzCount(record: ResourceRecord, ctx: Context): number | undefined {
  const subnets = record.inputs.subnets ?? record.inputs.subnetMappings;
  if (Array.isArray(subnets) && subnets.length > 0) return subnets.length;
  const vpcs = ctx.records.filter((r) => r.type === "awsx:ec2:Vpc");
  const only = vpcs.length === 1 ? vpcs[0] : undefined;
  return only ? vpcAzCount(only) : undefined;
}

function priceDatabase(record: ResourceRecord, ctx: Context): Priced {
  const out = none();
  const instanceClass = str(record.inputs.instanceClass);
  const engine = dbEngine(str(record.inputs.engine));
  const multiAz = record.inputs.multiAz === true;
  const copies = multiAz ? 2 : 1;
  const az = multiAz ? "Multi-AZ" : "single-AZ";
  const price =
    instanceClass === undefined || engine === undefined ? undefined : ctx.prices.rds[engine][instanceClass];
  if (instanceClass === undefined) {
    out.unpriced.push(unpriced(record, "RDS instance", "the instance class is unknown in the plan"));
  } else if (engine === undefined) {
    out.unpriced.push(
      unpriced(record, `RDS ${instanceClass}`, `engine '${String(record.inputs.engine)}' is not priced`),
    );
  } else if (!price) {
    out.unpriced.push(
      unpriced(
        record,
        `RDS ${engine} ${instanceClass}`,
        `${instanceClass} (${engine}) is not in the price table`,
      ),
    );
  } else {
    out.lines.push(line(record, `RDS ${engine} ${instanceClass} (${az})`, copies, price));
  }
  const storage = num(record.inputs.allocatedStorage);
  // The AWS provider's default when no storage type (nor IOPS) is given.
  const storageType = str(record.inputs.storageType) ?? "gp2";
  const storagePrice = ctx.prices.rdsStorage[storageType];
  if (storage === undefined) {
    out.unpriced.push(unpriced(record, "RDS storage", "allocated storage is unknown in the plan"));
  } else if (!storagePrice) {
    out.unpriced.push(
      unpriced(record, `RDS ${storageType} storage`, `${storageType} is not in the price table`),
    );
  } else {
    out.lines.push(
      line(record, `RDS ${storageType} storage (${az}, ${storage} GB)`, storage * copies, storagePrice),
    );
  }
  return out;
}

function dbEngine(engine: string | undefined): DbEngine | undefined {
  if (engine === "postgres" || engine === "mysql") return engine;
  return undefined;
}

function priceReplicationGroup(record: ResourceRecord, ctx: Context): Priced {
  const nodeType = str(record.inputs.nodeType);
  const engineInput = str(record.inputs.engine) ?? "redis";
  const engine: CacheEngine | undefined =
    engineInput === "redis" || engineInput === "valkey" ? engineInput : undefined;
  const nodes = cacheNodeCount(record);
  if (nodeType === undefined)
    return unpricedOnly(record, "cache nodes", "the node type is unknown in the plan");
  if (nodes === undefined) return unpricedOnly(record, `${nodeType} nodes`, "the number of nodes is unknown");
  const price = engine === undefined ? undefined : ctx.prices.elasticache[engine][nodeType];
  if (!price) {
    return unpricedOnly(record, `ElastiCache ${engineInput} ${nodeType}`, "not in the price table");
  }
  return { lines: [line(record, `ElastiCache ${engine} ${nodeType}`, nodes, price)], unpriced: [] };
}

/** `numCacheClusters` nodes, or node groups x (1 primary + replicas). */
function cacheNodeCount(record: ResourceRecord): number | undefined {
  const clusters = num(record.inputs.numCacheClusters);
  if (clusters !== undefined) return clusters;
  const replicas = num(record.inputs.replicasPerNodeGroup);
  if (replicas === undefined) return undefined;
  return (num(record.inputs.numNodeGroups) ?? 1) * (1 + replicas);
}

function instanceLine(record: ResourceRecord, instanceType: string, count: number, ctx: Context): Priced {
  const price = ctx.prices.ec2[instanceType];
  if (!price) return unpricedOnly(record, `EC2 ${instanceType}`, `${instanceType} is not in the price table`);
  return { lines: [line(record, `EC2 ${instanceType} (Linux, on-demand)`, count, price)], unpriced: [] };
}

function volumeLine(
  record: ResourceRecord,
  volumeType: string | undefined,
  gb: number,
  ctx: Context,
  detail: string,
): Priced {
  // With no type set, EC2 uses the image's, which for images built by Packer's amazon-ebs is gp2.
  const type = volumeType ?? "gp2";
  const price = ctx.prices.ebs[type];
  if (!price) return unpricedOnly(record, `EBS ${type} volume${detail}`, `${type} is not in the price table`);
  return { lines: [line(record, `EBS ${type} volume${detail}`, gb, price)], unpriced: [] };
}

/** A priced line: quantity x unit price, turned into an hourly figure (GB-months over 730 hours). */
function line(record: ResourceRecord, item: string, quantity: number, price: Price): CostLine {
  const perHour = price.unit === "GB-month" ? price.usd / HOURS_PER_MONTH : price.usd;
  const hourly = quantity * perHour;
  return {
    resource: record.name,
    type: record.type,
    item,
    quantity,
    unit: price.unit,
    unitPriceUsd: price.usd,
    hourly,
    daily: hourly * HOURS_PER_DAY,
    monthly: hourly * HOURS_PER_MONTH,
    source: price.source,
  };
}

function none(): Priced {
  return { lines: [], unpriced: [] };
}

function add(into: Priced, from: Priced): void {
  into.lines.push(...from.lines);
  into.unpriced.push(...from.unpriced);
}

function unpriced(record: ResourceRecord, item: string, reason: string): UnpricedItem {
  return { resource: record.name, type: record.type, item, reason };
}

function unpricedOnly(record: ResourceRecord, item: string, reason: string): Priced {
  return { lines: [], unpriced: [unpriced(record, item, reason)] };
}

/**
 * A dated snapshot of AWS on-demand prices for us-east-1 (Linux, USD), for the
 * offline cost estimate.
 *
 * These are the published list prices as of `PRICES.asOf`, transcribed by hand
 * from the AWS pricing pages named in each entry's `source` (this project has no
 * network access to the AWS Price List API). They change: refresh the table
 * (and `asOf`) from those pages before relying on a figure, and add any type a
 * config starts to use. A type missing here is reported as unpriced by
 * `estimateCost`, never counted as free.
 *
 * Not included on purpose (usage-based, not knowable from a plan): data
 * transfer, NAT gateway per-GB processing, RDS backup storage beyond the free
 * allowance, ALB LCUs beyond the assumed estimate, CloudWatch, Route 53 queries.
 */

export const PRICE_SOURCES = {
  ec2: "https://aws.amazon.com/ec2/pricing/on-demand/",
  spot: "https://aws.amazon.com/ec2/spot/pricing/",
  ebs: "https://aws.amazon.com/ebs/pricing/",
  elb: "https://aws.amazon.com/elasticloadbalancing/pricing/",
  vpc: "https://aws.amazon.com/vpc/pricing/",
  rdsPostgres: "https://aws.amazon.com/rds/postgresql/pricing/",
  rdsMysql: "https://aws.amazon.com/rds/mysql/pricing/",
  elasticache: "https://aws.amazon.com/elasticache/pricing/",
} as const;

/** One price: the amount in USD per `unit`, and the page it was read from. */
export interface Price {
  usd: number;
  unit: PriceUnit;
  source: string;
  /** Set when the figure is an estimate rather than a list price: why, and as of when. */
  estimate?: string;
}

export type PriceUnit =
  | "instance-hour"
  | "node-hour"
  | "GB-month"
  | "LCU-hour"
  | "load-balancer-hour"
  | "NAT-gateway-hour"
  | "address-hour";

export type DbEngine = "postgres" | "mysql";
export type CacheEngine = "redis" | "valkey";

export interface PriceTable {
  /** The date the prices were read from the pricing pages (ISO date). */
  asOf: string;
  region: "us-east-1";
  currency: "USD";
  /** EC2 instance types, Linux on-demand, per instance-hour. */
  ec2: Record<string, Price>;
  /** EC2 Spot, Linux, per instance-hour: estimates (Spot prices move with supply and demand). */
  spot: Record<string, Price>;
  /** EBS volume types, per GB-month of provisioned storage. */
  ebs: Record<string, Price>;
  /** RDS instance classes per engine, single-AZ, per instance-hour (Multi-AZ runs a standby: x2). */
  rds: Record<DbEngine, Record<string, Price>>;
  /** RDS storage per GB-month, single-AZ (Multi-AZ stores it twice: x2). */
  rdsStorage: Record<string, Price>;
  /** ElastiCache node types per engine, node-based (not serverless), per node-hour. */
  elasticache: Record<CacheEngine, Record<string, Price>>;
  albHour: Price;
  albLcuHour: Price;
  nlbHour: Price;
  nlbLcuHour: Price;
  natGatewayHour: Price;
  /** Every public IPv4 address, in use or idle, since February 2024. */
  publicIpv4Hour: Price;
}

function ec2(usd: number): Price {
  return { usd, unit: "instance-hour", source: PRICE_SOURCES.ec2 };
}
/** When the Spot estimates were taken, and what they are. */
export const SPOT_ESTIMATE =
  "estimate as of 2025-06: a typical us-east-1 Spot price from the Spot pricing page, not verified by flightdeck (Spot prices change with supply and demand; check the page or the Spot price history)";

function spot(usd: number): Price {
  return { usd, unit: "instance-hour", source: PRICE_SOURCES.spot, estimate: SPOT_ESTIMATE };
}
function rds(engine: DbEngine, usd: number): Price {
  return {
    usd,
    unit: "instance-hour",
    source: engine === "postgres" ? PRICE_SOURCES.rdsPostgres : PRICE_SOURCES.rdsMysql,
  };
}
function node(usd: number): Price {
  return { usd, unit: "node-hour", source: PRICE_SOURCES.elasticache };
}

export const PRICES: PriceTable = {
  asOf: "2025-06-01",
  region: "us-east-1",
  currency: "USD",
  ec2: {
    "t4g.nano": ec2(0.0042),
    "t4g.micro": ec2(0.0084),
    "t4g.small": ec2(0.0168),
    "t4g.medium": ec2(0.0336),
    "t4g.large": ec2(0.0672),
    "t4g.xlarge": ec2(0.1344),
    "t3.micro": ec2(0.0104),
    "t3.small": ec2(0.0208),
    "t3.medium": ec2(0.0416),
    "t3.large": ec2(0.0832),
    "m7g.medium": ec2(0.0408),
    "m7g.large": ec2(0.0816),
    "m7g.xlarge": ec2(0.1632),
    "m6g.large": ec2(0.077),
    "m7i.large": ec2(0.1008),
    "m5.large": ec2(0.096),
    "c7g.medium": ec2(0.0363),
    "c6g.medium": ec2(0.034),
    "m6g.medium": ec2(0.0385),
    "t3a.small": ec2(0.0188),
    "c7g.large": ec2(0.0725),
    "c7g.xlarge": ec2(0.145),
    "c6g.large": ec2(0.068),
    "r7g.large": ec2(0.1071),
  },
  // Each an estimate (see SPOT_ESTIMATE): the Spot price of a pool changes over time.
  spot: {
    "t4g.small": spot(0.0054),
    "t4g.medium": spot(0.0108),
    "t4g.large": spot(0.0216),
    "c6g.medium": spot(0.0145),
    "c7g.medium": spot(0.0158),
    "m6g.medium": spot(0.017),
    "m7g.medium": spot(0.018),
    "t3.small": spot(0.0074),
    "t3.medium": spot(0.0148),
    "t3a.small": spot(0.0072),
  },
  ebs: {
    gp3: { usd: 0.08, unit: "GB-month", source: PRICE_SOURCES.ebs },
    gp2: { usd: 0.1, unit: "GB-month", source: PRICE_SOURCES.ebs },
  },
  rds: {
    postgres: {
      "db.t4g.micro": rds("postgres", 0.016),
      "db.t4g.small": rds("postgres", 0.032),
      "db.t4g.medium": rds("postgres", 0.065),
      "db.t4g.large": rds("postgres", 0.129),
      "db.m6g.large": rds("postgres", 0.159),
      "db.r6g.large": rds("postgres", 0.225),
    },
    mysql: {
      "db.t4g.micro": rds("mysql", 0.016),
      "db.t4g.small": rds("mysql", 0.032),
      "db.t4g.medium": rds("mysql", 0.065),
      "db.t4g.large": rds("mysql", 0.129),
      "db.m6g.large": rds("mysql", 0.152),
      "db.r6g.large": rds("mysql", 0.215),
    },
  },
  rdsStorage: {
    gp3: { usd: 0.115, unit: "GB-month", source: PRICE_SOURCES.rdsPostgres },
    gp2: { usd: 0.115, unit: "GB-month", source: PRICE_SOURCES.rdsPostgres },
  },
  elasticache: {
    redis: {
      "cache.t4g.micro": node(0.016),
      "cache.t4g.small": node(0.032),
      "cache.t4g.medium": node(0.065),
      "cache.m7g.large": node(0.158),
      "cache.r6g.large": node(0.206),
      "cache.r7g.large": node(0.219),
    },
    // Valkey node-based prices are published 20% below Redis OSS for the same node type.
    valkey: {
      "cache.t4g.micro": node(0.0128),
      "cache.t4g.small": node(0.0256),
      "cache.t4g.medium": node(0.052),
      "cache.m7g.large": node(0.1264),
      "cache.r6g.large": node(0.1648),
      "cache.r7g.large": node(0.1752),
    },
  },
  albHour: { usd: 0.0225, unit: "load-balancer-hour", source: PRICE_SOURCES.elb },
  albLcuHour: { usd: 0.008, unit: "LCU-hour", source: PRICE_SOURCES.elb },
  nlbHour: { usd: 0.0225, unit: "load-balancer-hour", source: PRICE_SOURCES.elb },
  nlbLcuHour: { usd: 0.006, unit: "LCU-hour", source: PRICE_SOURCES.elb },
  natGatewayHour: { usd: 0.045, unit: "NAT-gateway-hour", source: PRICE_SOURCES.vpc },
  publicIpv4Hour: { usd: 0.005, unit: "address-hour", source: PRICE_SOURCES.vpc },
};

/** Hours in the month AWS bills GB-month prices over, and the estimate's month. */
export const HOURS_PER_MONTH = 730;
export const HOURS_PER_DAY = 24;

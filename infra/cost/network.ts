/**
 * Pricing the network: NAT gateways (seen through awsx's Vpc or on their own),
 * Elastic IPs, load balancers and their public IPv4 addresses.
 */
import { array, get, num, str } from "../inputs.js";
import type { ResourceRecord } from "../resources.js";
import { line, none, type Priced, type PricingContext, unpriced, unpricedOnly } from "./lines.js";
import type { Price } from "./prices.js";

/**
 * awsx's Vpc is a remote component: its NAT gateways and their Elastic IPs are
 * not visible as records, so they are priced from its strategy and AZ count.
 * awsx's defaults apply when they are not set: three AZs, one NAT per AZ.
 */
export function priceAwsxVpc(record: ResourceRecord, ctx: PricingContext): Priced {
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

export function priceNatGateway(record: ResourceRecord, ctx: PricingContext): Priced {
  // Its Elastic IP, if any, is a separate `Eip` record and priced there.
  return { lines: [line(record, "NAT gateway", 1, ctx.prices.natGatewayHour)], unpriced: [] };
}

export function priceEip(record: ResourceRecord, ctx: PricingContext): Priced {
  return {
    lines: [line(record, "public IPv4 address (Elastic IP)", 1, ctx.prices.publicIpv4Hour)],
    unpriced: [],
  };
}

export function priceLoadBalancer(record: ResourceRecord, ctx: PricingContext): Priced {
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
function loadBalancerAzCount(record: ResourceRecord, ctx: PricingContext): number | undefined {
  const subnets = record.inputs.subnets ?? record.inputs.subnetMappings;
  if (Array.isArray(subnets) && subnets.length > 0) return subnets.length;
  const vpcs = ctx.records.filter((r) => r.type === "awsx:ec2:Vpc");
  const only = vpcs.length === 1 ? vpcs[0] : undefined;
  return only ? vpcAzCount(only) : undefined;
}

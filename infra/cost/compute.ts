/**
 * Pricing machines: Auto Scaling groups (desired capacity x their launch
 * template's instance type, plus its volumes), single instances and EBS volumes.
 */
import { array, get, num, str } from "../inputs.js";
import type { ResourceRecord } from "../resources.js";
import { add, line, none, type Priced, type PricingContext, unpriced, unpricedOnly } from "./lines.js";
import type { Price } from "./prices.js";
import { averageCapacity, groupSchedule, scheduledActionsOf } from "./schedule.js";

export function priceAutoScalingGroup(record: ResourceRecord, ctx: PricingContext): Priced {
  const desired = num(record.inputs.desiredCapacity) ?? num(record.inputs.minSize);
  const mixed = get(record.inputs, "mixedInstancesPolicy");
  const templateId =
    str(get(record.inputs, "launchTemplate", "id")) ??
    str(get(mixed, "launchTemplate", "launchTemplateSpecification", "launchTemplateId"));
  const template = templateId === undefined ? undefined : ctx.byId.get(templateId);
  if (desired === undefined) {
    return unpricedOnly(record, "instances", "desired capacity is unknown in the plan");
  }
  if (!template) {
    return unpricedOnly(record, "instances", "its launch template is not among the planned resources");
  }
  const { count, awakeShare } = scheduledCapacity(record, desired, ctx);
  const out = none();
  if (mixed !== undefined) {
    add(out, mixedInstancesLine(record, mixed, count, ctx));
  } else {
    const instanceType = str(template.inputs.instanceType);
    if (instanceType === undefined) {
      out.unpriced.push(unpriced(record, "instances", "the launch template sets no instance type"));
    } else {
      add(out, instanceLine(record, instanceType, count, ctx));
    }
  }
  for (const l of out.lines) if (awakeShare !== undefined) l.awakeShare = awakeShare;
  // Counted around the clock even on a schedule: an upper bound (the volume goes while the machine sleeps).
  const always = awakeShare === undefined ? "" : ", always";
  for (const [index, mapping] of array(template.inputs.blockDeviceMappings).entries()) {
    const size = num(get(mapping, "ebs", "volumeSize"));
    const volumeType = str(get(mapping, "ebs", "volumeType"));
    const device = str(get(mapping, "deviceName")) ?? `device ${index}`;
    if (size === undefined) {
      out.unpriced.push(unpriced(record, `EBS volume ${device}`, "the volume size comes from the image"));
      continue;
    }
    add(
      out,
      volumeLine(record, volumeType, size * count, ctx, ` (${count} x ${size} GB, ${device}${always})`),
    );
  }
  return out;
}

/**
 * The machines a group runs at its peak, and the share of the week they run,
 * from its scheduled actions (`schedule.ts`). No (readable) actions: its
 * desired capacity around the clock.
 */
function scheduledCapacity(
  record: ResourceRecord,
  desired: number,
  ctx: PricingContext,
): { count: number; awakeShare?: number } {
  const { changes, unreadable } = groupSchedule(scheduledActionsOf(record, ctx.records));
  if (changes.length === 0 || unreadable.length > 0) return { count: desired };
  const count = Math.max(desired, ...changes.map((c) => c.desired));
  if (count === 0) return { count };
  return { count, awakeShare: averageCapacity(changes, desired) / count };
}

/**
 * A mixed instances policy: all Spot (`OnDemandPercentageAboveBaseCapacity` 0,
 * no On-Demand base) is priced at the cheapest listed type's Spot estimate
 * (price-capacity-optimized favours the lowest-priced pools that have
 * capacity); anything else at the cheapest listed type's On-Demand price.
 */
function mixedInstancesLine(
  record: ResourceRecord,
  mixed: unknown,
  count: number,
  ctx: PricingContext,
): Priced {
  const types = array(get(mixed, "launchTemplate", "overrides"))
    .map((o) => str(get(o, "instanceType")))
    .filter((t): t is string => t !== undefined);
  const base = num(get(mixed, "instancesDistribution", "onDemandBaseCapacity")) ?? 0;
  // AWS's default above the base is 100% On-Demand.
  const above = num(get(mixed, "instancesDistribution", "onDemandPercentageAboveBaseCapacity")) ?? 100;
  const spot = base === 0 && above === 0;
  const table = spot ? ctx.prices.spot : ctx.prices.ec2;
  const priced = types
    .filter((t) => table[t] !== undefined)
    .sort((a, b) => (table[a]?.usd ?? 0) - (table[b]?.usd ?? 0));
  const cheapest = priced[0];
  if (types.length === 0)
    return unpricedOnly(record, "instances", "the mixed instances policy lists no instance type");
  if (cheapest === undefined) {
    return unpricedOnly(
      record,
      `EC2 ${types.join(", ")}`,
      `none of them has a ${spot ? "Spot" : "On-Demand"} price in the table`,
    );
  }
  const dearest = priced[priced.length - 1] as string;
  const others =
    types.length > 1 ? `; cheapest of ${types.length} types, up to $${table[dearest]?.usd}/h` : "";
  const label = spot ? `Spot estimate${others}` : `on-demand${others}`;
  return {
    lines: [line(record, `EC2 ${cheapest} (Linux, ${label})`, count, table[cheapest] as Price)],
    unpriced: [],
  };
}

export function priceInstance(record: ResourceRecord, ctx: PricingContext): Priced {
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

export function priceEbsVolume(record: ResourceRecord, ctx: PricingContext): Priced {
  const size = num(record.inputs.size);
  if (size === undefined) return unpricedOnly(record, "EBS volume", "its size is unknown in the plan");
  const out = none();
  add(out, volumeLine(record, str(record.inputs.type), size, ctx, ""));
  return out;
}

function instanceLine(
  record: ResourceRecord,
  instanceType: string,
  count: number,
  ctx: PricingContext,
): Priced {
  const price = ctx.prices.ec2[instanceType];
  if (!price) return unpricedOnly(record, `EC2 ${instanceType}`, `${instanceType} is not in the price table`);
  return { lines: [line(record, `EC2 ${instanceType} (Linux, on-demand)`, count, price)], unpriced: [] };
}

function volumeLine(
  record: ResourceRecord,
  volumeType: string | undefined,
  gb: number,
  ctx: PricingContext,
  detail: string,
): Priced {
  // With no type set, EC2 uses the image's, which for images built by Packer's amazon-ebs is gp2.
  const type = volumeType ?? "gp2";
  const price = ctx.prices.ebs[type];
  if (!price) return unpricedOnly(record, `EBS ${type} volume${detail}`, `${type} is not in the price table`);
  return { lines: [line(record, `EBS ${type} volume${detail}`, gb, price)], unpriced: [] };
}

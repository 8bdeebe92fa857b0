/**
 * Pricing machines: Auto Scaling groups (desired capacity x their launch
 * template's instance type, plus its volumes), single instances and EBS volumes.
 */
import { array, get, num, str } from "../inputs.js";
import type { ResourceRecord } from "../resources.js";
import { add, line, none, type Priced, type PricingContext, unpriced, unpricedOnly } from "./lines.js";

export function priceAutoScalingGroup(record: ResourceRecord, ctx: PricingContext): Priced {
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

/**
 * Subnet layout of a stack's network: plain IPv4 arithmetic, no Pulumi.
 *
 * The VPC is cut in two halves: the first half holds one private subnet per AZ
 * (where every machine, database and cache lives), the second half's first
 * half holds one public subnet per AZ (only the load balancer and NAT gateways).
 * The last quarter stays free for later needs (isolated subnets, endpoints).
 * AZ slots are rounded up to a power of two so every subnet is aligned.
 *
 * The config schema checks a VPC block here too (`vpcCidrProblem`): a private
 * (RFC 1918) block of /16 to /24, given by its network address, big enough for
 * its AZs, with one message naming what is wrong.
 */

/** AWS's smallest subnet is a /28. */
const SMALLEST_SUBNET_PREFIX = 28;

export interface SubnetLayout {
  privateCidrs: string[];
  publicCidrs: string[];
  privatePrefix: number;
  publicPrefix: number;
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** The address (as a number) and prefix of an IPv4 CIDR block, or `undefined` when it is not one. */
function readCidr(cidr: string): { address: number; prefix: number } | undefined {
  const m = CIDR.exec(cidr);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  return { address: octets.reduce((acc, o) => acc * 256 + o, 0), prefix };
}

function parseCidr(cidr: string): { base: number; prefix: number } {
  const block = readCidr(cidr);
  if (!block) throw new Error(`not an IPv4 CIDR block: ${cidr}`);
  const size = 2 ** (32 - block.prefix);
  // Normalise to the block's network address (10.20.5.0/16 means 10.20.0.0/16).
  return { base: block.address - (block.address % size), prefix: block.prefix };
}

function formatCidr(address: number, prefix: number): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256);
  return `${octets.join(".")}/${prefix}`;
}

/** Number of aligned AZ slots: the AZ count rounded up to a power of two. */
function azSlots(azs: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, azs)));
}

/** The largest VPC prefix that still fits `azs` public subnets of at least /28. */
export function maxVpcPrefixFor(azs: number): number {
  return SMALLEST_SUBNET_PREFIX - Math.log2(azSlots(azs)) - 2;
}

/** Private and public subnet CIDR blocks for each AZ, in AZ order. Throws when the VPC is too small. */
export function subnetLayout(cidr: string, azs: number): SubnetLayout {
  if (!Number.isInteger(azs) || azs < 1) throw new Error(`azs must be a positive integer, got ${azs}`);
  const { base, prefix } = parseCidr(cidr);
  const slotBits = Math.log2(azSlots(azs));
  const privatePrefix = prefix + 1 + slotBits;
  const publicPrefix = prefix + 2 + slotBits;
  if (publicPrefix > SMALLEST_SUBNET_PREFIX) {
    throw new Error(
      `a /${prefix} network is too small for ${azs} availability zones (use /${maxVpcPrefixFor(azs)} or larger)`,
    );
  }
  const half = 2 ** (32 - prefix - 1);
  const privateSize = 2 ** (32 - privatePrefix);
  const publicSize = 2 ** (32 - publicPrefix);
  const indexes = Array.from({ length: azs }, (_, i) => i);
  return {
    privateCidrs: indexes.map((i) => formatCidr(base + i * privateSize, privatePrefix)),
    publicCidrs: indexes.map((i) => formatCidr(base + half + i * publicSize, publicPrefix)),
    privatePrefix,
    publicPrefix,
  };
}

/** The prefixes a VPC block may have here: AWS allows /16 to /28; flightdeck needs room for its subnets. */
export const VPC_PREFIX = { largest: 16, smallest: 24 } as const;

/** The private IPv4 ranges of RFC 1918, where a VPC's block must lie. */
const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;

function isPrivate(base: number, prefix: number): boolean {
  const size = 2 ** (32 - prefix);
  return PRIVATE_RANGES.some((range) => {
    const r = parseCidr(range);
    return base >= r.base && base + size <= r.base + 2 ** (32 - r.prefix);
  });
}

/**
 * What is wrong with a VPC block on its own (its form, prefix, range and host
 * bits), or `undefined` for a good one. One message per block, naming it and
 * what is accepted.
 */
export function cidrShapeProblem(cidr: string): string | undefined {
  const block = readCidr(cidr);
  if (!block || block.prefix < VPC_PREFIX.largest || block.prefix > VPC_PREFIX.smallest) {
    return `must be an IPv4 CIDR block with a prefix from /${VPC_PREFIX.largest} to /${VPC_PREFIX.smallest}, like 10.20.0.0/16`;
  }
  const { base, prefix } = parseCidr(cidr);
  if (!isPrivate(base, prefix)) {
    return `${cidr} is a public range: use a block inside the RFC 1918 private ranges ${PRIVATE_RANGES.slice(0, -1).join(", ")} or ${PRIVATE_RANGES.at(-1)}, like 10.20.0.0/16`;
  }
  if (base !== block.address) return `${cidr} has host bits set; did you mean ${formatCidr(base, prefix)}?`;
  return undefined;
}

/** What is wrong with a VPC block for `azs` availability zones, or `undefined` for a good one. */
export function vpcCidrProblem(cidr: string, azs: number): string | undefined {
  const shape = cidrShapeProblem(cidr);
  if (shape !== undefined) return shape;
  const { prefix } = parseCidr(cidr);
  const largest = maxVpcPrefixFor(azs);
  if (prefix > largest) {
    return `a /${prefix} network is too small for ${azs} availability zones (use /${largest} or larger)`;
  }
  return undefined;
}

/**
 * Subnet layout of a stack's network: plain IPv4 arithmetic, no Pulumi.
 *
 * The VPC is cut in two halves: the first half holds one private subnet per AZ
 * (where every machine, database and cache lives), the second half's first
 * half holds one public subnet per AZ (only the load balancer and NAT gateways).
 * The last quarter stays free for later needs (isolated subnets, endpoints).
 * AZ slots are rounded up to a power of two so every subnet is aligned.
 */

/** AWS's smallest subnet is a /28. */
const SMALLEST_SUBNET_PREFIX = 28;

export interface SubnetLayout {
  privateCidrs: string[];
  publicCidrs: string[];
  privatePrefix: number;
  publicPrefix: number;
}

function parseCidr(cidr: string): { base: number; prefix: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) throw new Error(`not an IPv4 CIDR block: ${cidr}`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) throw new Error(`not an IPv4 CIDR block: ${cidr}`);
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  // Normalise to the block's network address (10.20.5.0/16 means 10.20.0.0/16).
  return { base: address - (address % size), prefix };
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

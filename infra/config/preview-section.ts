/**
 * The preview's size and purchase option (`preview.instanceTypes`,
 * `preview.minMemoryGib`, `preview.purchase`), its sleep schedule
 * (`preview-schedule.ts`), and what flightdeck writes on a preview stack
 * besides its commit (`previewMeta.rulePriority`, `slug`, `power`).
 *
 * The minimum memory rule: every listed instance type must be in
 * `INSTANCE_TYPES` (memory and CPU architecture as EC2 publishes them,
 * https://aws.amazon.com/ec2/instance-types/) and have at least `minMemoryGib`;
 * all of them share one architecture, since they boot the same image.
 */
import { z } from "zod";
import { previewScheduleSchema } from "./preview-schedule.js";

export interface InstanceTypeInfo {
  memoryGib: number;
  architecture: "arm64" | "x86_64";
}

const arm = (memoryGib: number): InstanceTypeInfo => ({ memoryGib, architecture: "arm64" });
const x86 = (memoryGib: number): InstanceTypeInfo => ({ memoryGib, architecture: "x86_64" });

/** The instance types a preview may run on: memory (GiB) and architecture. */
export const INSTANCE_TYPES: Readonly<Record<string, InstanceTypeInfo>> = {
  "t4g.nano": arm(0.5),
  "t4g.micro": arm(1),
  "t4g.small": arm(2),
  "t4g.medium": arm(4),
  "t4g.large": arm(8),
  "t4g.xlarge": arm(16),
  "c6g.medium": arm(2),
  "c7g.medium": arm(2),
  "m6g.medium": arm(4),
  "m7g.medium": arm(4),
  "c6g.large": arm(4),
  "c7g.large": arm(4),
  "m6g.large": arm(8),
  "m7g.large": arm(8),
  "r6g.medium": arm(8),
  "t3.nano": x86(0.5),
  "t3.micro": x86(1),
  "t3.small": x86(2),
  "t3.medium": x86(4),
  "t3.large": x86(8),
  "t3a.small": x86(2),
  "t3a.medium": x86(4),
  "c5.large": x86(4),
  "m5.large": x86(8),
  "m7i.large": x86(8),
};

/** The default smallest preview: app, worker, beat, Postgres and Redis fit in 2 GiB. */
export const DEFAULT_MIN_MEMORY_GIB = 2;

/**
 * Several Graviton types of at least 2 GiB, so Spot has several capacity pools
 * to choose from (the first is the cheapest, the one the cost estimate prices).
 */
export const DEFAULT_PREVIEW_INSTANCE_TYPES = ["t4g.small", "c7g.medium", "c6g.medium", "t4g.medium"];

const instanceTypeName = z
  .string()
  .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { message: "must be an EC2 instance type like t4g.small" });

/** The sizing fields of `preview`, spread into its schema in `sections.ts`. */
export const previewSizingShape = {
  /**
   * The instance types the preview's group of one may launch (a mixed instances
   * policy: Spot picks among them, price-capacity-optimized).
   */
  instanceTypes: z
    .array(instanceTypeName)
    .min(1)
    .max(20, { message: "list at most 20 instance types (the Auto Scaling limit per group is 40)" })
    .default(DEFAULT_PREVIEW_INSTANCE_TYPES),
  /** The least memory a preview machine may have, in GiB. */
  minMemoryGib: z.number().min(0.5).max(64).default(DEFAULT_MIN_MEMORY_GIB),
  /**
   * `spot` (default): every preview machine is a Spot Instance; `on-demand`:
   * every one is On-Demand (the switch to use when Spot has no capacity).
   */
  purchase: z.enum(["spot", "on-demand"]).default("spot"),
  /** When previews sleep (they scale to 0 and their URL shows a sleeping page). */
  schedule: previewScheduleSchema.default(() => previewScheduleSchema.parse({})),
};

export interface PreviewSizing {
  instanceTypes: readonly string[];
  minMemoryGib: number;
}

/** What is wrong with the sizing, each with the path of the field (empty when all is well). */
export function previewSizingProblems(
  sizing: PreviewSizing,
): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const known = Object.keys(INSTANCE_TYPES).join(", ");
  sizing.instanceTypes.forEach((type, i) => {
    const info = INSTANCE_TYPES[type];
    if (info === undefined) {
      problems.push({
        path: ["instanceTypes", i],
        message: `${type} is not a type flightdeck knows the memory of; use one of ${known}`,
      });
    } else if (info.memoryGib < sizing.minMemoryGib) {
      problems.push({
        path: ["instanceTypes", i],
        message: `${type} has ${info.memoryGib} GiB of memory, less than preview.minMemoryGib (${sizing.minMemoryGib} GiB); use a larger type such as t4g.small`,
      });
    }
  });
  const archs = new Set(sizing.instanceTypes.flatMap((t) => INSTANCE_TYPES[t]?.architecture ?? []));
  if (archs.size > 1) {
    problems.push({
      path: ["instanceTypes"],
      message:
        "mixes arm64 and x86_64 types; the preview image is built for one architecture: list types of one",
    });
  }
  if (new Set(sizing.instanceTypes).size !== sizing.instanceTypes.length) {
    problems.push({ path: ["instanceTypes"], message: "names a type twice" });
  }
  return problems;
}

/** The least memory among the types (what a preview machine is sure to have). */
export function leastMemoryGib(instanceTypes: readonly string[]): number | undefined {
  const sizes = instanceTypes.map((t) => INSTANCE_TYPES[t]?.memoryGib);
  if (sizes.some((s) => s === undefined) || sizes.length === 0) return undefined;
  return Math.min(...(sizes as number[]));
}

/** A branch preview's DNS label: 1..40 of a-z, 0-9 and inner hyphens. */
export const PREVIEW_SLUG = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export const previewPowerSchema = z
  .object({
    /** asleep: capacity 0 and the sleeping page, whatever the schedule; awake: capacity 1. */
    state: z.enum(["asleep", "awake"]),
    /** For awake: until when (the next scheduled sleep), as an ISO time. */
    until: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

/** The fields of `previewMeta` besides the commit, spread into its schema in `sections.ts`. */
export const previewMetaExtraShape = {
  /** The listener rule priority `preview up` allocated (absent: derived from the commit). */
  rulePriority: z
    .number()
    .int({ message: "must be a whole number" })
    .min(1, { message: "must be 1 to 50000 (ALB listener rule priorities)" })
    .max(50_000, { message: "must be 1 to 50000 (ALB listener rule priorities)" })
    .optional(),
  /** A branch preview's DNS label: served at `<slug>.<domain>`. */
  slug: z
    .string()
    .min(1)
    .max(40, { message: "must be at most 40 characters" })
    .regex(PREVIEW_SLUG, {
      message: "must be a DNS label: lower-case letters, digits and inner hyphens",
    })
    .optional(),
  /** A sleep or wake by hand (`flightdeck preview sleep|wake`), which wins over the schedule. */
  power: previewPowerSchema.optional(),
};

export type PreviewPower = z.output<typeof previewPowerSchema>;

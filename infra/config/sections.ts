/**
 * The sections of a stack config (`network`, `database`, `tiers`, `preview`,
 * ...), each a strict zod object with the rules that involve only its own
 * fields. The whole config and the rules across sections are in `schema.ts`
 * and `cross-field-rules.ts`.
 */
import { z } from "zod";
import { cidrShapeProblem, vpcCidrProblem } from "../cidr.js";
import { engineVersionProblems } from "./database-version.js";
import { durationMs, durationSchema } from "./duration.js";
import { previewMetaExtraShape, previewSizingProblems, previewSizingShape } from "./preview-section.js";

const SHA_FULL = /^[0-9a-f]{40}$/;
const AMI_ID = /^ami-[0-9a-f]{8}([0-9a-f]{9})?$/;
/** RDS snapshot: a name (letters, digits, hyphens; starts with a letter) or a snapshot ARN. */
const RDS_SNAPSHOT =
  /^([a-zA-Z][a-zA-Z0-9]*(-[a-zA-Z0-9]+)*|arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:(cluster-)?snapshot:[a-zA-Z][a-zA-Z0-9-:]*)$/;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export const dnsName = z
  .string()
  .regex(DNS_NAME, { message: "must be a lower-case DNS name like app.example.com" });

export const fullSha = z
  .string()
  .regex(SHA_FULL, { message: "must be a full 40-character lower-case commit SHA" });

const count = z.number().int().min(0).max(100);

const tierShape = {
  instanceType: z
    .string()
    .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { message: "must be an EC2 instance type like t4g.small" }),
  min: count,
  desired: count,
  max: count,
  /** Average CPU utilisation the target-tracking policy aims for, in percent. */
  targetCpu: z.number().min(10).max(90).default(60),
  /** Root volume size in GiB. */
  volumeGb: z.number().int().min(8).max(1024).default(20),
};

function checkCapacity(tier: { min: number; desired: number; max: number }, ctx: z.RefinementCtx): void {
  if (!(tier.min <= tier.desired && tier.desired <= tier.max)) {
    ctx.addIssue({
      code: "custom",
      message: `min <= desired <= max must hold (got min ${tier.min}, desired ${tier.desired}, max ${tier.max})`,
    });
  }
}

export const tierSchema = z.object(tierShape).strict().superRefine(checkCapacity);

export const contentTierSchema = z
  .object({
    ...tierShape,
    /** Path patterns the load balancer routes to the content tier. */
    pathPatterns: z.array(z.string().startsWith("/")).min(1).max(5).default(["/content/*"]),
  })
  .strict()
  .superRefine(checkCapacity);

export const networkSchema = z
  .object({
    /** A private (RFC 1918) IPv4 block, /16 to /24, given by its network address. */
    cidr: z.string().superRefine((cidr, ctx) => {
      const problem = cidrShapeProblem(cidr);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
    }),
    /** Availability zones to spread subnets over. */
    azs: z.number().int().min(1).max(6),
    /** `perAz`: one NAT gateway per AZ; `single`: one shared; `none`: no outbound internet from private subnets. */
    nat: z.enum(["perAz", "single", "none"]),
  })
  .strict()
  .superRefine((net, ctx) => {
    // Only a block the field itself accepts is measured against its AZs: one message per block.
    if (cidrShapeProblem(net.cidr) !== undefined) return;
    const problem = vpcCidrProblem(net.cidr, net.azs);
    if (problem !== undefined) ctx.addIssue({ code: "custom", path: ["cidr"], message: problem });
  });

export const databaseSchema = z
  .object({
    engine: z.enum(["postgres", "mysql"]),
    /** A major version (`16`: RDS applies minor upgrades) or a pinned minor (`16.4`): `database-version.ts`. */
    engineVersion: z.string().regex(/^\d+(\.\d+)*$/, { message: "must be a version like 16 or 16.4" }),
    /** Optional: implied by engineVersion's form; when given it must agree with it. */
    autoMinorVersionUpgrade: z.boolean().optional(),
    instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, {
      message: "must be an RDS instance class like db.t4g.medium",
    }),
    allocatedStorageGb: z.number().int().min(20).max(65536),
    /** Upper bound for storage autoscaling; omit to disable it. */
    maxAllocatedStorageGb: z.number().int().min(20).max(65536).optional(),
    /** Snapshot to restore from (an anonymised copy of production outside production). */
    snapshotIdentifier: z
      .string()
      .regex(RDS_SNAPSHOT, {
        message:
          "must be an RDS snapshot name (letters, digits, hyphens, starting with a letter) or a snapshot ARN",
      })
      .optional(),
    multiAz: z.boolean(),
    backupRetentionDays: z.number().int().min(0).max(35),
    deletionProtection: z.boolean(),
    /**
     * `rds-managed`: RDS keeps the master password in Secrets Manager, rotates it, and the
     * instances read it with their role; it never passes through config, state or outputs.
     * (A `generated` mode was dropped: with no `random` provider plugin here, a password made
     * with node:crypto at each program run would change on every update and break the apps.)
     */
    passwordManagement: z
      .enum(["rds-managed"], {
        message:
          "must be rds-managed (RDS keeps the master password in Secrets Manager; a password generated at each program run would change on every update)",
      })
      .default("rds-managed"),
    databaseName: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,62}$/)
      .default("app"),
    username: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,15}$/)
      .default("app"),
  })
  .strict()
  .superRefine((db, ctx) => {
    if (db.maxAllocatedStorageGb !== undefined && db.maxAllocatedStorageGb < db.allocatedStorageGb) {
      ctx.addIssue({
        code: "custom",
        path: ["maxAllocatedStorageGb"],
        message: `must be at least allocatedStorageGb (${db.allocatedStorageGb})`,
      });
    }
    for (const problem of engineVersionProblems(db)) ctx.addIssue({ code: "custom", ...problem });
  });

export const cacheSchema = z
  .object({
    engine: z.enum(["valkey", "redis"]).default("valkey"),
    engineVersion: z.string().regex(/^\d+(\.\d+)*$/, { message: "must be a version like 8.0" }),
    nodeType: z.string().regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, {
      message: "must be an ElastiCache node type like cache.t4g.small",
    }),
    /** Read replicas besides the primary (0 to 5). */
    replicas: z.number().int().min(0).max(5),
  })
  .strict();

export const tiersSchema = z
  .object({
    app: tierSchema,
    worker: tierSchema,
    scheduler: tierSchema,
    content: contentTierSchema.optional(),
  })
  .strict()
  .superRefine((tiers, ctx) => {
    if (tiers.scheduler.max > 1) {
      ctx.addIssue({
        code: "custom",
        path: ["scheduler", "max"],
        message: "the scheduler runs at most one instance (exactly one Celery beat); set max to 1",
      });
    }
    const s = tiers.scheduler;
    if (s.max <= 1 && !(s.min === s.desired && s.desired === s.max)) {
      ctx.addIssue({
        code: "custom",
        path: ["scheduler"],
        message: `min, desired and max must be equal: 1 runs Celery beat, 0 pauses it (got ${s.min}/${s.desired}/${s.max})`,
      });
    }
    if (tiers.app.min < 1) {
      ctx.addIssue({ code: "custom", path: ["app", "min"], message: "at least one app server must run" });
    }
  });

export const imageSchema = z
  .object({
    /** Full 40-character commit SHA the image was built from (set by `flightdeck deploy`). */
    commit: fullSha.optional(),
    /** An explicit AMI id; overrides the lookup by commit tag. */
    amiId: z.string().regex(AMI_ID, { message: "must be an AMI id like ami-0123456789abcdef0" }).optional(),
  })
  .strict();

export const deploySchema = z
  .object({
    /** Healthy capacity kept during a rolling refresh, in percent of desired (100 = launch before terminate). */
    minHealthyPercentage: z.number().int().min(0).max(100).default(100),
    /** Capacity allowed above desired during a refresh, in percent. */
    maxHealthyPercentage: z.number().int().min(100).max(200).default(200),
    /** Seconds a new instance gets before its health counts. */
    instanceWarmupSeconds: z.number().int().min(0).max(3600).default(120),
    /**
     * Seconds a worker gets to finish running tasks before it is terminated (the timeout
     * of its termination lifecycle hook: AWS allows 30 to 7200).
     */
    workerDrainSeconds: z
      .number()
      .int()
      .min(30, { message: "must be at least 30 (the shortest lifecycle hook timeout AWS allows)" })
      .max(7200, { message: "must be at most 7200 (the longest lifecycle hook timeout AWS allows)" })
      .default(600),
    /** Roll a failed refresh back to the previous launch template version. */
    autoRollback: z.boolean().default(true),
    /** The longest the release phase (migrations on a one-shot machine) may take before the deploy fails. */
    releaseTimeout: durationSchema.default("15m"),
    /** The longest a rollout (instance refreshes, target health, the URL serving the commit) may take. */
    rolloutTimeout: durationSchema.default("30m"),
  })
  .strict();

const BITBUCKET_UUID = /^\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}$/;
const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const PERSON_NAME = /^[a-z][a-z0-9._-]{0,62}$/;

/** One person: the e-mails they commit with (as author or co-author) and the identities CIs report for them. */
export const personSchema = z
  .object({
    emails: z.array(z.email({ message: "must be an e-mail address" })).min(1),
    /** Bitbucket account UUID, as Pipelines reports it in BITBUCKET_STEP_TRIGGERER_UUID: `{…}`. */
    bitbucket: z
      .string()
      .regex(BITBUCKET_UUID, { message: "must be a Bitbucket account UUID in braces, like {0f1e2d3c-…}" })
      .optional(),
    /** GitHub login, as Actions reports it in GITHUB_TRIGGERING_ACTOR. */
    github: z.string().regex(GITHUB_LOGIN, { message: "must be a GitHub login" }).optional(),
  })
  .strict();

/** Every identity of a person, as an actor id: e-mails (lower-cased), `bitbucket:{uuid}`, `github:<login>`. */
export function identitiesOf(person: z.output<typeof personSchema>): string[] {
  return [
    ...person.emails.map((e) => e.toLowerCase()),
    ...(person.bitbucket ? [`bitbucket:${person.bitbucket.toLowerCase()}`] : []),
    ...(person.github ? [`github:${person.github.toLowerCase()}`] : []),
  ];
}

/** Whether an `allowedDeployers` entry is a raw identity (an e-mail, `bitbucket:…`, `github:…`) rather than a person. */
export function isRawIdentity(entry: string): boolean {
  return entry.includes("@") || entry.includes(":");
}

export const protectionSchema = z
  .object({
    /** Who is who (name: e-mails and CI identities), so the guards compare people, not spellings. */
    people: z
      .record(
        z.string().regex(PERSON_NAME, { message: "must be a lower-case name like alice" }),
        personSchema,
      )
      .default({}),
    /** People (names in `people`) or raw identities allowed to deploy; empty means anyone. */
    allowedDeployers: z.array(z.string().min(3)).default([]),
    /** Refuse deploys by an author or co-author of a commit being released. */
    separationOfDuties: z.boolean().default(false),
    /** The branch a deployed commit must be reachable from; omit for any. */
    allowedBranch: z.string().min(1).optional(),
    /** Require a clean work tree when deploying. */
    requireCleanTree: z.boolean().default(false),
    /** Production only: accept a deploy from a terminal, whose actor (git's user.email) is unverified. */
    allowTerminalDeploys: z.boolean().default(false),
  })
  .strict()
  .superRefine((p, ctx) => {
    p.allowedDeployers.forEach((entry, i) => {
      if (isRawIdentity(entry)) {
        if (entry.includes(":") && !/^(bitbucket|github):./.test(entry)) {
          ctx.addIssue({
            code: "custom",
            path: ["allowedDeployers", i],
            message: "must be a person in people, an e-mail, bitbucket:{uuid} or github:<login>",
          });
        }
      } else if (!Object.hasOwn(p.people, entry)) {
        ctx.addIssue({
          code: "custom",
          path: ["allowedDeployers", i],
          message: `names nobody in people (${Object.keys(p.people).join(", ") || "none"}); add them there`,
        });
      }
    });
    const owner = new Map<string, string>();
    for (const [name, person] of Object.entries(p.people)) {
      for (const id of identitiesOf(person)) {
        const other = owner.get(id);
        if (other !== undefined && other !== name) {
          ctx.addIssue({
            code: "custom",
            path: ["people", name],
            message: `${id} is also ${other}'s: an identity belongs to one person`,
          });
        }
        owner.set(id, name);
      }
    }
  });

const previewDataSchema = z.discriminatedUnion("source", [
  z.object({ source: z.literal("empty") }).strict(),
  z.object({ source: z.literal("fixtures"), path: z.string().min(1) }).strict(),
  /** A pg_dump of the anonymised snapshot, loaded into the preview's own on-instance database. */
  z
    .object({
      source: z.literal("dump"),
      s3Uri: z.string().regex(/^s3:\/\/[a-z0-9.-]{3,63}\/.+/, { message: "must be an s3://bucket/key URI" }),
    })
    .strict(),
]);

/** The longest a preview may live unless `preview.maxTtl` says otherwise. */
export const DEFAULT_MAX_PREVIEW_TTL = "30d";

export const previewDefaultsSchema = z
  .object({
    /** Wildcard domain for previews: each commit is served at https://<sha7>.<domain>. */
    domain: dnsName.optional(),
    ttl: durationSchema.default("24h"),
    /** The longest TTL a preview may be given (`ttl` here, or `--ttl`). */
    maxTtl: durationSchema.default(DEFAULT_MAX_PREVIEW_TTL),
    /** Instance types, minimum memory, Spot or On-Demand, sleep schedule: see preview-section.ts. */
    ...previewSizingShape,
    volumeGb: z.number().int().min(8).max(100).default(10),
    /** Where a preview's isolated data comes from. */
    data: previewDataSchema.default({ source: "empty" }),
    /** The stack that holds the shared preview base. */
    baseStack: z.string().min(1).default("previews"),
  })
  .strict()
  .superRefine((preview, ctx) => {
    const ttl = durationMs(preview.ttl);
    const max = durationMs(preview.maxTtl);
    if (ttl !== undefined && max !== undefined && ttl > max) {
      ctx.addIssue({
        code: "custom",
        path: ["ttl"],
        message: `${preview.ttl} is longer than preview.maxTtl (${preview.maxTtl})`,
      });
    }
    for (const problem of previewSizingProblems(preview)) ctx.addIssue({ code: "custom", ...problem });
  });

/** Set by flightdeck on a `preview-<sha7>` stack: the commit it serves, who made it and when it expires. */
export const previewMetaSchema = z
  .object({
    commit: fullSha,
    branch: z.string().optional(),
    author: z.string().optional(),
    createdAt: z.iso.datetime({ offset: true }),
    expiresAt: z.iso.datetime({ offset: true }),
    /** rulePriority, slug (branch previews), power (sleep/wake by hand): see preview-section.ts. */
    ...previewMetaExtraShape,
  })
  .strict();

/** Set by flightdeck on every deploy, so the stack's own update history says who released what, and how. */
export const releaseSchema = z
  .object({
    actor: z.string().min(1),
    operation: z.enum(["deploy", "promote", "rollback", "preview"]),
    at: z.iso.datetime({ offset: true }),
    /** For a promotion: the stack the image was promoted from. */
    from: z.string().optional(),
    /** false when the actor is only a claim (git's user.email at a terminal), not a CI's verified identity. */
    verified: z.boolean().optional(),
  })
  .strict();

export type TierConfig = z.output<typeof tierSchema>;
export type ContentTierConfig = z.output<typeof contentTierSchema>;
export type NetworkConfig = z.output<typeof networkSchema>;
export type DatabaseConfig = z.output<typeof databaseSchema>;
export type CacheConfig = z.output<typeof cacheSchema>;
export type DeployConfig = z.output<typeof deploySchema>;
export type ProtectionConfig = z.output<typeof protectionSchema>;
export type PersonConfig = z.output<typeof personSchema>;
export type PreviewDefaults = z.output<typeof previewDefaultsSchema>;
export type PreviewMeta = z.output<typeof previewMetaSchema>;
export type ReleaseInfo = z.output<typeof releaseSchema>;

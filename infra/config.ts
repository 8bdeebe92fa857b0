/**
 * The one schema for a stack's configuration.
 *
 * Every `Pulumi.<stack>.yaml` is parsed here, from values passed in (a YAML
 * file, the Pulumi runtime's config, or values the automation layer builds),
 * never through `config.get` calls scattered over the program. A bad config
 * fails before anything is touched, listing every problem by file and path.
 */
import { readdir, readFile } from "node:fs/promises";
import { basename } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { maxVpcPrefixFor } from "./cidr.js";
import { ConfigError } from "./errors.js";

/** The Pulumi config namespace of this project's own keys. */
export const CONFIG_NAMESPACE = "flightdeck";

export const ENVIRONMENT_KINDS = ["production", "staging", "testing", "previews", "preview"] as const;
export type EnvironmentKind = (typeof ENVIRONMENT_KINDS)[number];

export const ROLES = ["app", "worker", "scheduler", "content"] as const;
export type Role = (typeof ROLES)[number];

const SHA_FULL = /^[0-9a-f]{40}$/;
const AMI_ID = /^ami-[0-9a-f]{8}([0-9a-f]{9})?$/;
/** RDS snapshot: a name (letters, digits, hyphens; starts with a letter) or a snapshot ARN. */
const RDS_SNAPSHOT =
  /^([a-zA-Z][a-zA-Z0-9]*(-[a-zA-Z0-9]+)*|arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:(cluster-)?snapshot:[a-zA-Z][a-zA-Z0-9-:]*)$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const DURATION = /^(\d+)(m|h|d)$/;

const cidr = z.string().refine(
  (value) => {
    const m = CIDR.exec(value);
    if (!m) return false;
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    return octets.every((o) => o <= 255) && prefix >= 16 && prefix <= 24;
  },
  { message: "must be an IPv4 CIDR block with a prefix from /16 to /24, like 10.20.0.0/16" },
);

const dnsName = z.string().regex(DNS_NAME, { message: "must be a lower-case DNS name like app.example.com" });

/** A duration such as `30m`, `24h` or `7d`. */
export const durationSchema = z
  .string()
  .regex(DURATION, { message: "must be a duration like 30m, 24h or 7d" })
  .refine((value) => parseDurationMs(value) > 0, { message: "must be longer than zero" });

export function parseDurationMs(value: string): number {
  const m = DURATION.exec(value);
  if (!m) throw new Error(`not a duration: ${value}`);
  const n = Number(m[1]);
  const unit = m[2] === "m" ? 60_000 : m[2] === "h" ? 3_600_000 : 86_400_000;
  return n * unit;
}

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

const tierSchema = z.object(tierShape).strict().superRefine(checkCapacity);

export type TierConfig = z.output<typeof tierSchema>;

const contentTierSchema = z
  .object({
    ...tierShape,
    /** Path patterns the load balancer routes to the content tier. */
    pathPatterns: z.array(z.string().startsWith("/")).min(1).max(5).default(["/content/*"]),
  })
  .strict()
  .superRefine(checkCapacity);

export type ContentTierConfig = z.output<typeof contentTierSchema>;

const networkSchema = z
  .object({
    cidr,
    /** Availability zones to spread subnets over. */
    azs: z.number().int().min(1).max(6),
    /** `perAz`: one NAT gateway per AZ; `single`: one shared; `none`: no outbound internet from private subnets. */
    nat: z.enum(["perAz", "single", "none"]),
  })
  .strict()
  .superRefine((net, ctx) => {
    const prefix = Number(net.cidr.split("/")[1]);
    if (prefix > maxVpcPrefixFor(net.azs)) {
      ctx.addIssue({
        code: "custom",
        path: ["cidr"],
        message: `a /${prefix} network is too small for ${net.azs} availability zones (use /${maxVpcPrefixFor(net.azs)} or larger)`,
      });
    }
  });

const databaseSchema = z
  .object({
    engine: z.enum(["postgres", "mysql"]),
    engineVersion: z.string().regex(/^\d+(\.\d+)*$/, { message: "must be a version like 16.4" }),
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
  });

const cacheSchema = z
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

const tiersSchema = z
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

const imageSchema = z
  .object({
    /** Full 40-character commit SHA the image was built from (set by `flightdeck deploy`). */
    commit: z
      .string()
      .regex(SHA_FULL, { message: "must be a full 40-character lower-case commit SHA" })
      .optional(),
    /** An explicit AMI id; overrides the lookup by commit tag. */
    amiId: z.string().regex(AMI_ID, { message: "must be an AMI id like ami-0123456789abcdef0" }).optional(),
  })
  .strict();

const deploySchema = z
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
  })
  .strict();

const protectionSchema = z
  .object({
    /** Emails or CI identities allowed to deploy; empty means anyone. */
    allowedDeployers: z.array(z.string().min(3)).default([]),
    /** Refuse deploys by an author or co-author of a commit being released. */
    separationOfDuties: z.boolean().default(false),
    /** The branch a deployed commit must be reachable from; omit for any. */
    allowedBranch: z.string().min(1).optional(),
    /** Require a clean work tree when deploying. */
    requireCleanTree: z.boolean().default(false),
  })
  .strict();

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

const previewDefaultsSchema = z
  .object({
    /** Wildcard domain for previews: each commit is served at https://<sha7>.<domain>. */
    domain: dnsName.optional(),
    ttl: durationSchema.default("24h"),
    instanceType: z
      .string()
      .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { message: "must be an EC2 instance type like t4g.nano" })
      .default("t4g.nano"),
    volumeGb: z.number().int().min(8).max(100).default(10),
    /** Where a preview's isolated data comes from. */
    data: previewDataSchema.default({ source: "empty" }),
    /** The stack that holds the shared preview base. */
    baseStack: z.string().min(1).default("previews"),
  })
  .strict();

/** Set by flightdeck on a `preview-<sha7>` stack: the commit it serves, who made it and when it expires. */
const previewMetaSchema = z
  .object({
    commit: z.string().regex(SHA_FULL, { message: "must be a full 40-character lower-case commit SHA" }),
    branch: z.string().optional(),
    author: z.string().optional(),
    createdAt: z.iso.datetime({ offset: true }),
    expiresAt: z.iso.datetime({ offset: true }),
  })
  .strict();

/** Set by flightdeck on every deploy, so the stack's own update history says who released what, and how. */
const releaseSchema = z
  .object({
    actor: z.string().min(1),
    operation: z.enum(["deploy", "promote", "rollback", "preview"]),
    at: z.iso.datetime({ offset: true }),
    /** For a promotion: the stack the image was promoted from. */
    from: z.string().optional(),
  })
  .strict();

const stackConfigObject = z
  .object({
    environment: z.enum(ENVIRONMENT_KINDS),
    region: z
      .string()
      .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { message: "must be an AWS region like us-east-1" }),
    domain: dnsName.optional(),
    /** Route 53 hosted zone the domain lives in. */
    dnsZone: dnsName.optional(),
    network: networkSchema,
    database: databaseSchema.optional(),
    cache: cacheSchema.optional(),
    tiers: tiersSchema.optional(),
    image: imageSchema.default({}),
    deploy: deploySchema.default(() => deploySchema.parse({})),
    protection: protectionSchema.default(() => protectionSchema.parse({})),
    preview: previewDefaultsSchema.default(() => previewDefaultsSchema.parse({})),
    previewMeta: previewMetaSchema.optional(),
    release: releaseSchema.optional(),
    /** Extra tags put on every taggable resource. */
    tags: z.record(z.string().regex(/^[A-Za-z0-9 _.:/=+@-]{1,128}$/), z.string().max(256)).default({}),
  })
  .strict();

export const stackConfigSchema = stackConfigObject.superRefine(crossFieldRules);

export type StackConfig = z.output<typeof stackConfigSchema>;
export type StackConfigInput = z.input<typeof stackConfigSchema>;
export type PreviewMeta = z.output<typeof previewMetaSchema>;
export type ReleaseInfo = z.output<typeof releaseSchema>;
export type PreviewDefaults = z.output<typeof previewDefaultsSchema>;
export type DatabaseConfig = z.output<typeof databaseSchema>;
export type CacheConfig = z.output<typeof cacheSchema>;
export type NetworkConfig = z.output<typeof networkSchema>;
export type DeployConfig = z.output<typeof deploySchema>;
export type ProtectionConfig = z.output<typeof protectionSchema>;

function crossFieldRules(c: z.output<typeof stackConfigObject>, ctx: z.RefinementCtx): void {
  const need = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: "custom", path, message });
  const full = c.environment === "production" || c.environment === "staging" || c.environment === "testing";

  if (full) {
    if (!c.database) need(["database"], `is required for a ${c.environment} environment`);
    if (!c.cache) need(["cache"], `is required for a ${c.environment} environment`);
    if (!c.tiers) need(["tiers"], `is required for a ${c.environment} environment`);
  }
  if (c.dnsZone && !c.domain) need(["domain"], "is required when dnsZone is set");
  if (c.domain && !c.dnsZone) {
    need(["dnsZone"], "is required when domain is set: the certificate is validated in this Route 53 zone");
  }
  if (c.domain && c.dnsZone && !(c.domain === c.dnsZone || c.domain.endsWith(`.${c.dnsZone}`))) {
    need(["domain"], `must be inside dnsZone ${c.dnsZone}`);
  }

  if (c.environment === "production") {
    if (c.database && !c.database.deletionProtection) {
      need(["database", "deletionProtection"], "must be true in production");
    }
    if (c.database && !c.database.multiAz) need(["database", "multiAz"], "must be true in production");
    if (c.database && c.database.backupRetentionDays < 7) {
      need(["database", "backupRetentionDays"], "must be at least 7 days in production");
    }
    if (c.database?.snapshotIdentifier) {
      need(["database", "snapshotIdentifier"], "production never restores from a snapshot; remove it");
    }
    if (c.network.nat === "none")
      need(["network", "nat"], "production needs outbound internet (single or perAz)");
  } else if (
    c.database &&
    c.database.snapshotIdentifier === undefined &&
    (c.environment === "staging" || c.environment === "testing")
  ) {
    need(
      ["database", "snapshotIdentifier"],
      `is required outside production: ${c.environment} restores its database from an anonymised snapshot`,
    );
  }

  if (c.environment === "preview") {
    if (!c.previewMeta) need(["previewMeta"], "is required on a preview stack (flightdeck sets it)");
    if (!c.image.commit && !c.image.amiId) need(["image", "commit"], "is required on a preview stack");
    if (c.previewMeta && c.image.commit && c.previewMeta.commit !== c.image.commit) {
      need(["previewMeta", "commit"], `must equal image.commit (${c.image.commit})`);
    }
    if (c.previewMeta && Date.parse(c.previewMeta.expiresAt) <= Date.parse(c.previewMeta.createdAt)) {
      need(["previewMeta", "expiresAt"], "must be after createdAt");
    }
  } else if (c.previewMeta) {
    need(["previewMeta"], "is only for preview stacks");
  }
  const previewish = c.environment === "previews" || c.environment === "preview";
  if (previewish && (c.database || c.cache || c.tiers)) {
    need(
      ["environment"],
      `a ${c.environment} stack has no database, cache or tiers: each preview runs its own on one machine`,
    );
  }
  if (previewish && !c.preview.domain) {
    need(["preview", "domain"], "is required: each preview is served at https://<sha7>.<preview.domain>");
  }
  if (c.environment === "previews" && !c.dnsZone) {
    need(["dnsZone"], "is required: the wildcard certificate of the previews is validated in this zone");
  }
  if (
    c.environment === "previews" &&
    c.preview.domain &&
    c.dnsZone &&
    !(c.preview.domain === c.dnsZone || c.preview.domain.endsWith(`.${c.dnsZone}`))
  ) {
    need(["preview", "domain"], `must be inside dnsZone ${c.dnsZone}`);
  }
}

/** Map a Pulumi config key to the schema's field and back. */
const REGION_KEY = "aws:region";

export function configKeyFor(path: PropertyKey[]): string {
  const [head, ...rest] = path.map(String);
  if (head === undefined) return `${CONFIG_NAMESPACE}:`;
  const key = head === "region" ? REGION_KEY : `${CONFIG_NAMESPACE}:${head}`;
  return rest.length === 0 ? key : `${key}.${rest.join(".")}`;
}

/**
 * Turn the flat Pulumi config map (`aws:region`, `flightdeck:database`, ...) into the
 * schema's input. Keys of other namespaces (`aws:profile`, ...) are left out; unknown
 * `flightdeck:` keys are kept so the schema reports them.
 */
export function fromPulumiConfig(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (key === REGION_KEY) out.region = value;
    else if (key.startsWith(`${CONFIG_NAMESPACE}:`)) out[key.slice(CONFIG_NAMESPACE.length + 1)] = value;
  }
  return out;
}

/** A config value as Pulumi stores it: strings as they are, everything else as JSON text. */
export function encodeConfigValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The inverse of `encodeConfigValue`: JSON objects, arrays, numbers and booleans are parsed back. */
export function decodeConfigValue(text: string): unknown {
  const trimmed = text.trim();
  if (/^[[{]/.test(trimmed) || /^(true|false|-?\d+(\.\d+)?)$/.test(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch {
      // Not JSON after all: let the schema report the value as it is.
      return text;
    }
  }
  return text;
}

/**
 * Pulumi hands structured config values (`flightdeck:network: {cidr: ...}`) to the
 * program as JSON text (and scalars as text): decode each as flightdeck encoded it.
 */
export function decodeConfigValues(raw: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, decodeConfigValue(value)]));
}

/** The inverse of `fromPulumiConfig`, for writing a stack's config. */
export function toPulumiConfig(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    out[key === "region" ? REGION_KEY : `${CONFIG_NAMESPACE}:${key}`] = value;
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    return `unknown option${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `'${k}'`).join(", ")}`;
  }
  if (issue.code === "invalid_type" && issue.message.includes("received undefined")) return "is required";
  return issue.message;
}

/**
 * Parse the schema input, or throw a `ConfigError` listing every problem as
 * `<source>: <pulumi key path>: <message>`.
 */
export function parseStackConfig(input: Record<string, unknown>, source: string): StackConfig {
  const result = stackConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    let path = issue.path;
    let message = describeIssue(issue);
    // Unknown top-level keys are reported at their own key, like every other problem.
    if (issue.code === "unrecognized_keys" && path.length === 0 && issue.keys.length === 1) {
      path = [issue.keys[0] as string];
      message = "is not a flightdeck option";
    }
    return `${source}: ${configKeyFor(path)}: ${message}`;
  });
  throw new ConfigError(source, problems);
}

/** Parse the `config:` map of a `Pulumi.<stack>.yaml` document. */
export function parseStackConfigYaml(text: string, source: string): StackConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new ConfigError(source, [
      `${source}: is not valid YAML: ${(error as Error).message.split("\n")[0]}`,
    ]);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new ConfigError(source, [`${source}: must be a YAML mapping with a 'config:' key`]);
  }
  const config = (doc as Record<string, unknown>).config;
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new ConfigError(source, [`${source}: config: must be a mapping of Pulumi config keys`]);
  }
  return parseStackConfig(fromPulumiConfig(config as Record<string, unknown>), source);
}

/** What flightdeck writes into a stack's config on every release: the image, who released it, preview metadata. */
export type ReleaseFields = "image" | "release" | "previewMeta";

/**
 * A stack config without the fields flightdeck writes on every release: what the
 * committed `Pulumi.<stack>.yaml` says, the same for every commit deployed with it.
 */
export function withoutReleaseFields(config: StackConfig): Omit<StackConfig, ReleaseFields> {
  const { image: _image, release: _release, previewMeta: _meta, ...committed } = config;
  return committed;
}

/** The file a stack's config lives in, relative to the project directory. */
export function stackConfigFileName(stack: string): string {
  return `Pulumi.${stack}.yaml`;
}

/** Every stack with a `Pulumi.<stack>.yaml` in a project directory, sorted (none when the folder cannot be read). */
export async function stacksWithConfig(projectDir: string): Promise<string[]> {
  const files = await readdir(projectDir).catch(() => [] as string[]);
  return files
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** Read and validate `Pulumi.<stack>.yaml` from a project directory. */
export async function loadStackConfig(projectDir: string, stack: string): Promise<StackConfig> {
  const file = `${projectDir}/${stackConfigFileName(stack)}`;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new ConfigError(basename(file), [`${basename(file)}: no such file in ${projectDir}`]);
    }
    throw error;
  }
  return parseStackConfigYaml(text, basename(file));
}

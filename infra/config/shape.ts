/**
 * The shape of a stack's configuration, section by section, before the rules
 * that span sections (`cross-field-rules.ts`) are applied in `schema.ts`.
 */
import { z } from "zod";
import { changesSchema } from "./changes-section.js";
import { ENVIRONMENT_KINDS } from "./kinds.js";
import { loadBalancerSchema } from "./load-balancer-section.js";
import { notificationsSchema } from "./notifications-section.js";
import { regionSchema } from "./region.js";
import {
  cacheSchema,
  databaseSchema,
  deploySchema,
  dnsName,
  imageSchema,
  networkSchema,
  previewDefaultsSchema,
  previewMetaSchema,
  protectionSchema,
  releaseSchema,
  tiersSchema,
} from "./sections.js";

export const stackConfigObject = z
  .object({
    environment: z.enum(ENVIRONMENT_KINDS),
    region: regionSchema,
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
    /** The load balancer's deletion protection and access logs: `load-balancer-section.ts`. */
    loadBalancer: loadBalancerSchema.optional(),
    /** How the commits a deploy releases are read (issue keys): `changes-section.ts`. */
    changes: changesSchema.optional(),
    /** Who is told about releases (Slack, release-marker webhooks): `notifications-section.ts`. */
    notifications: notificationsSchema.optional(),
    /** Extra tags put on every taggable resource (never a secret-looking one: see `stackTags`). */
    tags: z.record(z.string().regex(/^[A-Za-z0-9 _.:/=+@-]{1,128}$/), z.string().max(256)).default({}),
  })
  .strict();

/**
 * The one schema for a stack's configuration.
 *
 * Every `Pulumi.<stack>.yaml` is parsed here, from values passed in (a YAML
 * file, the Pulumi runtime's config, or values the automation layer builds),
 * never through `config.get` calls scattered over the program. A bad config
 * fails before anything is touched, listing every problem by file and path.
 *
 * This module is the way in; the parts live in `config/`:
 * - `schema.ts`: the whole config; `sections.ts`: network, database, tiers,
 *   preview, ...; `cross-field-rules.ts`: the rules across sections;
 * - `region.ts`: the regions @pulumi/aws knows; `duration.ts`: `30m`, `24h`,
 *   `7d`; `preview-ttl.ts`: a preview's TTL within `preview.maxTtl`;
 * - `pulumi-keys.ts`: Pulumi's key map and value encoding;
 * - `loader.ts`: parsing values, YAML text and files; `problems.ts`: how
 *   problems read; `plain-secrets.ts`: warnings about secrets in plain text.
 */
export * from "./config/kinds.js";
export * from "./config/duration.js";
export * from "./config/region.js";
export { type StackConfig, type StackConfigInput, stackConfigSchema } from "./config/schema.js";
export * from "./config/pulumi-keys.js";
export * from "./config/loader.js";
export * from "./config/preview-ttl.js";
export {
  type CacheConfig,
  type ContentTierConfig,
  type DatabaseConfig,
  DEFAULT_MAX_PREVIEW_TTL,
  type DeployConfig,
  type NetworkConfig,
  type PreviewDefaults,
  type PreviewMeta,
  type ProtectionConfig,
  type ReleaseInfo,
  type TierConfig,
} from "./config/sections.js";
export { MAX_PROBLEMS, WHERE_SECRETS_GO } from "./config/problems.js";
export { type PlainSecretKind, plainSecretKind, plainSecretWarnings } from "./config/plain-secrets.js";

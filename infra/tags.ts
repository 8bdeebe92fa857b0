/**
 * Tags every taggable resource carries, so cost reports and the policy pack can
 * tell which stack, environment and commit a resource belongs to.
 */
import type { StackConfig } from "./config.js";
import { plainSecretKind } from "./config/plain-secrets.js";

export const RESOURCE_TAGS = {
  stack: "flightdeck:stack",
  environment: "flightdeck:environment",
  commit: "flightdeck:commit",
} as const;

/**
 * The tags for one stack: its own keys first, then the config's extra tags (which cannot
 * override them). An extra tag that looks like a secret (a `password`-like key, an AWS
 * access key id) is left out: tags are readable by anyone who can list the resources, and
 * end up in billing reports. The config loader warns about it.
 */
export function stackTags(config: StackConfig, stack: string): Record<string, string> {
  const extra = Object.entries(config.tags).filter(
    ([key, value]) => plainSecretKind(key, value) === undefined,
  );
  return {
    ...Object.fromEntries(extra),
    [RESOURCE_TAGS.stack]: stack,
    [RESOURCE_TAGS.environment]: config.environment,
    [RESOURCE_TAGS.commit]: config.image.commit ?? "unknown",
  };
}

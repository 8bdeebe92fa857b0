/**
 * Tags every taggable resource carries, so cost reports and the policy pack can
 * tell which stack, environment and commit a resource belongs to.
 */
import type { StackConfig } from "./config.js";

export const RESOURCE_TAGS = {
  stack: "flightdeck:stack",
  environment: "flightdeck:environment",
  commit: "flightdeck:commit",
} as const;

/** The tags for one stack: its own keys first, then the config's extra tags (which cannot override them). */
export function stackTags(config: StackConfig, stack: string): Record<string, string> {
  return {
    ...config.tags,
    [RESOURCE_TAGS.stack]: stack,
    [RESOURCE_TAGS.environment]: config.environment,
    [RESOURCE_TAGS.commit]: config.image.commit ?? "unknown",
  };
}

/**
 * The whole program of one stack: which component a config builds, and the
 * stack outputs. Shared by the real program (`main.ts`, under the Pulumi CLI)
 * and the offline plan (`offline.ts`, under the mock runtime).
 */
import type * as pulumi from "@pulumi/pulumi";
import { Environment } from "./components/environment.js";
import { Preview, PreviewBase } from "./components/preview.js";
import {
  type PreviewMeta,
  previewTtlMs,
  parseStackConfig,
  type StackConfig,
  stackConfigFileName,
} from "./config.js";
import { UserError } from "./errors.js";
import { isFullSha, previewStackName } from "./naming.js";
import { BRANCH_PREVIEW_PREFIX } from "./preview-names.js";

export { previewStackName } from "./naming.js";

/** A stack's outputs: plain values and outputs, as Pulumi exports them. */
export type StackOutputs = Record<string, pulumi.Input<unknown>>;

/** The logical name of a stack's top component (and so the prefix of every resource name). */
export function componentName(stack: string): string {
  return stack.replace(/[^A-Za-z0-9-]/g, "-");
}

/** Build the stack a config describes and return its outputs. Throws a UserError for a config it cannot build. */
export function defineStack(config: StackConfig, stack: string): StackOutputs {
  const name = componentName(stack);
  switch (config.environment) {
    case "production":
    case "staging":
    case "testing":
      return withoutUndefined(new Environment(name, { config, stack }).outputs);
    case "previews":
      return withoutUndefined(new PreviewBase(name, { config, stack }).outputs);
    case "preview":
      return withoutUndefined(new Preview(name, { config, stack }).outputs);
  }
}

function withoutUndefined(outputs: object): StackOutputs {
  return Object.fromEntries(Object.entries(outputs).filter(([, v]) => v !== undefined));
}

export interface PreviewMetaOptions {
  now?: Date;
  /** A duration like `24h`; default: the previews config's TTL. */
  ttl?: string;
  branch?: string;
  author?: string;
  /** A branch preview's DNS label (`preview-names.ts`): served at `<slug>.<domain>`. */
  slug?: string;
  /** The listener rule priority allocated to the preview (kept for the life of its stack). */
  rulePriority?: number;
}

/** The metadata of a new preview of `commit`: created now, expiring after the TTL. */
export function newPreviewMeta(
  commit: string,
  previews: StackConfig,
  options: PreviewMetaOptions = {},
): PreviewMeta {
  if (!isFullSha(commit)) {
    throw new UserError(`A preview needs a full 40-character commit SHA, got '${commit}'.`);
  }
  const now = options.now ?? new Date();
  const ttlMs = previewTtlMs(options.ttl, previews.preview);
  return {
    commit,
    branch: options.branch,
    author: options.author,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
    ...(options.slug !== undefined ? { slug: options.slug } : {}),
    ...(options.rulePriority !== undefined ? { rulePriority: options.rulePriority } : {}),
  };
}

/**
 * The config of a commit's preview stack: the previews base config's region,
 * domain and preview defaults, the commit's image, and its metadata. Validated
 * by the same schema (errors name the base config file).
 */
export function previewStackConfig(previewsConfig: StackConfig, meta: PreviewMeta): StackConfig {
  if (previewsConfig.environment !== "previews") {
    throw new UserError(
      `Previews are derived from the previews base config, not from a ${previewsConfig.environment} config.`,
    );
  }
  const input = {
    environment: "preview",
    region: previewsConfig.region,
    domain: previewsConfig.domain,
    dnsZone: previewsConfig.dnsZone,
    network: previewsConfig.network,
    image: { commit: meta.commit },
    deploy: previewsConfig.deploy,
    protection: previewsConfig.protection,
    preview: previewsConfig.preview,
    previewMeta: meta,
    tags: previewsConfig.tags,
  };
  const stack = meta.slug ? `${BRANCH_PREVIEW_PREFIX}${meta.slug}` : previewStackName(meta.commit);
  const source = `${stackConfigFileName("previews")} (for ${stack})`;
  return parseStackConfig(input, source);
}

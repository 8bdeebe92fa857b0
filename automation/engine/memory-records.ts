/**
 * What the in-memory engine records for a stack, as pure functions: copies of
 * its config, the config an update's history keeps (secret values left out),
 * the outputs the real program would export, and its resources' events.
 */
import { decodeConfigValue } from "../../infra/config.js";
import { IMAGE_KEY, PREVIEW_META_KEY } from "../config-map.js";
import type { ConfigMap, EngineEvent, OutputMap } from "../engine.js";
import type { ResourceOp } from "../events.js";

export interface MemoryResource {
  type: string;
  name: string;
}

export const DEFAULT_RESOURCES: MemoryResource[] = [
  { type: "aws:lb/loadBalancer:LoadBalancer", name: "web-alb" },
  { type: "aws:autoscaling/group:Group", name: "app" },
  { type: "aws:route53/record:Record", name: "web-dns" },
];

function objectValue(config: ConfigMap, key: string): Record<string, unknown> | undefined {
  const entry = config[key];
  if (!entry || entry.secret) return undefined;
  const value = decodeConfigValue(entry.value);
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
}

function stringValue(config: ConfigMap, key: string): string | undefined {
  const entry = config[key];
  return entry && !entry.secret ? entry.value : undefined;
}

/** The outputs the real program exports, computed from the config alone: url, commit, imageId. */
export function defaultOutputs(stack: string, config: ConfigMap): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const image = objectValue(config, IMAGE_KEY);
  const meta = objectValue(config, PREVIEW_META_KEY);
  const preview = objectValue(config, "flightdeck:preview");
  const domain = stringValue(config, "flightdeck:domain");
  const commit = typeof image?.commit === "string" ? image.commit : undefined;
  if (commit) out.commit = commit;
  if (typeof image?.amiId === "string") out.imageId = image.amiId;
  const region = stringValue(config, "aws:region") ?? stringValue(config, "flightdeck:region");
  if (!meta && region && objectValue(config, "flightdeck:tiers")) {
    // What the environment program outputs for the release phase and the rollout checks (infra/components/environment.ts).
    const roles = Object.keys(objectValue(config, "flightdeck:tiers") ?? {});
    out.region = region;
    out.autoScalingGroups = Object.fromEntries(roles.map((role) => [role, `${stack}-${role}-asg`]));
    out.targetGroups = {
      app: `arn:aws:elasticloadbalancing:${region}:123456789012:targetgroup/${stack}-app/0`,
    };
    out.releaseTask = {
      region,
      subnetIds: ["subnet-memory1"],
      securityGroupIds: ["sg-memory1"],
      instanceProfileArn: `arn:aws:iam::123456789012:instance-profile/flightdeck/${stack}-app`,
      instanceType: "t4g.small",
      userData: `#flightdeck-userdata v1\nrole=app\nenvironment=${stack}\nstack=${stack}\ncommit=${commit ?? ""}\nregion=${region}\n`,
    };
  }
  if (meta && commit && typeof preview?.domain === "string") {
    // A branch preview is served at its slug, a commit preview at its short SHA (infra/components/preview.ts).
    const host = typeof meta.slug === "string" && meta.slug ? meta.slug : commit.slice(0, 7);
    out.url = `https://${host}.${preview.domain}`;
  } else if (domain) {
    out.url = `https://${domain}`;
  }
  return out;
}

export function copyConfig(config: ConfigMap): ConfigMap {
  const out: ConfigMap = {};
  for (const [key, value] of Object.entries(config)) out[key] = { ...value };
  return out;
}

/** What history records: the config without secret values. */
export function recordedConfig(config: ConfigMap): ConfigMap {
  const out: ConfigMap = {};
  for (const [key, value] of Object.entries(config)) {
    out[key] = value.secret ? { value: "[secret]", secret: true } : { ...value };
  }
  return out;
}

export function plainOutputs(values: Record<string, unknown>): OutputMap {
  const out: OutputMap = {};
  for (const [key, value] of Object.entries(values)) out[key] = { value, secret: false };
  return out;
}

export function urnOf(stack: string, resource: MemoryResource): string {
  return `urn:pulumi:${stack}::flightdeck::${resource.type}::${resource.name}`;
}

/** The engine event of one resource of `stack` reaching `status`. */
export function resourceEvent(
  stack: string,
  resource: MemoryResource,
  op: ResourceOp,
  status: "started" | "done" | "failed",
) {
  return {
    kind: "resource",
    urn: urnOf(stack, resource),
    resourceType: resource.type,
    name: resource.name,
    op,
    status,
  } satisfies EngineEvent;
}

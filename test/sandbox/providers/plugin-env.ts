/**
 * TEST DOUBLE: part of the sandbox's stand-in `aws`/`awsx` provider plugins,
 * which stand in for AWS and create nothing in AWS.
 *
 * What a stand-in plugin process learns from its surroundings: the region and
 * the version to report.
 */
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";

type Env = Record<string, string | undefined>;

/**
 * The region the provider is configured with. The engine hands a provider
 * plugin its package's stack config as JSON in `PULUMI_CONFIG` (keys without
 * the namespace, e.g. `{"region":"us-east-1"}`; pkg/host/host.go, `Provider`,
 * and sdk/go/common/resource/plugin/provider_plugin.go, `NewProvider`), which is
 * how the stand-in learns `aws:region` (the Node provider server does not pass
 * `Configure`'s variables on). Then, like the real provider: AWS_REGION,
 * AWS_DEFAULT_REGION.
 */
export function regionOf(env: Env = process.env): string {
  let configured: unknown;
  try {
    configured = (JSON.parse(env.PULUMI_CONFIG ?? "{}") as { region?: unknown }).region;
  } catch {
    configured = undefined;
  }
  if (typeof configured === "string" && configured.length > 0) return configured;
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1";
}

/**
 * The version of the installed SDK package (`@pulumi/aws`, `@pulumi/awsx`). The
 * stand-in reports it as its own, so the engine does not warn that the plugin
 * is older than the program asks for (pkg/host/host.go, `Provider`).
 */
export function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  return (require(`${name}/package.json`) as { version: string }).version;
}

/** A new physical id: the resource's name and a random suffix, so a replacement gets a new one. */
export function newId(name: string): string {
  return `${name}-${randomBytes(4).toString("hex")}`;
}

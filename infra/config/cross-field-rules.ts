/**
 * The rules of a stack config that span its sections: what each kind of
 * environment needs, production's safeguards, a preview's metadata, the
 * domain inside its zone. Every broken rule is reported at the path to fix.
 */
import type { z } from "zod";
import type { stackConfigObject } from "./shape.js";
import { stackNameShapeProblems } from "./stack-name.js";

export function crossFieldRules(c: z.output<typeof stackConfigObject>, ctx: z.RefinementCtx): void {
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
  if (c.environment === "preview" && c.loadBalancer) {
    need(["loadBalancer"], "a preview has no load balancer of its own: set it on the previews stack");
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

/**
 * The stack that is production. Which stack is production is decided by its
 * name, never by a field of its own file: its guards and its production-only
 * rules follow the name.
 */
export const PRODUCTION_STACK = "production";

export function isProductionStack(stack: string): boolean {
  return stack === PRODUCTION_STACK;
}

/**
 * The rule between a stack's name and its `environment`, which the schema
 * cannot see (it is given values, not the stack): the production stack's file
 * must say `environment: production` (so the production-only rules above apply
 * to it), and no other stack's may (so "production" means one stack). Each
 * problem is `<source>: flightdeck:environment: <message>`; then the rules of
 * the name itself (`stack-name.ts`: its length and characters, from the AWS
 * names derived from it), each `<source>: stack name: <message>`.
 */
export function stackNameProblems(stack: string, environment: string, source: string): string[] {
  const at = `${source}: flightdeck:environment:`;
  const named = stackNameShapeProblems(stack, environment, source);
  if (isProductionStack(stack) && environment !== "production") {
    return [
      `${at} must be production: the stack named ${PRODUCTION_STACK} is production whatever its file says, ` +
        "and its production rules (deletion protection, Multi-AZ, backups, no snapshot restore) apply to it",
      ...named,
    ];
  }
  if (!isProductionStack(stack) && environment === "production") {
    return [
      `${at} production is only for the stack named ${PRODUCTION_STACK} (this is ${stack}); ` +
        "use staging or testing for a production-shaped copy",
      ...named,
    ];
  }
  return named;
}

/**
 * The CrossGuard policies of the `flightdeck` policy pack, built from the same
 * rule functions the offline plan evaluates (`rules.ts`).
 *
 * Kept apart from `pack.ts` because constructing a `PolicyPack` starts the
 * analyzer's gRPC server: tests build these policies and call their validate
 * functions directly with fake arguments.
 */
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { ResourceRecord } from "../resources.js";
import { RESOURCE_TAGS } from "../tags.js";
import type { PolicyContext, Rule } from "./rule-types.js";
import { RULES, runRule } from "./rules.js";

/** What the engine hands a resource validation, as far as the adapter reads it. */
type ResourceArgs = Pick<ResourceValidationArgs, "type" | "props" | "urn" | "name"> & {
  opts?: { parent?: string };
};
/** A resource of a stack validation, as far as the adapter reads it. */
type StackResource = Pick<PolicyResource, "type" | "props" | "urn" | "name"> & {
  propertyDependencies?: Record<string, Pick<PolicyResource, "urn">[]>;
  parent?: Pick<PolicyResource, "urn">;
};

/** Every flightdeck rule as a CrossGuard policy, with the rule's own name and enforcement level. */
export function flightdeckPolicies(
  rules: readonly Rule[] = RULES,
): (ResourceValidationPolicy | StackValidationPolicy)[] {
  return rules.map((rule) => (rule.kind === "resource" ? resourcePolicy(rule) : stackPolicy(rule)));
}

function resourcePolicy(rule: Extract<Rule, { kind: "resource" }>): ResourceValidationPolicy {
  return {
    name: rule.name,
    description: rule.description,
    enforcementLevel: rule.level,
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
      if (!rule.types.includes(args.type)) return;
      const record = recordFromResourceArgs(args);
      for (const result of runRule(rule, [record], contextOf([record]))) reportViolation(result.message);
    },
  };
}

function stackPolicy(rule: Extract<Rule, { kind: "stack" }>): StackValidationPolicy {
  return {
    name: rule.name,
    description: rule.description,
    enforcementLevel: rule.level,
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
      const records = args.resources.map(recordFromStackResource);
      const urnByName = new Map(records.map((r) => [r.name, r.urn]));
      for (const result of runRule(rule, records, contextOf(records))) {
        reportViolation(result.message, urnByName.get(result.resource));
      }
    },
  };
}

/**
 * A resource under validation as a `ResourceRecord`. The engine gives no
 * physical id before the resource exists, so the URN stands in for it.
 * `props` is passed through as is (not copied): in a preview it is a proxy that
 * throws on unknown values, and only the values a rule reads may be touched.
 */
export function recordFromResourceArgs(args: ResourceArgs): ResourceRecord {
  return {
    type: args.type,
    name: args.name,
    urn: args.urn,
    parent: args.opts?.parent,
    inputs: args.props,
    id: args.urn,
  };
}

/**
 * A resource of a stack validation as a `ResourceRecord`. References by id
 * (`vpcSecurityGroupIds`, `securityGroupId`, ...) are replaced by the URNs of
 * the resources they depend on, so rules that follow them (who can reach the
 * database) work with ids that are unknown until the resources exist.
 */
export function recordFromStackResource(resource: StackResource): ResourceRecord {
  const links: Record<string, unknown> = {};
  for (const [key, deps] of Object.entries(resource.propertyDependencies ?? {})) {
    if (deps.length === 0) continue;
    if (key.endsWith("Ids")) links[key] = deps.map((d) => d.urn);
    else if (key.endsWith("Id")) links[key] = deps[0]?.urn;
  }
  const inputs =
    Object.keys(links).length === 0 ? resource.props : Object.assign(Object.create(resource.props), links);
  return {
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    parent: resource.parent?.urn,
    inputs,
    id: resource.urn,
  };
}

/**
 * The environment the rules judge by: the `flightdeck:environment` tag the
 * program puts on resources, else the kind named by the stack (from the URN).
 */
export function contextOf(records: readonly ResourceRecord[]): PolicyContext {
  for (const record of records) {
    const tags = record.inputs.tags;
    if (tags !== null && typeof tags === "object" && !Array.isArray(tags)) {
      const value = (tags as Record<string, unknown>)[RESOURCE_TAGS.environment];
      if (typeof value === "string") return { environment: value };
    }
  }
  const stack = /^urn:pulumi:([^:]+)::/.exec(records[0]?.urn ?? "")?.[1] ?? "";
  return { environment: environmentOfStack(stack) };
}

/** `preview-<sha7>` stacks are previews; every other stack is named after its environment. */
export function environmentOfStack(stack: string): string {
  return stack.startsWith("preview-") ? "preview" : stack;
}

/**
 * The text form of a plan (`flightdeck plan <stack> --offline`): the
 * resources as a tree of components, the estimated cost grouped by what AWS
 * bills (with a subtotal each, and every item that could not be priced), and
 * the policy results. `--json` prints the document itself; this is for people.
 */
import type { CostLine } from "../infra/cost/estimate.js";
import type { PlanDocument, PlanResource } from "../infra/plan.js";
import { fitTable, formatUsd } from "./format.js";
import type { Colors } from "./output.js";

/** The inputs worth a glance in a plan, in this order (everything is in `--json`). */
const KEY_INPUTS = [
  "instanceType",
  "instanceClass",
  "nodeType",
  "engine",
  "engineVersion",
  "cidrBlock",
  "allocatedStorage",
  "minSize",
  "desiredCapacity",
  "maxSize",
  "multiAz",
  "storageEncrypted",
  "atRestEncryptionEnabled",
  "transitEncryptionEnabled",
  "publiclyAccessible",
  "deletionProtection",
  "loadBalancerType",
  "internal",
  "port",
  "protocol",
  "domainName",
  "name",
  "type",
];

/** Up to four scalar key inputs of a resource, as `key=value` (secrets arrive masked). */
export function keyInputs(inputs: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const key of KEY_INPUTS) {
    const value = inputs[key];
    if (value === undefined || value === null || typeof value === "object") continue;
    const text = String(value);
    parts.push(`${key}=${text.length > 40 ? `${text.slice(0, 39)}…` : text}`);
    if (parts.length === 4) break;
  }
  return parts.join(" ") || "-";
}

export interface TreeRow {
  resource: PlanResource;
  depth: number;
}

/**
 * The resources in tree order: each component, then the resources it holds
 * directly (by type, then name), then its child components, each with its own
 * subtree. A resource whose parent is not in the plan is shown at the top.
 * Every resource appears exactly once.
 */
export function resourceTree(resources: readonly PlanResource[]): TreeRow[] {
  const names = new Set(resources.map((r) => r.name));
  const children = new Map<string | null, PlanResource[]>();
  for (const r of resources) {
    const parent = r.parent !== null && names.has(r.parent) && r.parent !== r.name ? r.parent : null;
    const list = children.get(parent) ?? [];
    list.push(r);
    children.set(parent, list);
  }
  const isComponent = (r: PlanResource) => (children.get(r.name)?.length ?? 0) > 0;
  const order = (a: PlanResource, b: PlanResource) =>
    Number(isComponent(a)) - Number(isComponent(b)) ||
    a.type.localeCompare(b.type) ||
    a.name.localeCompare(b.name);
  const rows: TreeRow[] = [];
  const seen = new Set<PlanResource>();
  const visit = (parent: string | null, depth: number) => {
    for (const r of [...(children.get(parent) ?? [])].sort(order)) {
      if (seen.has(r)) continue;
      seen.add(r);
      rows.push({ resource: r, depth });
      visit(r.name, depth + 1);
    }
  };
  visit(null, 0);
  // A cycle of parents never reaches the top: still list its members.
  for (const r of resources) if (!seen.has(r)) rows.push({ resource: r, depth: 0 });
  return rows;
}

/** What a cost line is for, as people budget it. */
export function costCategory(line: Pick<CostLine, "type" | "item">): string {
  const t = line.type;
  if (t.startsWith("aws:rds/")) return "Database (RDS)";
  if (t.startsWith("aws:elasticache/")) return "Cache (ElastiCache)";
  if (t.startsWith("aws:lb/") || t.startsWith("aws:alb/")) return "Load balancing (ALB)";
  if (t.startsWith("aws:autoscaling/") || t.startsWith("aws:ec2/instance") || t.startsWith("aws:ebs/")) {
    return /EBS|volume/i.test(line.item) ? "Storage (EBS)" : "Compute (EC2)";
  }
  if (t.startsWith("awsx:ec2:Vpc") || t.startsWith("aws:ec2/") || /NAT|IPv4/i.test(line.item)) {
    return "Network (NAT, public IPv4)";
  }
  return "Other";
}

export interface CostGroup {
  category: string;
  lines: CostLine[];
  hourly: number;
  daily: number;
  monthly: number;
}

/** The cost lines grouped by category, most expensive group (and line) first. */
export function costGroups(lines: readonly CostLine[]): CostGroup[] {
  const groups = new Map<string, CostGroup>();
  for (const line of lines) {
    const category = costCategory(line);
    const group = groups.get(category) ?? { category, lines: [], hourly: 0, daily: 0, monthly: 0 };
    group.lines.push(line);
    group.hourly += line.hourly;
    group.daily += line.daily;
    group.monthly += line.monthly;
    groups.set(category, group);
  }
  const byMonthly = <T extends { monthly: number }>(a: T, b: T) => b.monthly - a.monthly;
  return [...groups.values()]
    .map((g) => ({ ...g, lines: [...g.lines].sort(byMonthly) }))
    .sort((a, b) => byMonthly(a, b) || a.category.localeCompare(b.category));
}

function quantity(line: CostLine): string {
  const q = Number.isInteger(line.quantity) ? String(line.quantity) : line.quantity.toFixed(2);
  return `${q} ${line.unit}`;
}

/** A line cut to `width` columns, ending in "…" when cut (no limit: the line). */
export function clip(line: string, width: number | undefined): string {
  if (width === undefined || line.length <= width) return line;
  return `${line.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * Prose wrapped at `width` columns on spaces, the lines after the first indented
 * by `indent`; a word longer than a line is cut. No limit: the text as one line.
 */
export function wrap(text: string, width: number | undefined, indent = "    "): string[] {
  if (width === undefined || text.length <= width) return [text];
  const lines: string[] = [];
  let line = "";
  const lead = /^\s*/.exec(text)?.[0] ?? "";
  for (const word of text.slice(lead.length).split(" ")) {
    const prefix = lines.length === 0 ? lead : indent;
    const next = line === "" ? `${prefix}${word}` : `${line} ${word}`;
    if (next.length <= width || line === "") {
      line = next;
      continue;
    }
    lines.push(line);
    line = `${indent}${word}`;
  }
  lines.push(line);
  return lines.map((l) => clip(l, width));
}

/** A table fitting `width`: columns dropped in `dropOrder` first, then each line cut. */
function fittedTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  width: number | undefined,
  dropOrder: readonly string[],
): string[] {
  const { lines } = fitTable(
    header,
    rows,
    width ?? Number.POSITIVE_INFINITY,
    width === undefined ? [] : dropOrder,
  );
  return lines.map((l) => clip(l, width));
}

function formatCost(plan: PlanDocument, c: Colors, pricesAsOf?: string, width?: number): string {
  const cost = plan.cost;
  const head = `Estimated cost${cost.scheduled ? " (always on)" : ""}: ${formatUsd(cost.hourly)}/hour, ${formatUsd(cost.daily)}/day, ${formatUsd(cost.monthly)}/month (${cost.currency})`;
  const basis = wrap(
    `  us-east-1 on-demand list prices${pricesAsOf ? ` as of ${pricesAsOf}` : ""}; a 730-hour month; traffic-based charges are estimates.${cost.note ? ` ${cost.note}` : ""}`,
    width,
  ).map((l) => c.dim(l));
  const parts = [...wrap(head, width), ...scheduledCostLines(plan, width), ...basis];
  const estimates = cost.lines.filter((l) => l.estimate !== undefined);
  if (estimates.length > 0) {
    const note = `  Estimated prices (not list prices): ${estimates.map((l) => `${l.item.split(" (")[0]}: ${l.estimate}`).join("; ")}.`;
    parts.push(...wrap(note, width).map((l) => c.dim(l)));
  }
  const groups = costGroups(cost.lines);
  if (groups.length > 0) {
    const rows: string[][] = [];
    for (const g of groups) {
      rows.push([g.category, "", "", formatUsd(g.daily), formatUsd(g.monthly)]);
      for (const line of g.lines) {
        rows.push([
          `  ${line.item}`,
          line.resource,
          quantity(line),
          formatUsd(line.daily),
          formatUsd(line.monthly),
        ]);
      }
    }
    rows.push(["Total", "", "", formatUsd(cost.daily), formatUsd(cost.monthly)]);
    const lines = fittedTable(["COST", "RESOURCE", "QUANTITY", "PER DAY", "PER MONTH"], rows, width, [
      "RESOURCE",
      "QUANTITY",
    ]);
    parts.push("", ...lines.map((l, i) => (i === 0 ? c.bold(l) : l)));
  }
  if (cost.unpriced.length > 0) {
    parts.push(
      "",
      ...wrap(
        `Not priced (${cost.unpriced.length}; not in the totals above, which are therefore too low):`,
        width,
      ).map((l) => c.yellow(l)),
      ...cost.unpriced.flatMap((u) => wrap(`  ${u.resource} (${u.type}): ${u.item}: ${u.reason}`, width)),
    );
  } else {
    parts.push(c.dim(clip("Every billable resource is priced.", width)));
  }
  return parts.join("\n");
}

/**
 * A stack that sleeps on a schedule costs less than the totals above, which
 * are for running around the clock: both are shown, the scheduled one first.
 */
export function scheduledCostLines(plan: PlanDocument, width?: number): string[] {
  const cost = plan.cost;
  if (!cost.scheduled) return [];
  const s = cost.scheduled;
  const hours = Number.isInteger(s.awakeHoursPerWeek)
    ? String(s.awakeHoursPerWeek)
    : s.awakeHoursPerWeek.toFixed(1);
  return wrap(
    `  On its sleep schedule (awake ${hours} of 168 hours a week): ${formatUsd(s.daily)}/day, ${formatUsd(s.monthly)}/month; always on: ${formatUsd(cost.daily)}/day, ${formatUsd(cost.monthly)}/month`,
    width,
  );
}

function formatPolicies(plan: PlanDocument, c: Colors, width?: number): string {
  if (plan.policies.length === 0) return c.green(clip("Policies: no violations.", width));
  const rank = (level: string) => (level === "mandatory" ? 0 : level === "advisory" ? 1 : 2);
  const sorted = [...plan.policies].sort(
    (a, b) => rank(a.level) - rank(b.level) || a.policy.localeCompare(b.policy),
  );
  const mandatory = plan.policies.filter((p) => p.level === "mandatory").length;
  return [
    ...wrap(
      `Policies: ${mandatory} mandatory, ${plan.policies.length - mandatory} other violation(s):`,
      width,
    ),
    ...sorted.flatMap((p) => {
      const [first = "", ...rest] = wrap(`  ${p.level} ${p.policy} ${p.resource}: ${p.message}`, width);
      const level = p.level === "mandatory" ? c.red(p.level) : c.yellow(p.level);
      return [first.replace(p.level, level), ...rest];
    }),
  ].join("\n");
}

/**
 * The whole plan for people: resources by component, cost by category, policy
 * results. With a `width` (a terminal's columns) it fits it as the dashboard
 * does: table columns are dropped (the least needed first), then lines cut and
 * prose wrapped; without one every line is whole (piped output, logs).
 */
export function formatPlan(plan: PlanDocument, c: Colors, pricesAsOf?: string, width?: number): string {
  const tree = resourceTree(plan.resources);
  const resources = fittedTable(
    ["TYPE", "NAME", "PARENT", "KEY INPUTS"],
    tree.map(({ resource: r, depth }) => [
      r.type,
      `${"  ".repeat(depth)}${r.name}`,
      r.parent ?? "-",
      keyInputs(r.inputs),
    ]),
    width,
    ["KEY INPUTS", "PARENT"],
  );
  const head = `Plan of ${plan.stack}${plan.commit ? ` at ${plan.commit}` : ""}${plan.offline ? " (offline: Pulumi's mock runtime)" : ""}: ${plan.resources.length} resources`;
  return [
    ...wrap(head, width),
    ...resources,
    "",
    formatCost(plan, c, pricesAsOf, width),
    "",
    formatPolicies(plan, c, width),
  ].join("\n");
}

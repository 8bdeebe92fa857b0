/**
 * The policy rules, as pure functions over the resources a plan records.
 *
 * The offline plan evaluates them over its `ResourceRecord`s; the CrossGuard
 * pack (`pack.ts`) runs the very same functions inside `pulumi up`, after
 * adapting the engine's arguments into records. A rule never throws on a value
 * it does not understand: a missing or unknown setting counts as not compliant
 * when the rule needs it set (e.g. `storageEncrypted` must be `true`).
 */
import { array, get, isTrue, num, str, strings } from "../inputs.js";
import type { ResourceRecord } from "../resources.js";
import {
  type PolicyContext,
  type PolicyResult,
  type ResourceRule,
  type Rule,
  type StackFinding,
  type StackRule,
  TYPES,
} from "./rule-types.js";
import { requiredTags } from "./tag-rules.js";

const INTERNET_CIDRS = new Set(["0.0.0.0/0", "::/0"]);
/** Admin ports that must never be open to the internet, by the protocols they use. */
const ADMIN_PORTS = [
  { port: 22, name: "SSH", protocols: ["tcp"] },
  { port: 3389, name: "RDP", protocols: ["tcp", "udp"] },
] as const;

// ---------------------------------------------------------------------------
// No SSH/RDP from the internet
// ---------------------------------------------------------------------------

/** An ingress permission in one shape, whichever resource it comes from. */
interface Ingress {
  protocol: string;
  fromPort: number | undefined;
  toPort: number | undefined;
  cidrs: string[];
}

const noAdminFromInternet: ResourceRule = {
  kind: "resource",
  name: "no-ssh-rdp-from-internet",
  description:
    "No security group lets SSH (22) or RDP (3389) in from 0.0.0.0/0 or ::/0; use SSM Session Manager.",
  level: "mandatory",
  types: [TYPES.securityGroup, TYPES.ingressRule, TYPES.legacyRule],
  check: (record) => ingressOf(record).flatMap(adminExposure),
};

function ingressOf(record: ResourceRecord): Ingress[] {
  const i = record.inputs;
  if (record.type === TYPES.securityGroup) {
    return array(i.ingress).map((rule) => ({
      protocol: protocolName(get(rule, "protocol")),
      fromPort: num(get(rule, "fromPort")),
      toPort: num(get(rule, "toPort")),
      cidrs: [...strings(get(rule, "cidrBlocks")), ...strings(get(rule, "ipv6CidrBlocks"))],
    }));
  }
  if (record.type === TYPES.ingressRule) {
    return [
      {
        protocol: protocolName(i.ipProtocol),
        fromPort: num(i.fromPort),
        toPort: num(i.toPort),
        cidrs: [str(i.cidrIpv4), str(i.cidrIpv6)].filter((c): c is string => c !== undefined),
      },
    ];
  }
  if (record.type === TYPES.legacyRule && i.type === "ingress") {
    return [
      {
        protocol: protocolName(i.protocol),
        fromPort: num(i.fromPort),
        toPort: num(i.toPort),
        cidrs: [...strings(i.cidrBlocks), ...strings(i.ipv6CidrBlocks)],
      },
    ];
  }
  return [];
}

/** `-1`/`all` mean every protocol; IANA numbers 6 and 17 are TCP and UDP. */
function protocolName(value: unknown): string {
  const text = String(value ?? "").toLowerCase();
  if (text === "-1" || text === "all") return "all";
  if (text === "6") return "tcp";
  if (text === "17") return "udp";
  return text;
}

function adminExposure(ingress: Ingress): string[] {
  const open = ingress.cidrs.filter((c) => INTERNET_CIDRS.has(c));
  if (open.length === 0) return [];
  const messages: string[] = [];
  for (const admin of ADMIN_PORTS) {
    if (!coversPort(ingress, admin.port, admin.protocols)) continue;
    const ports = ingress.protocol === "all" ? "all traffic" : `${ingress.protocol} ${portRange(ingress)}`;
    messages.push(
      `allows ${admin.name} (port ${admin.port}) from ${open.join(" and ")} (${ports}); ` +
        "reach machines through SSM Session Manager instead",
    );
  }
  return messages;
}

function coversPort(ingress: Ingress, port: number, protocols: readonly string[]): boolean {
  if (ingress.protocol === "all") return true;
  if (!protocols.includes(ingress.protocol)) return false;
  // A TCP/UDP permission with no ports given means every port to AWS; count it as covering.
  const from = ingress.fromPort ?? 0;
  const to = ingress.toPort ?? 65535;
  if (from === -1 && to === -1) return true;
  return from <= port && port <= to;
}

function portRange(ingress: Ingress): string {
  const from = ingress.fromPort ?? 0;
  const to = ingress.toPort ?? 65535;
  return from === to ? `port ${from}` : `ports ${from}-${to}`;
}

// ---------------------------------------------------------------------------
// Database and cache: encrypted and private
// ---------------------------------------------------------------------------

const databaseEncrypted: ResourceRule = {
  kind: "resource",
  name: "database-encrypted",
  description: "RDS storage is encrypted at rest.",
  level: "mandatory",
  types: [TYPES.database],
  check: (record) =>
    record.inputs.storageEncrypted === true ? [] : ["storage is not encrypted: set storageEncrypted to true"],
};

const databasePrivate: StackRule = {
  kind: "stack",
  name: "database-private",
  description:
    "RDS instances are not publicly accessible and no security group of theirs is open to the internet.",
  level: "mandatory",
  check: (records) =>
    records
      .filter((r) => r.type === TYPES.database)
      .flatMap((db) => {
        const findings: StackFinding[] = [];
        if (db.inputs.publiclyAccessible === true) {
          findings.push({ record: db, message: "is publicly accessible: set publiclyAccessible to false" });
        }
        for (const message of openSecurityGroups(strings(db.inputs.vpcSecurityGroupIds), records)) {
          findings.push({ record: db, message });
        }
        return findings;
      }),
};

const cacheEncrypted: ResourceRule = {
  kind: "resource",
  name: "cache-encrypted",
  description: "ElastiCache replication groups encrypt data at rest and in transit.",
  level: "mandatory",
  types: [TYPES.cache],
  check: (record) => {
    const messages: string[] = [];
    if (record.inputs.atRestEncryptionEnabled !== true) {
      messages.push("is not encrypted at rest: set atRestEncryptionEnabled to true");
    }
    if (record.inputs.transitEncryptionEnabled !== true) {
      messages.push("is not encrypted in transit: set transitEncryptionEnabled to true");
    }
    return messages;
  },
};

const cachePrivate: StackRule = {
  kind: "stack",
  name: "cache-private",
  description: "No security group of an ElastiCache replication group is open to the internet.",
  level: "mandatory",
  check: (records) =>
    records
      .filter((r) => r.type === TYPES.cache)
      .flatMap((cache) =>
        openSecurityGroups(strings(cache.inputs.securityGroupIds), records).map((message) => ({
          record: cache,
          message,
        })),
      ),
};

/** Messages for each of the given security groups that lets anything in from the internet. */
function openSecurityGroups(groupIds: readonly string[], records: readonly ResourceRecord[]): string[] {
  const messages: string[] = [];
  for (const groupId of groupIds) {
    const group = records.find((r) => r.type === TYPES.securityGroup && r.id === groupId);
    const rules = records.filter(
      (r) =>
        (r.type === TYPES.ingressRule || r.type === TYPES.legacyRule) && r.inputs.securityGroupId === groupId,
    );
    const ingress = [...(group ? ingressOf(group) : []), ...rules.flatMap(ingressOf)];
    const open = ingress.filter((rule) => rule.cidrs.some((c) => INTERNET_CIDRS.has(c)));
    if (open.length > 0) {
      const label = group?.name ?? groupId;
      messages.push(
        `its security group ${label} accepts traffic from the internet; allow only the fleet's group`,
      );
    }
  }
  return messages;
}

// ---------------------------------------------------------------------------
// Machines: IMDSv2 and encrypted volumes
// ---------------------------------------------------------------------------

const imdsv2Required: ResourceRule = {
  kind: "resource",
  name: "imdsv2-required",
  description: "Launch templates and instances require IMDSv2 (metadataOptions.httpTokens = required).",
  level: "mandatory",
  types: [TYPES.launchTemplate, TYPES.instance],
  check: (record) => {
    const options = record.inputs.metadataOptions;
    if (get(options, "httpEndpoint") === "disabled") return [];
    return get(options, "httpTokens") === "required"
      ? []
      : ["does not require IMDSv2: set metadataOptions.httpTokens to 'required'"];
  },
};

const encryptedVolumes: ResourceRule = {
  kind: "resource",
  name: "encrypted-volumes",
  description: "Every EBS volume a launch template or instance creates is encrypted.",
  level: "mandatory",
  types: [TYPES.launchTemplate, TYPES.instance, TYPES.volume],
  check: (record) => {
    const i = record.inputs;
    if (record.type === TYPES.volume) {
      return i.encrypted === true ? [] : ["is not encrypted: set encrypted to true"];
    }
    if (record.type === TYPES.launchTemplate) {
      const ebs = array(i.blockDeviceMappings).filter((m) => get(m, "ebs") !== undefined);
      if (ebs.length === 0) {
        return ["sets no EBS block device mapping, so root volume encryption is left to the image"];
      }
      // Launch templates take `encrypted` as the string "true" (AWS provider 7); accept both forms.
      return ebs
        .filter((m) => !isTrue(get(get(m, "ebs"), "encrypted")))
        .map((m) => `volume ${str(get(m, "deviceName")) ?? "(no device name)"} is not encrypted`);
    }
    const messages: string[] = [];
    if (get(i.rootBlockDevice, "encrypted") !== true) {
      messages.push("root volume is not encrypted: set rootBlockDevice.encrypted to true");
    }
    for (const device of array(i.ebsBlockDevices)) {
      if (get(device, "encrypted") !== true) {
        messages.push(`volume ${str(get(device, "deviceName")) ?? "(no device name)"} is not encrypted`);
      }
    }
    return messages;
  },
};

const preferGp3: ResourceRule = {
  kind: "resource",
  name: "ebs-gp3",
  description: "EBS volumes use gp3 (20% cheaper than gp2, with a 3,000 IOPS baseline).",
  level: "advisory",
  types: [TYPES.launchTemplate, TYPES.instance, TYPES.volume],
  check: (record) => {
    const i = record.inputs;
    const types =
      record.type === TYPES.volume
        ? [i.type]
        : record.type === TYPES.launchTemplate
          ? array(i.blockDeviceMappings).map((m) => get(get(m, "ebs"), "volumeType"))
          : [
              get(i.rootBlockDevice, "volumeType"),
              ...array(i.ebsBlockDevices).map((d) => get(d, "volumeType")),
            ];
    return types.includes("gp2") ? ["uses gp2 volumes; gp3 costs less for the same size"] : [];
  },
};

// ---------------------------------------------------------------------------
// Production database
// ---------------------------------------------------------------------------

const productionDeletionProtection: ResourceRule = {
  kind: "resource",
  name: "production-deletion-protection",
  description: "Production databases have deletion protection.",
  level: "mandatory",
  types: [TYPES.database],
  check: (record, context) =>
    context.environment === "production" && record.inputs.deletionProtection !== true
      ? ["is a production database without deletion protection: set deletionProtection to true"]
      : [],
};

const databaseBackups: ResourceRule = {
  kind: "resource",
  name: "database-backups",
  description: "Databases outside previews keep automated backups.",
  level: "advisory",
  types: [TYPES.database],
  check: (record, context) => {
    if (context.environment === "preview" || context.environment === "previews") return [];
    const days = num(record.inputs.backupRetentionPeriod);
    return days !== undefined && days > 0 ? [] : ["keeps no automated backups: set backupRetentionPeriod"];
  },
};

/** Every rule, in the order the plan reports them. */
export const RULES: readonly Rule[] = [
  noAdminFromInternet,
  databaseEncrypted,
  databasePrivate,
  cacheEncrypted,
  cachePrivate,
  imdsv2Required,
  encryptedVolumes,
  productionDeletionProtection,
  requiredTags,
  preferGp3,
  databaseBackups,
];

/** Run one rule over the records. */
export function runRule(
  rule: Rule,
  records: readonly ResourceRecord[],
  context: PolicyContext,
): PolicyResult[] {
  const result = (record: ResourceRecord, message: string): PolicyResult => ({
    policy: rule.name,
    level: rule.level,
    resource: record.name,
    message,
  });
  if (rule.kind === "stack") return rule.check(records, context).map((f) => result(f.record, f.message));
  return records
    .filter((r) => rule.types.includes(r.type))
    .flatMap((record) => rule.check(record, context).map((message) => result(record, message)));
}

/** Every violation of every rule; an empty list means the plan is compliant. */
export function evaluatePolicies(
  records: readonly ResourceRecord[],
  context: PolicyContext,
  rules: readonly Rule[] = RULES,
): PolicyResult[] {
  return rules.flatMap((rule) => runRule(rule, records, context));
}

export function mandatoryOnly(results: readonly PolicyResult[]): PolicyResult[] {
  return results.filter((r) => r.level === "mandatory");
}

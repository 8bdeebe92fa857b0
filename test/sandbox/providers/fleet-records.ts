/**
 * TEST DOUBLE: part of the sandbox's stand-in `aws` provider plugin, which
 * stands in for AWS and creates nothing in AWS.
 *
 * What the stand-in fleet (test/sandbox/fleet-double.ts, another test double)
 * needs to know of the resources the engine made, written as one JSON file per
 * resource into the folder FLIGHTDECK_SANDBOX_FLEET names (nothing is written
 * when it is unset):
 *
 * - `template-<id>.json`: a launch template's versions, each with its image
 *   and the role, stack and commit of its user-data (base64 → text);
 * - `group-<name>.json`: an auto scaling group's launch template and version,
 *   target groups, desired capacity, tags, and its instance refreshes. An
 *   update that changes the launch template (or its version) starts one now,
 *   as the real provider does for a group with an `instanceRefresh` block:
 *   "Instance refreshes are always triggered by a change in any of
 *   launch_configuration, launch_template, or mixed_instances_policy"
 *   (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/autoscaling_group#instance_refresh);
 * - `host-<host name>.json`: a load balancer's DNS name or a Route 53
 *   record's name, and the stack it belongs to, so that a URL's host leads to
 *   that stack's groups.
 *
 * The stack of a resource is read from its URN (`urn:pulumi:<stack>::…`).
 * A delete removes the resource's file.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseUserData } from "../../../infra/userdata.js";
import { parseUrn } from "./diff.js";

export const FLEET_ENV = "FLIGHTDECK_SANDBOX_FLEET";

type Env = Record<string, string | undefined>;
type Props = Record<string, unknown>;

const TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
const GROUP = "aws:autoscaling/group:Group";
const LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer";
const DNS_RECORD = "aws:route53/record:Record";

export interface TemplateVersion {
  version: number;
  imageId: string;
  role: string;
  stack: string;
  commit: string;
  at: string;
}

export interface TemplateRecord {
  kind: "template";
  id: string;
  stack: string;
  name: string;
  versions: Record<string, TemplateVersion>;
}

export interface RefreshRecord {
  id: string;
  startedAt: string;
  templateId: string;
  fromVersion: number;
  toVersion: number;
}

export interface GroupRecord {
  kind: "group";
  /** The group's name in AWS (what DescribeInstanceRefreshes is asked for). */
  name: string;
  stack: string;
  templateId: string;
  /** The version the group launches now. */
  version: number;
  /** The template and version it was created with: what served before any refresh. */
  createdTemplateId: string;
  createdVersion: number;
  targetGroupArns: string[];
  desiredCapacity: number;
  tags: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  /** Oldest first. */
  refreshes: RefreshRecord[];
}

export interface HostRecord {
  kind: "host";
  host: string;
  stack: string;
  /** What gave the host its name. */
  source: "load balancer" | "DNS record";
}

export interface FleetRecords {
  templates: Map<string, TemplateRecord>;
  groups: Map<string, GroupRecord>;
  hosts: Map<string, HostRecord>;
}

/** The stack of a URN: `urn:pulumi:<stack>::<project>::…`. */
export function stackOfUrn(urn: string): string {
  return urn.split("::")[0]?.split(":")[2] ?? "";
}

const fileName = (kind: string, key: string) => `${kind}-${key.replace(/[^A-Za-z0-9._-]/g, "_")}.json`;

function writeAtomically(dir: string, name: string, value: unknown): void {
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, join(dir, name));
}

function readRecord<T>(dir: string, name: string): T | undefined {
  const path = join(dir, name);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as T) : undefined;
}

function str(value: unknown): string {
  return typeof value === "string" ? value : value === undefined || value === null ? "" : String(value);
}

function userDataOf(base64: unknown): Record<string, string> {
  try {
    return parseUserData(Buffer.from(str(base64), "base64").toString("utf8"));
  } catch {
    return {};
  }
}

function tagsOf(value: unknown): Record<string, string> {
  if (!Array.isArray(value)) return {};
  return Object.fromEntries(
    value
      .filter((t): t is { key: unknown; value: unknown } => typeof t === "object" && t !== null)
      .map((t) => [str(t.key), str(t.value)]),
  );
}

function launchTemplateOf(props: Props | undefined): { id: string; version: number } {
  const lt = (props?.launchTemplate ?? {}) as Props;
  return { id: str(lt.id), version: Number(lt.version ?? 0) };
}

/**
 * Record what the stand-in fleet needs of one create, update or delete
 * (`outs`: the resource's plain outputs; `olds`: its state before an update).
 */
export function recordFleet(
  operation: "create" | "update" | "delete",
  urn: string,
  id: string,
  outs: Props,
  olds?: Props,
  env: Env = process.env,
  now: Date = new Date(),
): void {
  const dir = env[FLEET_ENV];
  if (!dir) return;
  const { type, name } = parseUrn(urn);
  const stack = stackOfUrn(urn);
  const at = now.toISOString();
  switch (type) {
    case TEMPLATE: {
      const file = fileName("template", id);
      if (operation === "delete") return rmSync(join(dir, file), { force: true });
      const previous = readRecord<TemplateRecord>(dir, file);
      const data = userDataOf(outs.userData);
      const version = Number(outs.latestVersion ?? 1);
      const record: TemplateRecord = {
        kind: "template",
        id,
        stack,
        name,
        versions: {
          ...(previous?.versions ?? {}),
          [String(version)]: {
            version,
            imageId: str(outs.imageId),
            role: data.role ?? "",
            stack: data.stack ?? stack,
            commit: data.commit ?? "",
            at,
          },
        },
      };
      return writeAtomically(dir, file, record);
    }
    case GROUP: {
      const groupName = str(outs.name) || id;
      const file = fileName("group", groupName);
      if (operation === "delete") return rmSync(join(dir, file), { force: true });
      const previous = operation === "update" ? readRecord<GroupRecord>(dir, file) : undefined;
      const template = launchTemplateOf(outs);
      const before = launchTemplateOf(olds);
      const refreshes = [...(previous?.refreshes ?? [])];
      if (operation === "update" && (before.id !== template.id || before.version !== template.version)) {
        refreshes.push({
          id: randomUUID(),
          startedAt: at,
          templateId: template.id,
          fromVersion: before.id === template.id ? before.version : 0,
          toVersion: template.version,
        });
      }
      const record: GroupRecord = {
        kind: "group",
        name: groupName,
        stack,
        templateId: template.id,
        version: template.version,
        createdTemplateId: previous?.createdTemplateId ?? (operation === "update" ? before.id : template.id),
        createdVersion:
          previous?.createdVersion ?? (operation === "update" ? before.version : template.version),
        targetGroupArns: Array.isArray(outs.targetGroupArns) ? outs.targetGroupArns.map(str) : [],
        desiredCapacity: Number(outs.desiredCapacity ?? outs.minSize ?? 1),
        tags: tagsOf(outs.tags),
        createdAt: previous?.createdAt ?? at,
        updatedAt: at,
        refreshes,
      };
      return writeAtomically(dir, file, record);
    }
    case LOAD_BALANCER:
    case DNS_RECORD: {
      const host = (type === LOAD_BALANCER ? str(outs.dnsName) : str(outs.name))
        .replace(/\.$/, "")
        .toLowerCase();
      if (!host) return;
      const file = fileName("host", host);
      if (operation === "delete") return rmSync(join(dir, file), { force: true });
      const record: HostRecord = {
        kind: "host",
        host,
        stack,
        source: type === LOAD_BALANCER ? "load balancer" : "DNS record",
      };
      return writeAtomically(dir, file, record);
    }
    default:
      return;
  }
}

/** Everything recorded in `dir` (an absent folder holds nothing). */
export function readFleetRecords(dir: string): FleetRecords {
  const out: FleetRecords = { templates: new Map(), groups: new Map(), hosts: new Map() };
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith(".json") || name.startsWith(".")) continue;
    const record = readRecord<TemplateRecord | GroupRecord | HostRecord>(dir, name);
    if (record?.kind === "template") out.templates.set(record.id, record);
    else if (record?.kind === "group") out.groups.set(record.name, record);
    else if (record?.kind === "host") out.hosts.set(record.host, record);
  }
  return out;
}

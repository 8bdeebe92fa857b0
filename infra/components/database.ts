/**
 * The relational database: one RDS instance in the private subnets, encrypted,
 * never public, reachable only from the fleet's security group on the engine
 * port. Its master password is managed by RDS in Secrets Manager: it never
 * passes through config, program, state or outputs; instances read it at boot
 * with their role (the secret's ARN is in their user-data).
 */
import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseConfig } from "../config.js";
import { autoMinorVersionUpgrade } from "../config/database-version.js";
import { createFleetOnlySecurityGroup } from "./security.js";

export interface DatabaseArgs {
  config: DatabaseConfig;
  vpcId: pulumi.Input<string>;
  privateSubnetIds: pulumi.Input<string[]>;
  /** The only security group allowed to connect (the fleet's). */
  clientSecurityGroupId: pulumi.Input<string>;
  /** Take a final snapshot when the instance is deleted (false only for throw-away stacks). */
  finalSnapshot: boolean;
  tags: Record<string, string>;
}

/** The port of a database engine. */
export function enginePort(engine: DatabaseConfig["engine"]): number {
  return engine === "postgres" ? 5432 : 3306;
}

/**
 * An RDS identifier (DB instance or snapshot): 1 to 255 letters, digits and hyphens,
 * starting with a letter, never two hyphens in a row, not ending with a hyphen (RDS
 * API reference, DeleteDBInstance `FinalDBSnapshotIdentifier`). `undefined` when valid.
 */
export function rdsSnapshotIdentifierProblem(id: string): string | undefined {
  if (id.length < 1 || id.length > 255) return `has ${id.length} characters (1 to 255)`;
  if (!/^[A-Za-z]/.test(id)) return "does not start with a letter";
  if (/[^A-Za-z0-9-]/.test(id)) return "has a character other than a letter, digit or hyphen";
  if (id.includes("--")) return "has two hyphens in a row";
  if (id.endsWith("-")) return "ends with a hyphen";
  return undefined;
}

/**
 * The final snapshot's identifier: `<name>-final-<8 hex>`, the hex digits from the
 * name of the instance's subnet group, which is made once for each instance.
 *
 * RDS refuses a final snapshot whose identifier is taken (DeleteDBInstance:
 * DBSnapshotAlreadyExists), and final snapshots stay after their instance is gone,
 * so each instance needs its own. The subnet group's name ends in the random suffix
 * Pulumi's autonaming gives it when it is created; it is created anew with the stack
 * (after a destroy) and whenever the instance is replaced (`replacementSettings` is its
 * replacement trigger). The identifier is stable across runs of the program (no clock:
 * an update would otherwise see a change every time) and differs for every instance.
 */
export function finalSnapshotIdentifier(name: string, subnetGroupName: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  const lifetime = createHash("sha256").update(subnetGroupName, "utf8").digest("hex").slice(0, 8);
  const head = `${/^[a-z]/.test(cleaned) ? "" : "db-"}${cleaned}`.slice(0, 255 - 15).replace(/-+$/, "");
  const id = `${head}-final-${lifetime}`;
  const problem = rdsSnapshotIdentifierProblem(id);
  if (problem) throw new Error(`the final snapshot identifier '${id}' ${problem}`);
  return id;
}

/**
 * The settings whose change replaces the instance (Terraform AWS provider,
 * `aws_db_instance`: `engine`, `db_name`, `username` are ForceNew; the snapshot is
 * ignored after creation). They are the replacement trigger of the subnet group, so a
 * replaced instance gets a new subnet group, and so a new final snapshot identifier.
 * Only settings that replace the instance anyway: a subnet group replaced under an
 * instance that stays would move the running instance to the new group (ModifyDBInstance
 * `DBSubnetGroupName`, meant for moving an instance to another VPC). An instance replaced
 * for a reason outside these (`pulumi up --replace`) keeps its subnet group, and so the
 * identifier of the instance before it: replace the subnet group with it (`--replace` both).
 */
export function replacementSettings(config: DatabaseConfig): Record<string, string | null> {
  const restoring = config.snapshotIdentifier !== undefined;
  return {
    engine: config.engine,
    dbName: restoring ? null : config.databaseName,
    username: restoring ? null : config.username,
  };
}

/**
 * The instance's identity and storage inputs. A restore from a snapshot takes its
 * database name and master user from the snapshot, so those are only set on a fresh one.
 */
export function instanceSettings(config: DatabaseConfig, finalSnapshot: boolean) {
  const restoring = config.snapshotIdentifier !== undefined;
  return {
    engine: config.engine,
    engineVersion: config.engineVersion,
    instanceClass: config.instanceClass,
    allocatedStorage: config.allocatedStorageGb,
    maxAllocatedStorage: config.maxAllocatedStorageGb,
    storageType: "gp3",
    storageEncrypted: true,
    publiclyAccessible: false,
    multiAz: config.multiAz,
    backupRetentionPeriod: config.backupRetentionDays,
    deletionProtection: config.deletionProtection,
    snapshotIdentifier: config.snapshotIdentifier,
    dbName: restoring ? undefined : config.databaseName,
    username: restoring ? undefined : config.username,
    manageMasterUserPassword: true,
    skipFinalSnapshot: !finalSnapshot,
    copyTagsToSnapshot: true,
    // A major version with RDS's minor upgrades, or a pinned minor without (`database-version.ts`).
    autoMinorVersionUpgrade: autoMinorVersionUpgrade(config),
    port: enginePort(config.engine),
  };
}

export class Database extends pulumi.ComponentResource {
  readonly address: pulumi.Output<string>;
  readonly port: pulumi.Output<number>;
  readonly endpoint: pulumi.Output<string>;
  readonly securityGroupId: pulumi.Output<string>;
  /** ARN of the Secrets Manager secret RDS keeps the master credentials in. */
  readonly masterSecretArn: pulumi.Output<string>;
  readonly databaseName: string;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flightdeck:env:Database", name, {}, opts);
    const sg = createFleetOnlySecurityGroup(this, `${name}-sg`, {
      vpcId: args.vpcId,
      service: args.config.engine,
      port: enginePort(args.config.engine),
      clientSecurityGroupId: args.clientSecurityGroupId,
      tags: args.tags,
    });
    const subnets = createSubnetGroup(this, name, args);
    const db = createInstance(this, name, args, sg, subnets);

    this.address = db.address;
    this.port = db.port;
    this.endpoint = db.endpoint;
    this.securityGroupId = sg.id;
    this.masterSecretArn = db.masterUserSecrets.apply((secrets) => secrets[0]?.secretArn ?? "");
    this.databaseName = args.config.databaseName;
    this.registerOutputs({ address: this.address, port: this.port, securityGroupId: this.securityGroupId });
  }
}

function createSubnetGroup(parent: pulumi.Resource, name: string, args: DatabaseArgs): aws.rds.SubnetGroup {
  return new aws.rds.SubnetGroup(
    `${name}-subnets`,
    { description: "Private subnets", subnetIds: args.privateSubnetIds, tags: args.tags },
    // Made anew with each instance: its name is what makes the final snapshot's unique.
    { parent, replacementTrigger: replacementSettings(args.config) },
  );
}

function createInstance(
  parent: pulumi.Resource,
  name: string,
  args: DatabaseArgs,
  sg: aws.ec2.SecurityGroup,
  subnets: aws.rds.SubnetGroup,
): aws.rds.Instance {
  return new aws.rds.Instance(
    `${name}-db`,
    {
      ...instanceSettings(args.config, args.finalSnapshot),
      finalSnapshotIdentifier: args.finalSnapshot
        ? subnets.name.apply((subnetGroup) => finalSnapshotIdentifier(name, subnetGroup))
        : undefined,
      dbSubnetGroupName: subnets.name,
      vpcSecurityGroupIds: [sg.id],
      tags: args.tags,
    },
    // The snapshot is only read when the instance is created; a newer anonymised
    // snapshot later must not replace (and wipe) a running database.
    { parent, ignoreChanges: ["snapshotIdentifier"] },
  );
}

/**
 * The relational database: one RDS instance in the private subnets, encrypted,
 * never public, reachable only from the fleet's security group on the engine
 * port. Its master password is managed by RDS in Secrets Manager: it never
 * passes through config, program, state or outputs; instances read it at boot
 * with their role (the secret's ARN is in their user-data).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseConfig } from "../config.js";
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

/** The final snapshot's identifier: derived from the resource name, valid for RDS (letters, digits, hyphens). */
export function finalSnapshotName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  return `${/^[a-z]/.test(cleaned) ? "" : "db-"}${cleaned}-final`.slice(0, 255);
}

/**
 * The instance's identity and storage inputs. A restore from a snapshot takes its
 * database name and master user from the snapshot, so those are only set on a fresh one.
 */
export function instanceSettings(name: string, config: DatabaseConfig, finalSnapshot: boolean) {
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
    finalSnapshotIdentifier: finalSnapshot ? finalSnapshotName(name) : undefined,
    copyTagsToSnapshot: true,
    autoMinorVersionUpgrade: true,
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
    { parent },
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
      ...instanceSettings(name, args.config, args.finalSnapshot),
      dbSubnetGroupName: subnets.name,
      vpcSecurityGroupIds: [sg.id],
      tags: args.tags,
    },
    // The snapshot is only read when the instance is created; a newer anonymised
    // snapshot later must not replace (and wipe) a running database.
    { parent, ignoreChanges: ["snapshotIdentifier"] },
  );
}

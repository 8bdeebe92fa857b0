/**
 * The offline plan read against AWS's API rules: final snapshot identifiers
 * (RDS DeleteDBInstance), engine versions and minor upgrades (RDS), ELBv2 and
 * other derived names (their AWS length limits), and the load balancer's
 * deletion protection and access logs (ELBv2 load balancer attributes).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { finalSnapshotIdentifier, rdsSnapshotIdentifierProblem } from "../../infra/components/database.js";
import { parseStackConfig, type StackConfig } from "../../infra/config.js";
import { stackNameProblems } from "../../infra/config/cross-field-rules.js";
import { ENVIRONMENT_STACK_NAME_MAX } from "../../infra/config/stack-name.js";
import { ConfigError } from "../../infra/errors.js";
import { AUTONAME_SUFFIX_LENGTH, ELBV2_NAME_MAX, elbv2LogicalName } from "../../infra/naming.js";
import { recordProgram, runOfflineWithOutputs } from "../../infra/offline.js";
import type { ResourceRecord } from "../../infra/resources.js";
import { componentName, defineStack, newPreviewMeta, previewStackConfig } from "../../infra/stack.js";
import { exampleConfig, exampleInput, ofType, SHA } from "./fixtures.js";

const T = {
  alb: "aws:lb/loadBalancer:LoadBalancer",
  tg: "aws:lb/targetGroup:TargetGroup",
  db: "aws:rds/instance:Instance",
  dbSubnets: "aws:rds/subnetGroup:SubnetGroup",
} as const;

async function plan(config: StackConfig, stack: string): Promise<ResourceRecord[]> {
  return (await runOfflineWithOutputs(config, stack, { commit: SHA })).resources;
}

/** A config input with one section's fields changed. */
function withSection(
  input: Record<string, unknown>,
  section: string,
  fields: Record<string, unknown>,
): Record<string, unknown> {
  return { ...input, [section]: { ...(input[section] as object | undefined), ...fields } };
}

/** The problems a config input is refused with (none when it parses). */
function problemsOf(input: Record<string, unknown>): string[] {
  try {
    parseStackConfig(input, "Pulumi.x.yaml");
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

/**
 * TEST DOUBLE of Pulumi's autonaming for RDS subnet groups: a created resource's
 * physical name is its logical name, `-` and 7 random hex digits, new at every
 * creation (pulumi-terraform-bridge `tfbridge.AutoName`, Randlen 7). The fake
 * account's own names are deterministic; this replaces them, inside one recorded
 * run, by what a real creation would give. Also records the replacement trigger
 * each subnet group is registered with (RegisterResourceRequest.replacementTrigger).
 */
function emulateSubnetGroupAutonaming(triggers: unknown[]): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    mocks: pulumi.runtime.Mocks;
    registerResource(req: RequestLike, callback: (err: Error | null, resp?: unknown) => void): void;
  };
  const mocks = monitor.mocks;
  monitor.mocks = {
    call: (args) => mocks.call(args),
    newResource: async (args) => {
      const result = await mocks.newResource(args);
      if (args.type !== T.dbSubnets) return result;
      return {
        ...result,
        state: { ...result.state, name: `${args.name}-${randomBytes(4).toString("hex").slice(0, 7)}` },
      };
    },
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    if (req.getType() === T.dbSubnets) triggers.push(req.getReplacementTrigger()?.toJavaScript());
    register(req, callback);
  };
}
interface RequestLike {
  getType(): string;
  getReplacementTrigger(): { toJavaScript(): unknown } | undefined;
}

/** One creation of a stack's database (a first `up`, or an `up` after a destroy): its final snapshot identifier and trigger. */
async function createOnce(
  config: StackConfig,
  stack: string,
): Promise<{ snapshot: string; trigger: unknown }> {
  const triggers: unknown[] = [];
  const run = await recordProgram(
    stack,
    () => {
      emulateSubnetGroupAutonaming(triggers);
      return defineStack({ ...config, image: { ...config.image, commit: SHA } }, stack);
    },
    { region: config.region },
  );
  const [db] = ofType(run.resources, T.db);
  assert.ok(db, "the plan has a database");
  assert.equal(triggers.length, 1, "one subnet group, registered with a replacement trigger");
  return { snapshot: String(db.inputs.finalSnapshotIdentifier), trigger: triggers[0] };
}

describe("the offline plan against AWS's API rules", function () {
  this.timeout(120_000);

  describe("final snapshot identifiers (RDS DeleteDBInstance: DBSnapshotAlreadyExists)", () => {
    it("each environment's is a valid RDS identifier, named after the instance's subnet group", async () => {
      for (const stack of ["production", "staging", "testing"]) {
        const resources = await plan(exampleConfig(stack), stack);
        const [db] = ofType(resources, T.db);
        assert.ok(db);
        const id = String(db.inputs.finalSnapshotIdentifier);
        // RDS API reference, DeleteDBInstance FinalDBSnapshotIdentifier: 1-255 letters,
        // digits and hyphens; first a letter; no two hyphens in a row; no hyphen at the end.
        assert.equal(rdsSnapshotIdentifierProblem(id), undefined, id);
        assert.equal(db.inputs.skipFinalSnapshot, false);
        assert.equal(id, finalSnapshotIdentifier(`${stack}-db`, String(db.inputs.dbSubnetGroupName)));
        // Stable across runs of the program: no clock in it, so an update sees no change.
        const again = ofType(await plan(exampleConfig(stack), stack), T.db)[0];
        assert.equal(again?.inputs.finalSnapshotIdentifier, id);
      }
    });

    it("a database created again (after a destroy, or replaced) gets another one", async () => {
      const config = exampleConfig("staging");
      const first = await createOnce(config, "staging");
      const second = await createOnce(config, "staging");
      assert.match(first.snapshot, /^staging-db-final-[0-9a-f]{8}$/);
      assert.match(second.snapshot, /^staging-db-final-[0-9a-f]{8}$/);
      assert.notEqual(first.snapshot, second.snapshot);
    });

    it("the subnet group is replaced exactly when the instance is: its trigger is the instance's replacing settings", async () => {
      const input = exampleInput("production");
      const trigger = async (fields: Record<string, unknown>) =>
        (await createOnce(parseStackConfig(withSection(input, "database", fields), "x"), "production"))
          .trigger;
      const base = await trigger({});
      assert.deepEqual(base, { engine: "postgres", dbName: "app", username: "app" });
      // engine, db_name and username are ForceNew in the AWS provider's aws_db_instance: a new instance.
      assert.notDeepEqual(
        await trigger({ engine: "mysql", engineVersion: "8.0", autoMinorVersionUpgrade: undefined }),
        base,
      );
      assert.notDeepEqual(await trigger({ databaseName: "shop" }), base);
      // Updated in place: the same instance, the same subnet group, the same snapshot identifier.
      assert.deepEqual(await trigger({ instanceClass: "db.r6g.xlarge", allocatedStorageGb: 300 }), base);
      // A restored instance ignores a newer snapshot (ignoreChanges), so its trigger does too.
      const staging = exampleInput("staging");
      const restored = async (snapshotIdentifier: string) =>
        (
          await createOnce(
            parseStackConfig(withSection(staging, "database", { snapshotIdentifier }), "x"),
            "staging",
          )
        ).trigger;
      assert.deepEqual(await restored("app-anonymised-a"), await restored("app-anonymised-b"));
    });

    it("keeps identifiers valid for any component name", () => {
      for (const name of ["9_x", "a", "-staging-db-", "x".repeat(300), "Mixed.Case_db"]) {
        const id = finalSnapshotIdentifier(name, `${name}-subnets-0a1b2c3`);
        assert.equal(rdsSnapshotIdentifierProblem(id), undefined, `${name} -> ${id}`);
      }
      assert.notEqual(
        finalSnapshotIdentifier("staging-db", "staging-db-subnets-0a1b2c3"),
        finalSnapshotIdentifier("staging-db", "staging-db-subnets-4d5e6f7"),
      );
      assert.match(rdsSnapshotIdentifierProblem("a--b") ?? "", /two hyphens/);
      assert.match(rdsSnapshotIdentifierProblem("1ab") ?? "", /letter/);
      assert.match(rdsSnapshotIdentifierProblem("ab-") ?? "", /ends with a hyphen/);
      assert.match(rdsSnapshotIdentifierProblem("x".repeat(256)) ?? "", /256 characters/);
    });
  });

  describe("engine version and minor upgrades (no drift after an RDS minor upgrade)", () => {
    const engineSettings = async (fields: Record<string, unknown>) => {
      const config = parseStackConfig(withSection(exampleInput("testing"), "database", fields), "x");
      const [db] = ofType(await plan(config, "testing"), T.db);
      return { engineVersion: db?.inputs.engineVersion, auto: db?.inputs.autoMinorVersionUpgrade };
    };

    it("a pinned minor turns RDS's minor upgrades off; a major version alone keeps them on", async () => {
      assert.deepEqual(await engineSettings({ engineVersion: "16.4", autoMinorVersionUpgrade: undefined }), {
        engineVersion: "16.4",
        auto: false,
      });
      assert.deepEqual(await engineSettings({ engineVersion: "16", autoMinorVersionUpgrade: undefined }), {
        engineVersion: "16",
        auto: true,
      });
      // MySQL's major versions have two numbers (8.0), its minors three (8.0.36).
      const mysql = { engine: "mysql", autoMinorVersionUpgrade: undefined };
      assert.equal((await engineSettings({ ...mysql, engineVersion: "8.0" })).auto, true);
      assert.equal((await engineSettings({ ...mysql, engineVersion: "8.0.36" })).auto, false);
    });

    it("no example environment pins a minor version with automatic minor upgrades on", async () => {
      for (const stack of ["production", "staging", "testing"]) {
        const [db] = ofType(await plan(exampleConfig(stack), stack), T.db);
        const pinned = String(db?.inputs.engineVersion).split(".").length > 1;
        assert.ok(
          !(pinned && db?.inputs.autoMinorVersionUpgrade === true),
          `${stack}: ${db?.inputs.engineVersion}`,
        );
      }
    });

    it("refuses a config that contradicts itself, saying which choice to make", () => {
      const input = exampleInput("production");
      const pinnedAuto = problemsOf(
        withSection(input, "database", { engineVersion: "16.4", autoMinorVersionUpgrade: true }),
      );
      assert.equal(pinnedAuto.length, 1);
      assert.match(
        pinnedAuto[0] ?? "",
        /^Pulumi\.x\.yaml: flightdeck:database\.autoMinorVersionUpgrade: contradicts engineVersion 16\.4/,
      );
      assert.match(pinnedAuto[0] ?? "", /major version 16/);
      const majorManual = problemsOf(
        withSection(input, "database", { engineVersion: "16", autoMinorVersionUpgrade: false }),
      );
      assert.equal(majorManual.length, 1);
      assert.match(
        majorManual[0] ?? "",
        /flightdeck:database\.autoMinorVersionUpgrade: contradicts engineVersion 16, a major version/,
      );
      const mysqlTooShort = problemsOf(
        withSection(input, "database", { engine: "mysql", engineVersion: "8" }),
      );
      assert.match(mysqlTooShort.join("\n"), /flightdeck:database\.engineVersion: is not a mysql version/);
      assert.deepEqual(
        problemsOf(withSection(input, "database", { engineVersion: "16", autoMinorVersionUpgrade: true })),
        [],
      );
    });
  });

  describe("names within AWS's limits", () => {
    // Every autonamed resource whose AWS name has a limit, and what autonaming appends
    // (`-` and 7 hex digits; the RDS identifier: 7 hex digits). Limits from each API
    // reference: CreateLoadBalancer / CreateTargetGroup Name (32), CreateReplicationGroup
    // ReplicationGroupId (40), CreateRole RoleName (64), CreateDBInstance
    // DBInstanceIdentifier (63), CreateInstanceProfile (128), CreateLaunchTemplate (128).
    const LIMITS: Record<string, { max: number; suffix: number }> = {
      [T.alb]: { max: ELBV2_NAME_MAX, suffix: AUTONAME_SUFFIX_LENGTH },
      [T.tg]: { max: ELBV2_NAME_MAX, suffix: AUTONAME_SUFFIX_LENGTH },
      "aws:elasticache/replicationGroup:ReplicationGroup": { max: 40, suffix: 8 },
      "aws:iam/role:Role": { max: 64, suffix: 8 },
      [T.db]: { max: 63, suffix: 7 },
      "aws:iam/instanceProfile:InstanceProfile": { max: 128, suffix: 8 },
      "aws:ec2/launchTemplate:LaunchTemplate": { max: 128, suffix: 8 },
    };
    const tooLong = (resources: ResourceRecord[]) =>
      resources
        .filter(
          (r) => LIMITS[r.type] && r.name.length + (LIMITS[r.type]?.suffix ?? 0) > (LIMITS[r.type]?.max ?? 0),
        )
        .map((r) => `${r.type} ${r.name}`);

    it("a 20-character stack with a content tier fits every limit; the load balancer's names are cut to fit", async () => {
      const stack = "customer-demo-europe"; // 20 characters
      assert.equal(stack.length, ENVIRONMENT_STACK_NAME_MAX);
      const resources = await plan(exampleConfig("staging"), stack);
      assert.deepEqual(tooLong(resources), []);
      const elb = [...ofType(resources, T.alb), ...ofType(resources, T.tg)];
      assert.equal(elb.length, 3, "load balancer, app and content target groups");
      for (const r of elb) {
        // ELBv2 Name: at most 32 alphanumerics and hyphens, not starting or ending with a hyphen.
        assert.ok(r.name.length + AUTONAME_SUFFIX_LENGTH <= ELBV2_NAME_MAX, r.name);
        assert.match(r.name, /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/);
        assert.doesNotMatch(r.name, /^internal-/i);
      }
      assert.equal(new Set(elb.map((r) => r.name)).size, 3);
      // Unchanged (and so the same URNs) where the old name already fitted.
      const staging = await plan(exampleConfig("staging"), "staging");
      assert.deepEqual([...ofType(staging, T.alb), ...ofType(staging, T.tg)].map((r) => r.name).sort(), [
        "staging-lb-alb",
        "staging-lb-app-tg",
        "staging-lb-content-tg",
      ]);
    });

    it("the limit is tight: at 21 characters the ElastiCache id would not fit, and the stack name is refused", async () => {
      const stack = "customer-demo-europe1";
      const resources = await plan(exampleConfig("staging"), stack);
      assert.deepEqual(tooLong(resources), [
        "aws:elasticache/replicationGroup:ReplicationGroup customer-demo-europe1-cache-redis",
      ]);
      const problems = stackNameProblems(stack, "staging", "Pulumi.customer-demo-europe1.yaml");
      assert.equal(problems.length, 1);
      assert.match(
        problems[0] ?? "",
        /stack name: 'customer-demo-europe1' has 21 characters; .* at most 20: .*ElastiCache/,
      );
      assert.deepEqual(stackNameProblems("customer-demo-europe", "staging", "x"), []);
    });

    it("refuses stack names whose derived RDS and ElastiCache identifiers AWS would refuse", () => {
      for (const stack of ["1st", "qa--eu", "qa-", "-qa", "qa_.eu"]) {
        assert.match(stackNameProblems(stack, "testing", "x").join(), /must start with a letter/, stack);
      }
      for (const stack of ["qa", "qa.eu", "qa_eu", "preview-0123456", "previews"]) {
        assert.deepEqual(
          stackNameProblems(stack, stack.startsWith("preview") ? "preview" : "testing", "x"),
          [],
        );
      }
      assert.equal(componentName("qa.eu"), "qa-eu");
    });

    it("cuts and hashes ELBv2 logical names: always within 32 with the suffix, distinct stacks stay distinct", () => {
      const a = elbv2LogicalName("customer-demo-europe-west-lb-content-tg");
      const b = elbv2LogicalName("customer-demo-europe-east-lb-content-tg");
      assert.notEqual(a, b);
      for (const name of [
        a,
        b,
        elbv2LogicalName("internal-lb-alb"),
        elbv2LogicalName(`${"x".repeat(40)}-`),
      ]) {
        assert.ok(name.length + AUTONAME_SUFFIX_LENGTH <= ELBV2_NAME_MAX, name);
        assert.match(name, /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/);
        assert.doesNotMatch(name, /^internal-/i);
      }
      assert.equal(elbv2LogicalName("production-lb-content-tg"), "production-lb-content-tg");
    });
  });

  describe("the load balancer's deletion protection and access logs (ELBv2 attributes)", () => {
    const alb = async (config: StackConfig, stack: string) => {
      const [lb] = ofType(await plan(config, stack), T.alb);
      assert.ok(lb);
      return lb.inputs;
    };

    it("deletion protection (deletion_protection.enabled) is on in production and off elsewhere by default", async () => {
      assert.equal((await alb(exampleConfig("production"), "production")).enableDeletionProtection, true);
      assert.equal((await alb(exampleConfig("staging"), "staging")).enableDeletionProtection, false);
      const { loadBalancer: _omitted, ...production } = exampleInput("production");
      assert.equal(
        (await alb(parseStackConfig(production, "x"), "production")).enableDeletionProtection,
        true,
      );
      const off = withSection(exampleInput("production"), "loadBalancer", { deletionProtection: false });
      assert.equal((await alb(parseStackConfig(off, "x"), "production")).enableDeletionProtection, false);
      const on = withSection(exampleInput("testing"), "loadBalancer", { deletionProtection: true });
      assert.equal((await alb(parseStackConfig(on, "x"), "testing")).enableDeletionProtection, true);
    });

    it("access logs (access_logs.s3.*) go to the configured bucket under a prefix per stack", async () => {
      assert.equal((await alb(exampleConfig("staging"), "staging")).accessLogs, undefined);
      const logged = (accessLogs: Record<string, unknown>) =>
        parseStackConfig(withSection(exampleInput("staging"), "loadBalancer", { accessLogs }), "x");
      assert.deepEqual(
        (await alb(logged({ bucket: "example-alb-logs", prefix: "alb" }), "staging")).accessLogs,
        {
          enabled: true,
          bucket: "example-alb-logs",
          prefix: "alb/staging",
        },
      );
      assert.deepEqual((await alb(logged({ bucket: "example-alb-logs" }), "testing")).accessLogs, {
        enabled: true,
        bucket: "example-alb-logs",
        prefix: "testing",
      });
    });

    it("refuses a bucket or prefix S3 and ELB would refuse, and a load balancer section on a preview", () => {
      const input = exampleInput("staging");
      const bad = (accessLogs: Record<string, unknown>) =>
        problemsOf(withSection(input, "loadBalancer", { accessLogs })).join("\n");
      assert.match(
        bad({ bucket: "Example_Logs" }),
        /flightdeck:loadBalancer\.accessLogs\.bucket: must be an S3 bucket name/,
      );
      assert.match(bad({ bucket: "a..b" }), /accessLogs\.bucket/);
      assert.match(bad({ bucket: "192.168.1.1" }), /accessLogs\.bucket/);
      assert.match(
        bad({ bucket: "logs", prefix: "alb/AWSLogs" }),
        /accessLogs\.prefix: must be an S3 key prefix/,
      );
      assert.match(bad({ bucket: "logs", prefix: "/alb" }), /accessLogs\.prefix/);
      assert.match(
        problemsOf(withSection(input, "loadBalancer", { protection: true })).join("\n"),
        /flightdeck:loadBalancer/,
      );
      assert.equal(bad({ bucket: "example.alb-logs", prefix: "logs/alb" }), "");
      const previews = exampleConfig("previews");
      const preview = previewStackConfig(previews, newPreviewMeta(SHA, previews));
      assert.deepEqual(problemsOf({ ...preview }), []);
      assert.match(
        problemsOf({ ...preview, loadBalancer: { deletionProtection: true } }).join("\n"),
        /flightdeck:loadBalancer: a preview has no load balancer of its own/,
      );
    });
  });
});

import assert from "node:assert/strict";
import { subnetLayout } from "../../infra/cidr.js";
import { Database, finalSnapshotIdentifier } from "../../infra/components/database.js";
import { HEALTH_CHECK_PATH, TLS_POLICY } from "../../infra/components/load-balancer.js";
import { Network } from "../../infra/components/network.js";
import { fakeAmiId, recordProgram, runOfflineWithOutputs } from "../../infra/offline.js";
import type { ResourceRecord } from "../../infra/resources.js";
import type { StackOutputs } from "../../infra/stack.js";
import { RESOURCE_TAGS } from "../../infra/tags.js";
import { parseUserData } from "../../infra/userdata.js";
import { exampleConfig, input, ofType, one, required, SHA } from "./fixtures.js";

const T = {
  vpc: "awsx:ec2:Vpc",
  alb: "aws:lb/loadBalancer:LoadBalancer",
  listener: "aws:lb/listener:Listener",
  rule: "aws:lb/listenerRule:ListenerRule",
  tg: "aws:lb/targetGroup:TargetGroup",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  cert: "aws:acm/certificate:Certificate",
  record: "aws:route53/record:Record",
  db: "aws:rds/instance:Instance",
  dbSubnets: "aws:rds/subnetGroup:SubnetGroup",
  cache: "aws:elasticache/replicationGroup:ReplicationGroup",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  asg: "aws:autoscaling/group:Group",
  policy: "aws:autoscaling/policy:Policy",
  hook: "aws:autoscaling/lifecycleHook:LifecycleHook",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
} as const;

type Rule = {
  fromPort: number;
  toPort: number;
  protocol: string;
  cidrBlocks?: string[];
  securityGroups?: string[];
};
const ingress = (r: ResourceRecord) => input(r, "ingress") as Rule[];

/** User-data of a launch template, decoded as the machine's bootstrap reads it. */
function userDataOf(lt: ResourceRecord): Record<string, string> {
  return parseUserData(Buffer.from(String(lt.inputs.userData), "base64").toString("utf8"));
}

describe("environment components (offline, recorded)", function () {
  this.timeout(60_000);
  let staging: { resources: ResourceRecord[]; outputs: StackOutputs | undefined };
  let production: ResourceRecord[];
  let testing: ResourceRecord[];

  before(async () => {
    staging = await runOfflineWithOutputs(exampleConfig("staging"), "staging", { commit: SHA });
    production = (await runOfflineWithOutputs(exampleConfig("production"), "production", { commit: SHA }))
      .resources;
    testing = (await runOfflineWithOutputs(exampleConfig("testing"), "testing", { commit: SHA })).resources;
  });

  describe("Network", () => {
    it("spreads public and private subnets over the configured AZs with the configured NAT", () => {
      const vpc = one(staging.resources, T.vpc, "staging-net-vpc");
      const layout = subnetLayout("10.20.0.0/16", 2);
      assert.equal(vpc.inputs.cidrBlock, "10.20.0.0/16");
      assert.equal(vpc.inputs.numberOfAvailabilityZones, 2);
      assert.equal(input(vpc, "natGateways.strategy"), "Single");
      const specs = vpc.inputs.subnetSpecs as { type: string; cidrBlocks: string[] }[];
      assert.deepEqual(
        specs.map((s) => [s.type, s.cidrBlocks]),
        [
          ["Private", layout.privateCidrs],
          ["Public", layout.publicCidrs],
        ],
      );
      const prod = one(production, T.vpc, "production-net-vpc");
      assert.equal(input(prod, "natGateways.strategy"), "OnePerAz");
      assert.equal(prod.inputs.numberOfAvailabilityZones, 3);
      assert.equal(one(staging.resources, "flightdeck:env:Network", "staging-net").urn, vpc.parent);
    });
  });

  describe("LoadBalancer", () => {
    it("is a public ALB in the public subnets, open on 80/443 only", () => {
      const alb = one(staging.resources, T.alb, "staging-lb-alb");
      assert.equal(alb.inputs.internal, false);
      assert.equal(alb.inputs.loadBalancerType, "application");
      const publicSubnets = alb.inputs.subnets as string[];
      const privateSubnets = input(
        one(staging.resources, T.dbSubnets, "staging-db-subnets"),
        "subnetIds",
      ) as string[];
      assert.equal(publicSubnets.length, 2);
      assert.equal(privateSubnets.length, 2);
      assert.equal(
        publicSubnets.some((s) => privateSubnets.includes(s)),
        false,
      );
      const sg = one(staging.resources, T.sg, "staging-lb-sg");
      assert.deepEqual(
        ingress(sg).map((r) => [r.protocol, r.fromPort, r.toPort, r.cidrBlocks]),
        [
          ["tcp", 80, 80, ["0.0.0.0/0"]],
          ["tcp", 443, 443, ["0.0.0.0/0"]],
        ],
      );
    });

    it("with a domain: HTTPS with a DNS-validated certificate, HTTP redirected", () => {
      const cert = one(staging.resources, T.cert, "staging-lb-cert");
      assert.equal(cert.inputs.domainName, "staging.example.com");
      assert.equal(cert.inputs.validationMethod, "DNS");
      const validation = one(staging.resources, T.record, "staging-lb-cert-validation");
      assert.match(String(validation.inputs.name), /\.staging\.example\.com\.$/);
      assert.equal(validation.inputs.type, "CNAME");
      const https = one(staging.resources, T.listener, "staging-lb-https");
      assert.equal(https.inputs.port, 443);
      assert.equal(https.inputs.protocol, "HTTPS");
      assert.equal(https.inputs.sslPolicy, TLS_POLICY);
      assert.match(String(https.inputs.certificateArn), /^arn:aws:acm:/);
      const http = one(staging.resources, T.listener, "staging-lb-http");
      assert.equal(http.inputs.port, 80);
      assert.deepEqual(input(http, "defaultActions"), [
        { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
      ]);
      const alias = one(staging.resources, T.record, "staging-lb-dns");
      assert.equal(alias.inputs.name, "staging.example.com");
      assert.equal(alias.inputs.type, "A");
    });

    it("routes to the app target group (health checked at /healthz) and content paths to content", () => {
      const appTg = one(staging.resources, T.tg, "staging-lb-app-tg");
      assert.equal(input(appTg, "healthCheck.path"), HEALTH_CHECK_PATH);
      const https = one(staging.resources, T.listener, "staging-lb-https");
      const actions = input(https, "defaultActions") as { type: string; targetGroupArn: string }[];
      assert.equal(actions[0]?.type, "forward");
      assert.match(actions[0]?.targetGroupArn ?? "", /targetgroup\/staging-lb-app-tg-/);
      const rule = one(staging.resources, T.rule, "staging-lb-content-rule");
      assert.deepEqual(input(rule, "conditions"), [{ pathPattern: { values: ["/content/*", "/media/*"] } }]);
    });

    it("without a domain: plain HTTP only, no certificate, port 443 closed", () => {
      assert.deepEqual(ofType(testing, T.cert), []);
      const listeners = ofType(testing, T.listener);
      assert.deepEqual(
        listeners.map((l) => [l.inputs.port, l.inputs.protocol]),
        [[80, "HTTP"]],
      );
      assert.deepEqual(
        ingress(one(testing, T.sg, "testing-lb-sg")).map((r) => r.fromPort),
        [80],
      );
      assert.equal(ofType(testing, T.rule).length, 0);
    });
  });

  describe("Database", () => {
    it("is encrypted, private, restored from the snapshot, with an RDS-managed password", () => {
      const db = one(staging.resources, T.db, "staging-db-db");
      assert.equal(db.inputs.storageEncrypted, true);
      assert.equal(db.inputs.publiclyAccessible, false);
      assert.equal(db.inputs.snapshotIdentifier, "app-anonymised-latest");
      assert.equal(db.inputs.manageMasterUserPassword, true);
      assert.equal(db.inputs.password, undefined);
      assert.equal(db.inputs.skipFinalSnapshot, false);
      assert.match(String(db.inputs.dbSubnetGroupName), /^staging-db-subnets-[0-9a-f]{7}$/);
      // One final snapshot per instance: named after the instance's subnet group (aws-rules.test.ts).
      assert.equal(
        db.inputs.finalSnapshotIdentifier,
        finalSnapshotIdentifier("staging-db", String(db.inputs.dbSubnetGroupName)),
      );
      assert.match(String(db.inputs.finalSnapshotIdentifier), /^staging-db-final-[0-9a-f]{8}$/);
    });

    it("in production: Multi-AZ, deletion protection, backups, a fresh database", () => {
      const db = one(production, T.db, "production-db-db");
      assert.equal(db.inputs.multiAz, true);
      assert.equal(db.inputs.deletionProtection, true);
      assert.equal(db.inputs.backupRetentionPeriod, 14);
      assert.equal(db.inputs.snapshotIdentifier, undefined);
      assert.equal(db.inputs.dbName, "app");
      assert.equal(db.inputs.instanceClass, "db.r6g.large");
    });

    it("admits the engine port from the fleet's security group only", () => {
      const sg = one(staging.resources, T.sg, "staging-db-sg");
      assert.deepEqual(ingress(sg), [
        {
          description: "From the fleet",
          protocol: "tcp",
          fromPort: 5432,
          toPort: 5432,
          securityGroups: ["staging-fleet-sg_id"],
        },
      ]);
    });
  });

  describe("Cache", () => {
    it("encrypts at rest and in transit and admits only the fleet", () => {
      const cache = one(production, T.cache, "production-cache-redis");
      assert.equal(cache.inputs.atRestEncryptionEnabled, true);
      assert.equal(cache.inputs.transitEncryptionEnabled, true);
      assert.equal(cache.inputs.engine, "valkey");
      assert.equal(cache.inputs.numCacheClusters, 2);
      assert.equal(cache.inputs.automaticFailoverEnabled, true);
      const sg = one(production, T.sg, "production-cache-sg");
      assert.deepEqual(
        ingress(sg).map((r) => [r.fromPort, r.toPort, r.securityGroups, r.cidrBlocks]),
        [[6379, 6379, ["production-fleet-sg_id"], undefined]],
      );
    });
  });

  describe("Fleet", () => {
    it("launches every role from the commit's image with IMDSv2 and an encrypted gp3 root volume", () => {
      const roles = ofType(production, T.lt).map((lt) => userDataOf(lt).role);
      assert.deepEqual(roles.sort(), ["app", "content", "scheduler", "worker"]);
      for (const lt of ofType(production, T.lt)) {
        assert.equal(lt.inputs.imageId, fakeAmiId(SHA));
        assert.equal(input(lt, "metadataOptions.httpTokens"), "required");
        const ebs = input(lt, "blockDeviceMappings.0.ebs") as Record<string, unknown>;
        assert.equal(ebs.encrypted, "true");
        assert.equal(ebs.volumeType, "gp3");
        assert.equal(input(lt, "blockDeviceMappings.0.deviceName"), "/dev/xvda");
      }
      assert.equal(
        input(one(production, T.lt, "production-fleet-app-lt"), "blockDeviceMappings.0.ebs.volumeSize"),
        30,
      );
      assert.equal(
        input(one(production, T.lt, "production-fleet-worker-lt"), "blockDeviceMappings.0.ebs.volumeSize"),
        20,
      );
    });

    it("writes user-data the bootstrap reads: role, commit, services, worker drain time", () => {
      const app = userDataOf(one(staging.resources, T.lt, "staging-fleet-app-lt"));
      assert.equal(app.role, "app");
      assert.equal(app.commit, SHA);
      assert.equal(app.stack, "staging");
      assert.equal(app.environment, "staging");
      assert.equal(app.health_path, "/healthz");
      assert.equal(app.site_url, "https://staging.example.com");
      assert.match(app.database_host ?? "", /\.rds\.amazonaws\.com$/);
      assert.match(app.database_secret_arn ?? "", /^arn:aws:secretsmanager:/);
      assert.match(app.cache_host ?? "", /cache\.amazonaws\.com$/);
      assert.equal(app.drain_seconds, undefined);
      const worker = userDataOf(one(staging.resources, T.lt, "staging-fleet-worker-lt"));
      assert.equal(worker.role, "worker");
      assert.equal(worker.drain_seconds, "600");
      assert.equal(userDataOf(one(production, T.lt, "production-fleet-worker-lt")).drain_seconds, "900");
    });

    it("refreshes app and worker launch-before-terminate with rollback, the scheduler terminate-first", () => {
      const app = one(production, T.asg, "production-fleet-app-asg");
      assert.deepEqual(input(app, "instanceRefresh"), {
        strategy: "Rolling",
        preferences: {
          minHealthyPercentage: 100,
          maxHealthyPercentage: 200,
          instanceWarmup: "180",
          autoRollback: true,
          skipMatching: true,
        },
      });
      assert.equal(
        input(
          one(production, T.asg, "production-fleet-worker-asg"),
          "instanceRefresh.preferences.autoRollback",
        ),
        true,
      );
      const scheduler = one(production, T.asg, "production-fleet-scheduler-asg");
      assert.deepEqual(
        [scheduler.inputs.minSize, scheduler.inputs.desiredCapacity, scheduler.inputs.maxSize],
        [1, 1, 1],
      );
      assert.equal(input(scheduler, "instanceRefresh.preferences.minHealthyPercentage"), 0);
      assert.equal(input(scheduler, "instanceRefresh.preferences.maxHealthyPercentage"), 100);
    });

    it("registers web tiers in their target groups with ELB health checks, in private subnets", () => {
      const app = one(staging.resources, T.asg, "staging-fleet-app-asg");
      assert.equal(app.inputs.healthCheckType, "ELB");
      assert.match((app.inputs.targetGroupArns as string[])[0] ?? "", /targetgroup\/staging-lb-app-tg-/);
      const content = one(staging.resources, T.asg, "staging-fleet-content-asg");
      assert.match(
        (content.inputs.targetGroupArns as string[])[0] ?? "",
        /targetgroup\/staging-lb-content-tg-/,
      );
      const worker = one(staging.resources, T.asg, "staging-fleet-worker-asg");
      assert.deepEqual(worker.inputs.targetGroupArns, []);
      assert.equal(worker.inputs.healthCheckType, "EC2");
      const privateSubnets = input(one(staging.resources, T.dbSubnets, "staging-db-subnets"), "subnetIds");
      assert.deepEqual(app.inputs.vpcZoneIdentifiers, privateSubnets);
      assert.equal(input(app, "launchTemplate.id"), "staging-fleet-app-lt_id");
    });

    it("holds terminating workers for the drain time", () => {
      const hook = one(production, T.hook, "production-fleet-worker-drain");
      assert.equal(hook.inputs.heartbeatTimeout, 900);
      assert.equal(hook.inputs.lifecycleTransition, "autoscaling:EC2_INSTANCE_TERMINATING");
      assert.equal(hook.inputs.defaultResult, "CONTINUE");
      assert.equal(ofType(production, T.hook).length, 1);
    });

    it("scales every tier but the scheduler on CPU", () => {
      const policies = ofType(production, T.policy);
      assert.deepEqual(policies.map((p) => p.name).sort(), [
        "production-fleet-app-cpu",
        "production-fleet-content-cpu",
        "production-fleet-worker-cpu",
      ]);
      assert.equal(
        input(
          one(production, T.policy, "production-fleet-app-cpu"),
          "targetTrackingConfiguration.targetValue",
        ),
        55,
      );
    });

    it("gives instances SSM and their own secret, nothing broad", () => {
      const attachments = ofType(production, T.attachment);
      assert.equal(attachments.length, 4);
      for (const a of attachments) {
        assert.equal(a.inputs.policyArn, "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore");
      }
      for (const p of ofType(production, T.rolePolicy)) {
        const doc = JSON.parse(String(p.inputs.policy)) as {
          Statement: { Action: string; Resource: string }[];
        };
        for (const s of doc.Statement) {
          assert.doesNotMatch(s.Action, /\*/, `${p.name} grants ${s.Action}`);
          if (s.Action !== "autoscaling:DescribeAutoScalingInstances") {
            assert.doesNotMatch(s.Resource, /^\*$/, `${p.name} grants ${s.Action} on *`);
          }
        }
      }
      const secret = JSON.parse(
        String(one(production, T.rolePolicy, "production-fleet-app-db-secret").inputs.policy),
      );
      assert.match(secret.Statement[0].Resource, /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:rds!db-/);
    });

    it("keeps instance roles and profiles under the flightdeck IAM path the CI role is limited to", () => {
      const iam = [
        ...ofType(production, T.role),
        ...ofType(production, "aws:iam/instanceProfile:InstanceProfile"),
      ];
      assert.equal(iam.length, 8);
      for (const r of iam) assert.equal(r.inputs.path, "/flightdeck/", r.name);
    });
  });

  describe("Environment", () => {
    it("exports what a dashboard needs, and no secret", () => {
      const outputs = staging.outputs ?? {};
      assert.equal(outputs.url, "https://staging.example.com");
      assert.equal(outputs.commit, SHA);
      assert.equal(outputs.imageId, fakeAmiId(SHA));
      assert.equal(outputs.environment, "staging");
      assert.equal(outputs.stack, "staging");
      assert.equal(outputs.region, "us-east-1");
      assert.deepEqual(Object.keys(outputs.autoScalingGroups as object).sort(), [
        "app",
        "content",
        "scheduler",
        "worker",
      ]);
      assert.match(String(outputs.databaseHost), /rds\.amazonaws\.com$/);
      assert.match(String(outputs.cacheHost), /cache\.amazonaws\.com$/);
      // The release task's user-data names the database secret by ARN (the machine reads it by role,
      // as every role's user-data does); no value of a secret is exported.
      const text = JSON.stringify(outputs);
      assert.match(text, /database_secret_arn=arn:aws:secretsmanager:/);
      assert.doesNotMatch(
        text.replace(/database_secret_arn=arn:aws:secretsmanager:[^\\"]+/g, ""),
        /password|secret/i,
      );
      assert.match(String((outputs.releaseTask as { userData: string }).userData), /^role=release$/m);
      assert.deepEqual(Object.keys(outputs.targetGroups as object).sort(), ["app", "content"]);
    });

    it("tags every taggable resource with stack, environment and commit", () => {
      let tagged = 0;
      for (const r of production) {
        const tags = r.inputs.tags;
        if (tags === undefined) continue;
        tagged++;
        const map = Array.isArray(tags)
          ? Object.fromEntries((tags as { key: string; value: string }[]).map((t) => [t.key, t.value]))
          : (tags as Record<string, string>);
        assert.equal(map[RESOURCE_TAGS.stack], "production", r.name);
        assert.equal(map[RESOURCE_TAGS.environment], "production", r.name);
        assert.equal(map[RESOURCE_TAGS.commit], SHA, r.name);
        assert.equal(map.team, "platform", r.name);
      }
      const mustTag = [T.vpc, T.alb, T.sg, T.tg, T.listener, T.cert, T.db, T.cache, T.lt, T.asg, T.role];
      for (const r of production.filter((x) => (mustTag as readonly string[]).includes(x.type))) {
        assert.ok(r.inputs.tags, `${r.type} ${r.name} has no tags`);
      }
      assert.ok(tagged > 25, String(tagged));
    });
  });

  it("two components of one kind in one program do not collide", async () => {
    const config = exampleConfig("staging");
    const run = await recordProgram(
      "twice",
      () => {
        for (const name of ["blue", "green"]) {
          const net = new Network(`${name}-net`, { config: config.network, tags: {} });
          new Database(`${name}-db`, {
            config: required(config.database, "database"),
            vpcId: net.vpcId,
            privateSubnetIds: net.privateSubnetIds,
            clientSecurityGroupId: "sg-fleet",
            finalSnapshot: false,
            tags: {},
          });
        }
      },
      { region: "us-east-1" },
    );
    const urns = run.resources.map((r) => r.urn);
    assert.equal(new Set(urns).size, urns.length);
    assert.equal(run.resources.length, 2 * (1 + 1 + 1 + 3));
    for (const prefix of ["blue", "green"]) {
      assert.equal(run.resources.filter((r) => r.name.startsWith(`${prefix}-`)).length, 6);
    }
    assert.equal(
      ofType(run.resources, T.db).find((r) => r.name === "green-db-db")?.inputs.skipFinalSnapshot,
      true,
    );
  });
});

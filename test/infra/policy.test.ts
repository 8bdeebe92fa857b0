import assert from "node:assert/strict";
import type { PolicyResult } from "../../infra/policy/rule-types.js";
import { evaluatePolicies, mandatoryOnly, RULES } from "../../infra/policy/rules.js";
import { REQUIRED_TAG_KEYS, TAGGABLE_TYPES, tagKeysOf } from "../../infra/policy/tag-rules.js";
import type { ResourceRecord } from "../../infra/resources.js";

function rec(type: string, name: string, inputs: Record<string, unknown>): ResourceRecord {
  return { type, name, urn: `urn:pulumi:staging::flightdeck::${type}::${name}`, inputs, id: `${name}_id` };
}

const TAGS = {
  "flightdeck:stack": "staging",
  "flightdeck:environment": "staging",
  "flightdeck:commit": "0123456789abcdef0123456789abcdef01234567",
};
const SG = "aws:ec2/securityGroup:SecurityGroup";
const RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const LT = "aws:ec2/launchTemplate:LaunchTemplate";
const EC2 = "aws:ec2/instance:Instance";
const DB = "aws:rds/instance:Instance";
const CACHE = "aws:elasticache/replicationGroup:ReplicationGroup";
const ASG = "aws:autoscaling/group:Group";

/** The findings of one policy only, as `resource: message`. */
function findings(policy: string, records: ResourceRecord[], environment = "staging"): string[] {
  return evaluatePolicies(records, { environment })
    .filter((r: PolicyResult) => r.policy === policy)
    .map((r) => `${r.resource}: ${r.message}`);
}

const goodDb = {
  engine: "postgres",
  instanceClass: "db.t4g.medium",
  storageEncrypted: true,
  publiclyAccessible: false,
  deletionProtection: true,
  backupRetentionPeriod: 7,
  vpcSecurityGroupIds: ["db-sg_id"],
  tags: TAGS,
};
const goodCache = {
  nodeType: "cache.t4g.small",
  atRestEncryptionEnabled: true,
  transitEncryptionEnabled: true,
  securityGroupIds: ["cache-sg_id"],
  tags: TAGS,
};
const goodTemplate = {
  instanceType: "t4g.small",
  metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" },
  // AWS provider 7 types a launch template volume's `encrypted` as a string.
  blockDeviceMappings: [
    { deviceName: "/dev/xvda", ebs: { volumeSize: 20, volumeType: "gp3", encrypted: "true" } },
  ],
  tags: TAGS,
};

describe("policy rules", () => {
  describe("no-ssh-rdp-from-internet", () => {
    const sg = (ingress: unknown[]) => rec(SG, "sg", { ingress, tags: TAGS });
    const rule = (inputs: Record<string, unknown>) =>
      rec(RULE, "rule", { securityGroupId: "sg_id", tags: TAGS, ...inputs });

    it("allows HTTP(S) from anywhere and SSH from inside the VPC", () => {
      const records = [
        sg([
          {
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            cidrBlocks: ["0.0.0.0/0"],
            ipv6CidrBlocks: ["::/0"],
          },
          { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["10.0.0.0/16"] },
        ]),
        rule({ ipProtocol: "tcp", fromPort: 80, toPort: 80, cidrIpv4: "0.0.0.0/0" }),
        rule({ ipProtocol: "-1", referencedSecurityGroupId: "lb-sg_id" }),
      ];
      assert.deepEqual(findings("no-ssh-rdp-from-internet", records), []);
    });

    it("refuses SSH or RDP from the internet, inline or as a separate rule, by range or all protocols", () => {
      assert.equal(
        findings("no-ssh-rdp-from-internet", [
          sg([{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }]),
        ]).length,
        1,
      );
      assert.match(
        findings("no-ssh-rdp-from-internet", [
          sg([{ protocol: "tcp", fromPort: 0, toPort: 4000, ipv6CidrBlocks: ["::/0"] }]),
        ]).join("\n"),
        /SSH \(port 22\) from ::\/0[\s\S]*RDP \(port 3389\)/,
      );
      assert.deepEqual(
        findings("no-ssh-rdp-from-internet", [rule({ ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" })]),
        [
          "rule: allows SSH (port 22) from 0.0.0.0/0 (all traffic); reach machines through SSM Session Manager instead",
          "rule: allows RDP (port 3389) from 0.0.0.0/0 (all traffic); reach machines through SSM Session Manager instead",
        ],
      );
      assert.equal(
        findings("no-ssh-rdp-from-internet", [
          rule({ ipProtocol: "udp", fromPort: 3389, toPort: 3389, cidrIpv6: "::/0" }),
        ]).length,
        1,
      );
      assert.equal(
        findings("no-ssh-rdp-from-internet", [
          rec("aws:ec2/securityGroupRule:SecurityGroupRule", "legacy", {
            type: "ingress",
            protocol: "6",
            fromPort: 20,
            toPort: 25,
            cidrBlocks: ["0.0.0.0/0"],
          }),
        ]).length,
        1,
      );
    });

    it("does not count UDP 22 or a range that stops short of the port", () => {
      assert.deepEqual(
        findings("no-ssh-rdp-from-internet", [
          rule({ ipProtocol: "udp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" }),
          rule({ ipProtocol: "tcp", fromPort: 23, toPort: 3388, cidrIpv4: "0.0.0.0/0" }),
        ]),
        [],
      );
    });
  });

  describe("database and cache", () => {
    const dbSg = rec(SG, "db-sg", { ingress: [], tags: TAGS });
    const cacheSg = rec(SG, "cache-sg", { ingress: [], tags: TAGS });

    it("allows a private, encrypted database and cache", () => {
      const records = [dbSg, cacheSg, rec(DB, "db", goodDb), rec(CACHE, "cache", goodCache)];
      for (const policy of ["database-encrypted", "database-private", "cache-encrypted", "cache-private"]) {
        assert.deepEqual(findings(policy, records), [], policy);
      }
    });

    it("refuses an unencrypted or public database", () => {
      assert.deepEqual(
        findings("database-encrypted", [rec(DB, "db", { ...goodDb, storageEncrypted: false })]),
        ["db: storage is not encrypted: set storageEncrypted to true"],
      );
      assert.deepEqual(
        findings("database-encrypted", [rec(DB, "db", { ...goodDb, storageEncrypted: undefined })]).length,
        1,
      );
      assert.deepEqual(
        findings("database-private", [dbSg, rec(DB, "db", { ...goodDb, publiclyAccessible: true })]),
        ["db: is publicly accessible: set publiclyAccessible to false"],
      );
    });

    it("refuses a database or cache whose security group is open to the internet", () => {
      const openRule = rec(RULE, "db-open", {
        securityGroupId: "db-sg_id",
        ipProtocol: "tcp",
        fromPort: 5432,
        toPort: 5432,
        cidrIpv4: "0.0.0.0/0",
      });
      assert.deepEqual(findings("database-private", [dbSg, openRule, rec(DB, "db", goodDb)]), [
        "db: its security group db-sg accepts traffic from the internet; allow only the fleet's group",
      ]);
      const openSg = rec(SG, "cache-sg", {
        ingress: [{ protocol: "tcp", fromPort: 6379, toPort: 6379, cidrBlocks: ["0.0.0.0/0"] }],
      });
      assert.equal(findings("cache-private", [openSg, rec(CACHE, "cache", goodCache)]).length, 1);
    });

    it("refuses a cache not encrypted at rest or in transit", () => {
      assert.deepEqual(
        findings("cache-encrypted", [
          rec(CACHE, "cache", {
            ...goodCache,
            atRestEncryptionEnabled: false,
            transitEncryptionEnabled: undefined,
          }),
        ]),
        [
          "cache: is not encrypted at rest: set atRestEncryptionEnabled to true",
          "cache: is not encrypted in transit: set transitEncryptionEnabled to true",
        ],
      );
    });

    it("requires deletion protection on production databases only", () => {
      const unprotected = rec(DB, "db", { ...goodDb, deletionProtection: false });
      assert.deepEqual(findings("production-deletion-protection", [unprotected], "staging"), []);
      assert.equal(findings("production-deletion-protection", [unprotected], "production").length, 1);
      assert.deepEqual(findings("production-deletion-protection", [rec(DB, "db", goodDb)], "production"), []);
    });

    it("advises backups outside previews", () => {
      const none = rec(DB, "db", { ...goodDb, backupRetentionPeriod: 0 });
      const results = evaluatePolicies([none], { environment: "testing" }).filter(
        (r) => r.policy === "database-backups",
      );
      assert.equal(results.length, 1);
      assert.equal(results[0]?.level, "advisory");
      assert.deepEqual(findings("database-backups", [none], "preview"), []);
    });
  });

  describe("machines", () => {
    it("allows a launch template and an instance with IMDSv2 and encrypted volumes", () => {
      const records = [
        rec(LT, "lt", goodTemplate),
        rec(EC2, "vm", {
          instanceType: "t4g.nano",
          metadataOptions: { httpTokens: "required" },
          rootBlockDevice: { volumeSize: 10, volumeType: "gp3", encrypted: true },
          tags: TAGS,
        }),
      ];
      assert.deepEqual(findings("imdsv2-required", records), []);
      assert.deepEqual(findings("encrypted-volumes", records), []);
      assert.deepEqual(findings("ebs-gp3", records), []);
    });

    it("refuses IMDSv1", () => {
      assert.deepEqual(
        findings("imdsv2-required", [
          rec(LT, "lt", { ...goodTemplate, metadataOptions: { httpTokens: "optional" } }),
        ]),
        ["lt: does not require IMDSv2: set metadataOptions.httpTokens to 'required'"],
      );
      assert.equal(findings("imdsv2-required", [rec(EC2, "vm", { instanceType: "t4g.nano" })]).length, 1);
    });

    it("refuses unencrypted volumes, and a template that leaves the root volume to the image", () => {
      const plain = {
        ...goodTemplate,
        blockDeviceMappings: [
          { deviceName: "/dev/xvda", ebs: { volumeSize: 20, encrypted: "false" } },
          { deviceName: "/dev/xvdb", ebs: { volumeSize: 20, encrypted: true } },
        ],
      };
      assert.deepEqual(findings("encrypted-volumes", [rec(LT, "lt", plain)]), [
        "lt: volume /dev/xvda is not encrypted",
      ]);
      assert.equal(
        findings("encrypted-volumes", [rec(LT, "lt", { ...goodTemplate, blockDeviceMappings: [] })]).length,
        1,
      );
      assert.deepEqual(
        findings("encrypted-volumes", [rec(EC2, "vm", { rootBlockDevice: { volumeSize: 8 } })]),
        ["vm: root volume is not encrypted: set rootBlockDevice.encrypted to true"],
      );
      assert.equal(findings("encrypted-volumes", [rec("aws:ebs/volume:Volume", "v", { size: 5 })]).length, 1);
    });

    it("advises gp3 over gp2", () => {
      const gp2 = {
        ...goodTemplate,
        blockDeviceMappings: [{ ebs: { volumeSize: 20, volumeType: "gp2", encrypted: true } }],
      };
      const results = evaluatePolicies([rec(LT, "lt", gp2)], { environment: "staging" });
      assert.deepEqual(
        results.map((r) => [r.policy, r.level]),
        [["ebs-gp3", "advisory"]],
      );
    });
  });

  describe("required-tags", () => {
    it("allows map tags, an ASG's tag list, and provider default tags", () => {
      const records = [
        rec("awsx:ec2:Vpc", "vpc", { tags: { ...TAGS, Name: "vpc" } }),
        rec(ASG, "asg", {
          tags: Object.entries(TAGS).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
        }),
      ];
      assert.deepEqual(findings("required-tags", records), []);
      const viaProvider = [
        rec("pulumi:providers:aws", "aws", { defaultTags: { tags: TAGS } }),
        rec(SG, "sg", { ingress: [] }),
      ];
      assert.deepEqual(findings("required-tags", viaProvider), []);
    });

    it("refuses a taggable resource without them; provider default tags do not reach an ASG", () => {
      const records = [
        rec("pulumi:providers:aws", "aws", { defaultTags: { tags: TAGS } }),
        rec(DB, "db", { tags: { "flightdeck:stack": "staging" } }),
        rec(ASG, "asg", { tags: [{ key: "flightdeck:stack", value: "staging", propagateAtLaunch: true }] }),
        rec("aws:lb/targetGroup:TargetGroup", "tg", {}),
        // Not taggable: never asked for tags.
        rec("aws:route53/record:Record", "dns", {}),
        rec("flightdeck:env:Database", "component", {}),
      ];
      assert.deepEqual(findings("required-tags", records), [
        "asg: is missing tags flightdeck:environment, flightdeck:commit",
      ]);
      const noProvider = records.filter((r) => r.type !== "pulumi:providers:aws");
      assert.deepEqual(findings("required-tags", noProvider), [
        "db: is missing tags flightdeck:environment, flightdeck:commit",
        "asg: is missing tags flightdeck:environment, flightdeck:commit",
        "tg: is missing tags flightdeck:stack, flightdeck:environment, flightdeck:commit",
      ]);
    });

    it("reads tag keys from maps and lists, and checks the Vpc", () => {
      assert.deepEqual([...tagKeysOf(rec(ASG, "a", { tags: [{ key: "k", value: "v" }] }))], ["k"]);
      assert.deepEqual([...tagKeysOf(rec(SG, "s", { tags: { k: "v" } }))], ["k"]);
      assert.ok(TAGGABLE_TYPES.includes("awsx:ec2:Vpc"));
      assert.deepEqual(REQUIRED_TAG_KEYS, Object.keys(TAGS));
    });
  });

  it("names every rule uniquely, with a level, and keeps only mandatory findings on request", () => {
    const names = RULES.map((r) => r.name);
    assert.equal(new Set(names).size, names.length);
    for (const rule of RULES) assert.match(rule.name, /^[a-z0-9-]+$/);
    const results = evaluatePolicies(
      [
        rec(LT, "lt", {
          ...goodTemplate,
          blockDeviceMappings: [{ ebs: { volumeType: "gp2", encrypted: false } }],
        }),
      ],
      { environment: "staging" },
    );
    assert.deepEqual(
      results.map((r) => r.policy),
      ["encrypted-volumes", "ebs-gp3"],
    );
    assert.deepEqual(
      mandatoryOnly(results).map((r) => r.policy),
      ["encrypted-volumes"],
    );
  });
});

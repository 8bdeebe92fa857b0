import assert from "node:assert/strict";
import { maxVpcPrefixFor, subnetLayout } from "../../infra/cidr.js";
import { replicationSettings } from "../../infra/components/cache.js";
import { enginePort, finalSnapshotIdentifier, instanceSettings } from "../../infra/components/database.js";
import { asgTags, fleetRoles, healthCheckType, refreshPreferences } from "../../infra/components/fleet.js";
import { publicIngress } from "../../infra/components/load-balancer.js";
import { natStrategy } from "../../infra/components/network.js";
import { baseStackName, previewDataSettings, s3ObjectArn } from "../../infra/components/preview.js";
import { imageQuery } from "../../infra/image.js";
import { IMAGE_TAGS } from "../../infra/image-tags.js";
import { awsPartition, previewHost, previewRulePriority, previewStackName } from "../../infra/naming.js";
import { exampleConfig, OTHER_SHA, required, SHA } from "./fixtures.js";

describe("subnet layout", () => {
  it("puts private subnets in the first half and public ones after, one per AZ", () => {
    const layout = subnetLayout("10.20.0.0/16", 3);
    assert.deepEqual(layout.privateCidrs, ["10.20.0.0/19", "10.20.32.0/19", "10.20.64.0/19"]);
    assert.deepEqual(layout.publicCidrs, ["10.20.128.0/20", "10.20.144.0/20", "10.20.160.0/20"]);
  });

  it("uses the network address of a block given with host bits", () => {
    assert.deepEqual(subnetLayout("10.30.7.9/16", 2).privateCidrs, ["10.30.0.0/18", "10.30.64.0/18"]);
  });

  it("refuses a network too small for its AZs, and says how big it must be", () => {
    assert.equal(maxVpcPrefixFor(6), 23);
    assert.throws(() => subnetLayout("10.0.0.0/24", 6), /too small for 6 availability zones \(use \/23/);
    assert.equal(subnetLayout("10.0.0.0/24", 2).publicPrefix, 27);
  });
});

describe("naming", () => {
  it("names a preview's stack and host from the short SHA", () => {
    assert.equal(previewStackName(SHA), "preview-0123456");
    assert.equal(previewHost(SHA, "preview.example.com"), "0123456.preview.example.com");
  });

  it("derives a stable listener rule priority within ALB limits", () => {
    const p = previewRulePriority(SHA);
    assert.equal(p, previewRulePriority(SHA));
    assert.notEqual(p, previewRulePriority(OTHER_SHA));
    for (const sha of [SHA, OTHER_SHA, "f".repeat(40), "0".repeat(40)]) {
      const priority = previewRulePriority(sha);
      assert.ok(priority >= 1 && priority <= 50_000, String(priority));
    }
  });

  it("knows the partition of a region", () => {
    assert.equal(awsPartition("us-east-1"), "aws");
    assert.equal(awsPartition("us-gov-west-1"), "aws-us-gov");
  });
});

describe("component helpers", () => {
  it("maps the NAT setting to awsx strategies", () => {
    assert.equal(natStrategy("perAz"), "OnePerAz");
    assert.equal(natStrategy("single"), "Single");
    assert.equal(natStrategy("none"), "None");
  });

  it("opens only 80 (and 443 with TLS) to the internet", () => {
    assert.deepEqual(
      publicIngress(true).map((r) => [r.fromPort, r.toPort, r.cidrBlocks]),
      [
        [80, 80, ["0.0.0.0/0"]],
        [443, 443, ["0.0.0.0/0"]],
      ],
    );
    assert.deepEqual(
      publicIngress(false).map((r) => r.fromPort),
      [80],
    );
  });

  it("keeps full capacity while refreshing web tiers and workers, terminates the scheduler first", () => {
    const deploy = exampleConfig("production").deploy;
    assert.deepEqual(refreshPreferences("app", deploy), {
      minHealthyPercentage: 100,
      maxHealthyPercentage: 200,
      instanceWarmup: "180",
      autoRollback: true,
      skipMatching: true,
    });
    assert.equal(refreshPreferences("worker", deploy).autoRollback, true);
    assert.deepEqual(refreshPreferences("scheduler", deploy), {
      minHealthyPercentage: 0,
      maxHealthyPercentage: 100,
      instanceWarmup: "180",
      autoRollback: false,
    });
  });

  it("checks web tiers through the load balancer", () => {
    assert.equal(healthCheckType("app"), "ELB");
    assert.equal(healthCheckType("content"), "ELB");
    assert.equal(healthCheckType("worker"), "EC2");
    assert.deepEqual(fleetRoles(required(exampleConfig("testing").tiers, "tiers")), [
      "app",
      "worker",
      "scheduler",
    ]);
    assert.deepEqual(fleetRoles(required(exampleConfig("staging").tiers, "tiers")), [
      "app",
      "worker",
      "scheduler",
      "content",
    ]);
  });

  it("propagates every tag to the instances of a group", () => {
    assert.deepEqual(asgTags({ a: "1" }, "web"), [
      { key: "a", value: "1", propagateAtLaunch: true },
      { key: "Name", value: "web", propagateAtLaunch: true },
    ]);
  });

  it("restores from a snapshot without naming a database or user", () => {
    const staging = instanceSettings(required(exampleConfig("staging").database, "database"), true);
    assert.equal(staging.snapshotIdentifier, "app-anonymised-latest");
    assert.equal(staging.dbName, undefined);
    assert.equal(staging.username, undefined);
    const production = instanceSettings(required(exampleConfig("production").database, "database"), true);
    assert.equal(production.dbName, "app");
    assert.equal(production.skipFinalSnapshot, false);
    assert.equal(
      instanceSettings(required(exampleConfig("testing").database, "database"), false).skipFinalSnapshot,
      true,
    );
    assert.equal(enginePort("postgres"), 5432);
    assert.match(finalSnapshotIdentifier("9_x", "9-x-subnets-0a1b2c3"), /^db-9-x-final-[0-9a-f]{8}$/);
  });

  it("enables cache failover only with a replica", () => {
    const cache = required(exampleConfig("production").cache, "cache");
    assert.deepEqual(replicationSettings(cache), {
      numCacheClusters: 2,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
    });
    assert.deepEqual(replicationSettings({ ...cache, replicas: 0 }), {
      numCacheClusters: 1,
      automaticFailoverEnabled: false,
      multiAzEnabled: false,
    });
  });

  it("derives preview data settings and ARNs", () => {
    assert.deepEqual(previewDataSettings({ source: "dump", s3Uri: "s3://b/k.sql.gz" }), {
      preview_data_source: "dump",
      preview_data_s3_uri: "s3://b/k.sql.gz",
    });
    assert.equal(
      s3ObjectArn("s3://bucket/app/latest.sql.gz", "us-east-1"),
      "arn:aws:s3:::bucket/app/latest.sql.gz",
    );
    assert.equal(baseStackName("previews", "acme", "flightdeck"), "acme/flightdeck/previews");
    assert.equal(baseStackName("other/proj/previews", "acme", "flightdeck"), "other/proj/previews");
  });
});

describe("image lookup query", () => {
  it("looks up this account's newest image tagged with the commit", () => {
    assert.deepEqual(imageQuery({ commit: SHA }), {
      owners: ["self"],
      mostRecent: true,
      filters: [{ name: `tag:${IMAGE_TAGS.commit}`, values: [SHA] }],
    });
  });

  it("lets an explicit AMI id override the commit", () => {
    assert.deepEqual(imageQuery({ commit: SHA, amiId: "ami-0123456789abcdef0" }), {
      filters: [{ name: "image-id", values: ["ami-0123456789abcdef0"] }],
    });
  });

  it("refuses a stack with neither, saying what to set", () => {
    assert.throws(() => imageQuery({}), {
      name: "UserError",
      message: "No image to deploy: set `image.commit` or `image.amiId` in the stack config.",
    });
  });
});

import assert from "node:assert/strict";
import { APP_PORT, TLS_POLICY } from "../../infra/components/load-balancer.js";
import { previewRulePriority } from "../../infra/naming.js";
import { FAKE_PREVIEW_BASE, fakeAmiId, runOfflineWithOutputs } from "../../infra/offline.js";
import type { ResourceRecord } from "../../infra/resources.js";
import {
  newPreviewMeta,
  previewStackConfig,
  previewStackName,
  type StackOutputs,
} from "../../infra/stack.js";
import { RESOURCE_TAGS } from "../../infra/tags.js";
import { parseUserData } from "../../infra/userdata.js";
import { exampleConfig, input, ofType, one, SHA } from "./fixtures.js";

const NOW = new Date("2026-03-01T12:00:00.000Z");

describe("previews", function () {
  this.timeout(60_000);

  describe("PreviewBase", () => {
    let base: { resources: ResourceRecord[]; outputs: StackOutputs | undefined };
    before(async () => {
      base = await runOfflineWithOutputs(exampleConfig("previews"), "previews");
    });

    it("has one network with the configured NAT and one ALB with a wildcard certificate and DNS", () => {
      const vpcs = ofType(base.resources, "awsx:ec2:Vpc");
      assert.equal(vpcs.length, 1);
      assert.equal(input(vpcs[0] as ResourceRecord, "natGateways.strategy"), "Single");
      assert.equal(ofType(base.resources, "aws:lb/loadBalancer:LoadBalancer").length, 1);
      assert.equal(
        one(base.resources, "aws:acm/certificate:Certificate", "previews-lb-cert").inputs.domainName,
        "*.preview.example.com",
      );
      const dns = one(base.resources, "aws:route53/record:Record", "previews-lb-dns");
      assert.equal(dns.inputs.name, "*.preview.example.com");
    });

    it("answers requests for unknown previews with a fixed 404 over HTTPS", () => {
      const https = one(base.resources, "aws:lb/listener:Listener", "previews-lb-https");
      assert.equal(https.inputs.sslPolicy, TLS_POLICY);
      assert.deepEqual(input(https, "defaultActions"), [
        {
          type: "fixed-response",
          fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "No such preview." },
        },
      ]);
      assert.equal(ofType(base.resources, "aws:lb/targetGroup:TargetGroup").length, 0);
      assert.equal(ofType(base.resources, "aws:ec2/launchTemplate:LaunchTemplate").length, 0);
    });

    it("exports what previews read", () => {
      const outputs = base.outputs ?? {};
      for (const key of [
        "vpcId",
        "vpcCidr",
        "privateSubnetIds",
        "publicSubnetIds",
        "listenerArn",
        "albSecurityGroupId",
      ]) {
        assert.ok(outputs[key], key);
      }
      assert.equal(outputs.domain, "preview.example.com");
      assert.match(String(outputs.listenerArn), /listener\/app\/previews-lb-https-/);
    });
  });

  describe("Preview", () => {
    const previews = exampleConfig("previews");
    const meta = newPreviewMeta(SHA, previews, { now: NOW, author: "dev@example.com", branch: "feature" });
    const config = previewStackConfig(previews, meta);
    const stack = previewStackName(SHA);
    let run: { resources: ResourceRecord[]; outputs: StackOutputs | undefined };
    before(async () => {
      run = await runOfflineWithOutputs(config, stack);
    });

    it("derives its config from the previews defaults and the commit", () => {
      assert.equal(stack, "preview-0123456");
      assert.equal(config.environment, "preview");
      assert.equal(config.image.commit, SHA);
      assert.equal(meta.expiresAt, "2026-03-03T12:00:00.000Z");
      assert.deepEqual(config.preview.instanceTypes, ["t4g.small", "c7g.medium", "c6g.medium", "t4g.medium"]);
      assert.equal(config.database, undefined);
    });

    it("creates no network, NAT gateway, load balancer, database or cache of its own", () => {
      const types = new Set(run.resources.map((r) => r.type));
      for (const type of [
        "awsx:ec2:Vpc",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/eip:Eip",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:lb/listener:Listener",
        "aws:rds/instance:Instance",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:ec2/instance:Instance",
      ]) {
        assert.equal(types.has(type), false, type);
      }
      assert.equal(ofType(run.resources, "aws:autoscaling/group:Group").length, 1);
    });

    it("adds a host rule <sha7>.<domain> with its own priority on the base listener", () => {
      const rule = one(run.resources, "aws:lb/listenerRule:ListenerRule", "preview-0123456-rule");
      assert.deepEqual(input(rule, "conditions"), [
        { hostHeader: { values: ["0123456.preview.example.com"] } },
      ]);
      assert.equal(rule.inputs.priority, previewRulePriority(SHA));
      assert.equal(rule.inputs.listenerArn, FAKE_PREVIEW_BASE.listenerArn);
      const tg = one(run.resources, "aws:lb/targetGroup:TargetGroup", "preview-0123456-tg");
      assert.equal(tg.inputs.vpcId, FAKE_PREVIEW_BASE.vpcId);
      assert.equal(input(tg, "healthCheck.path"), "/healthz");
      const group = one(run.resources, "aws:autoscaling/group:Group", "preview-0123456-asg");
      const arns = group.inputs.targetGroupArns as string[];
      assert.equal(arns.length, 1);
      assert.match(String(arns[0]), /:targetgroup\/preview-0123456-tg-[0-9a-f]{7}\//);
    });

    it("runs one all-in-one machine from a launch template: IMDSv2, encrypted, with its own data", () => {
      const lt = one(run.resources, "aws:ec2/launchTemplate:LaunchTemplate", "preview-0123456-lt");
      assert.equal(lt.inputs.imageId, fakeAmiId(SHA));
      assert.equal(input(lt, "metadataOptions.httpTokens"), "required");
      const [root] = lt.inputs.blockDeviceMappings as { ebs: Record<string, unknown> }[];
      assert.equal(root?.ebs.encrypted, "true");
      assert.equal(root?.ebs.volumeSize, 10);
      const group = one(run.resources, "aws:autoscaling/group:Group", "preview-0123456-asg");
      assert.deepEqual(group.inputs.vpcZoneIdentifiers, FAKE_PREVIEW_BASE.privateSubnetIds);
      const data = parseUserData(Buffer.from(String(lt.inputs.userData), "base64").toString("utf8"));
      assert.equal(data.role, "all-in-one");
      assert.equal(data.commit, SHA);
      assert.equal(data.preview_data_source, "dump");
      assert.equal(data.preview_data_s3_uri, "s3://example-anonymised-dumps/app/latest.sql.gz");
      assert.equal(data.expires_at, meta.expiresAt);
      assert.equal(data.site_url, "https://0123456.preview.example.com");
      assert.equal(data.database_host, undefined);
      const tags = lt.inputs.tags as Record<string, string>;
      assert.equal(tags[RESOURCE_TAGS.stack], "preview-0123456");
      assert.equal(tags[RESOURCE_TAGS.environment], "preview");
      assert.equal(tags[RESOURCE_TAGS.commit], SHA);
    });

    it("admits only the base load balancer, on the app port", () => {
      const sg = one(run.resources, "aws:ec2/securityGroup:SecurityGroup", "preview-0123456-sg");
      assert.deepEqual(
        (
          sg.inputs.ingress as {
            fromPort: number;
            toPort: number;
            securityGroups: string[];
            cidrBlocks?: string[];
          }[]
        ).map((r) => [r.fromPort, r.toPort, r.securityGroups, r.cidrBlocks]),
        [[APP_PORT, APP_PORT, [FAKE_PREVIEW_BASE.albSecurityGroupId], undefined]],
      );
      const dump = JSON.parse(
        String(one(run.resources, "aws:iam/rolePolicy:RolePolicy", "preview-0123456-dump").inputs.policy),
      );
      assert.deepEqual(dump.Statement, [
        {
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::example-anonymised-dumps/app/latest.sql.gz",
        },
      ]);
    });

    it("exports its URL, commit, image and expiry", () => {
      const outputs = run.outputs ?? {};
      assert.equal(outputs.url, "https://0123456.preview.example.com");
      assert.equal(outputs.commit, SHA);
      assert.equal(outputs.imageId, fakeAmiId(SHA));
      assert.equal(outputs.expiresAt, "2026-03-03T12:00:00.000Z");
      assert.equal(outputs.author, "dev@example.com");
    });

    it("refuses to derive a preview from anything but the previews config", () => {
      assert.throws(
        () => previewStackConfig(exampleConfig("staging"), meta),
        /derived from the previews base config/,
      );
      assert.throws(() => newPreviewMeta("abc1234", previews), /full 40-character commit SHA/);
    });
  });
});

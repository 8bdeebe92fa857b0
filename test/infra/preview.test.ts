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
      assert.equal(config.preview.instanceType, "t4g.nano");
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
        "aws:autoscaling/group:Group",
      ]) {
        assert.equal(types.has(type), false, type);
      }
      assert.equal(ofType(run.resources, "aws:ec2/instance:Instance").length, 1);
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
      const attachment = one(
        run.resources,
        "aws:lb/targetGroupAttachment:TargetGroupAttachment",
        "preview-0123456-target",
      );
      assert.equal(attachment.inputs.targetId, "preview-0123456-vm_id");
    });

    it("runs one small all-in-one machine, IMDSv2, encrypted, with its own data", () => {
      const vm = one(run.resources, "aws:ec2/instance:Instance", "preview-0123456-vm");
      assert.equal(vm.inputs.instanceType, "t4g.nano");
      assert.equal(vm.inputs.ami, fakeAmiId(SHA));
      assert.equal(input(vm, "metadataOptions.httpTokens"), "required");
      assert.equal(input(vm, "rootBlockDevice.encrypted"), true);
      assert.equal(input(vm, "rootBlockDevice.volumeSize"), 10);
      assert.equal(vm.inputs.associatePublicIpAddress, false);
      assert.equal(vm.inputs.subnetId, (FAKE_PREVIEW_BASE.privateSubnetIds as string[])[0]);
      const data = parseUserData(String(vm.inputs.userData));
      assert.equal(data.role, "all-in-one");
      assert.equal(data.commit, SHA);
      assert.equal(data.preview_data_source, "dump");
      assert.equal(data.preview_data_s3_uri, "s3://example-anonymised-dumps/app/latest.sql.gz");
      assert.equal(data.expires_at, meta.expiresAt);
      assert.equal(data.database_host, undefined);
      const tags = vm.inputs.tags as Record<string, string>;
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

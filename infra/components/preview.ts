/**
 * Previews: one shared base (network, load balancer with a wildcard certificate
 * and DNS), and per commit or branch a small isolated stack on top of it.
 *
 * A preview brings no network, NAT gateway or load balancer of its own: a host
 * rule `<sha7>.<preview domain>` (a branch preview: `<slug>.<preview domain>`)
 * on the base's HTTPS listener sends its traffic to its one machine, which runs
 * every role (`all-in-one`) with its own on-machine Postgres and Redis loaded
 * per `preview.data`: no data is shared with any other environment or preview.
 *
 * The machine is a Spot group of one that sleeps outside working hours
 * (`preview-machine.ts`); its URL then shows a sleeping page (`preview-routing.ts`).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PreviewDefaults, PreviewMeta, StackConfig } from "../config.js";
import { lookupImage } from "../image.js";
import { awsPartition, IAM_PATH } from "../naming.js";
import { stackTags } from "../tags.js";
import { renderUserData } from "../userdata.js";
import { EC2_TRUST_POLICY, ssmManagedPolicyArn } from "./fleet.js";
import { APP_PORT, HEALTH_CHECK_PATH, LoadBalancer } from "./load-balancer.js";
import { Network } from "./network.js";
import { createMachine } from "./preview-machine.js";
import { createRouting, powerMode, previewServedHost } from "./preview-routing.js";

/** What a preview reads from the base stack (its outputs). */
export const BASE_OUTPUTS = [
  "vpcId",
  "vpcCidr",
  "privateSubnetIds",
  "publicSubnetIds",
  "listenerArn",
  "albSecurityGroupId",
  "domain",
] as const;

export interface PreviewBaseArgs {
  config: StackConfig;
  stack: string;
}

/** The wildcard host every preview of a domain is covered by. */
export function wildcardHost(domain: string): string {
  return `*.${domain}`;
}

function previewDomain(config: StackConfig): string {
  if (!config.preview.domain) throw new Error("preview.domain is required (the schema checks this)");
  return config.preview.domain;
}

export class PreviewBase extends pulumi.ComponentResource {
  readonly outputs: Record<
    (typeof BASE_OUTPUTS)[number] | "environment" | "stack" | "region",
    pulumi.Input<unknown>
  >;

  constructor(name: string, args: PreviewBaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flightdeck:env:PreviewBase", name, {}, opts);
    const { config, stack } = args;
    const tags = stackTags(config, stack);
    const domain = previewDomain(config);
    const network = new Network(`${name}-net`, { config: config.network, tags }, { parent: this });
    const lb = new LoadBalancer(
      `${name}-lb`,
      {
        vpcId: network.vpcId,
        vpcCidr: network.cidr,
        publicSubnetIds: network.publicSubnetIds,
        tls: { hostName: wildcardHost(domain), zone: config.dnsZone ?? domain },
        defaultRoute: "notFound",
        tags,
      },
      { parent: this },
    );

    this.outputs = {
      vpcId: network.vpcId,
      vpcCidr: network.cidr,
      privateSubnetIds: network.privateSubnetIds,
      publicSubnetIds: network.publicSubnetIds,
      listenerArn: lb.listenerArn,
      albSecurityGroupId: lb.securityGroupId,
      domain,
      environment: config.environment,
      stack,
      region: config.region,
    };
    this.registerOutputs({ ...this.outputs });
  }
}

export interface PreviewArgs {
  config: StackConfig;
  stack: string;
}

/** The full name of the base stack, as a stack reference wants it. */
export function baseStackName(baseStack: string, organization: string, project: string): string {
  return baseStack.includes("/") ? baseStack : `${organization}/${project}/${baseStack}`;
}

/** `s3://bucket/key` to the object's ARN. */
export function s3ObjectArn(uri: string, region: string): string {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new Error(`not an s3://bucket/key URI: ${uri}`);
  return `arn:${awsPartition(region)}:s3:::${m[1]}/${m[2]}`;
}

/** User-data settings saying where a preview's isolated data comes from. */
export function previewDataSettings(data: PreviewDefaults["data"]): Record<string, string> {
  switch (data.source) {
    case "empty":
      return { preview_data_source: "empty" };
    case "fixtures":
      return { preview_data_source: "fixtures", preview_data_path: data.path };
    case "dump":
      return { preview_data_source: "dump", preview_data_s3_uri: data.s3Uri };
  }
}

/** The preview's user-data: every role on one machine, its data source, its expiry. */
export function previewUserData(config: StackConfig, stack: string, meta: PreviewMeta, host: string): string {
  return renderUserData({
    role: "all-in-one",
    environment: config.environment,
    stack,
    commit: meta.commit,
    region: config.region,
    settings: {
      ...previewDataSettings(config.preview.data),
      site_url: `https://${host}`,
      http_port: APP_PORT,
      health_path: HEALTH_CHECK_PATH,
      expires_at: meta.expiresAt,
    },
  });
}

function requiredMeta(config: StackConfig): PreviewMeta {
  if (!config.previewMeta)
    throw new Error("previewMeta is required on a preview stack (the schema checks this)");
  return config.previewMeta;
}

export class Preview extends pulumi.ComponentResource {
  readonly outputs: Record<string, pulumi.Input<unknown>>;

  constructor(name: string, args: PreviewArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flightdeck:env:Preview", name, {}, opts);
    const { config, stack } = args;
    const meta = requiredMeta(config);
    const tags = stackTags(config, stack);
    const host = previewServedHost(meta, previewDomain(config));
    const mode = powerMode(meta, config.preview.schedule);

    const base = readBase(this, name, config.preview.baseStack);
    const image = lookupImage(config.image, config.region, this);
    const sg = createSecurityGroup(this, name, base, tags);
    const profile = createInstanceProfile(this, name, config, tags);
    const routing = createRouting(this, name, {
      config,
      meta,
      host,
      mode,
      listenerArn: base.listenerArn as pulumi.Output<string>,
      vpcId: base.vpcId as pulumi.Output<string>,
      tags,
    });
    const machine = createMachine(this, name, {
      config,
      stack,
      mode,
      image,
      userData: previewUserData(config, stack, meta, host),
      subnetIds: base.privateSubnetIds as pulumi.Output<string[]>,
      securityGroupId: sg.id,
      instanceProfileArn: profile.arn,
      targetGroupArn: routing.targetGroup.arn,
      tags,
    });

    this.outputs = {
      url: `https://${host}`,
      host,
      commit: meta.commit,
      imageId: image.imageId,
      environment: config.environment,
      stack,
      region: config.region,
      groupName: machine.group.name,
      power: mode,
      slug: meta.slug,
      createdAt: meta.createdAt,
      expiresAt: meta.expiresAt,
      branch: meta.branch,
      author: meta.author,
    };
    this.registerOutputs({ ...this.outputs });
  }
}

type BaseRef = Record<(typeof BASE_OUTPUTS)[number], pulumi.Output<unknown>>;

function readBase(parent: pulumi.Resource, name: string, baseStack: string): BaseRef {
  const ref = new pulumi.StackReference(
    `${name}-base`,
    { name: baseStackName(baseStack, pulumi.getOrganization(), pulumi.getProject()) },
    { parent },
  );
  return Object.fromEntries(BASE_OUTPUTS.map((key) => [key, ref.requireOutput(key)])) as BaseRef;
}

function createSecurityGroup(
  parent: pulumi.Resource,
  name: string,
  base: BaseRef,
  tags: Record<string, string>,
): aws.ec2.SecurityGroup {
  return new aws.ec2.SecurityGroup(
    `${name}-sg`,
    {
      description: "Preview machine: web traffic from the previews load balancer only",
      vpcId: base.vpcId as pulumi.Output<string>,
      ingress: [
        {
          description: "From the previews load balancer",
          protocol: "tcp",
          fromPort: APP_PORT,
          toPort: APP_PORT,
          securityGroups: [base.albSecurityGroupId as pulumi.Output<string>],
        },
      ],
      egress: [
        { description: "Outbound", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] },
      ],
      tags: { ...tags, Name: `${name}-sg` },
    },
    { parent },
  );
}

function createInstanceProfile(
  parent: pulumi.Resource,
  name: string,
  config: StackConfig,
  tags: Record<string, string>,
): aws.iam.InstanceProfile {
  const role = new aws.iam.Role(
    `${name}-role`,
    { path: IAM_PATH, assumeRolePolicy: EC2_TRUST_POLICY, description: `Preview machine ${name}`, tags },
    { parent },
  );
  new aws.iam.RolePolicyAttachment(
    `${name}-ssm`,
    { role: role.name, policyArn: ssmManagedPolicyArn(config.region) },
    { parent },
  );
  const data = config.preview.data;
  if (data.source === "dump") {
    new aws.iam.RolePolicy(
      `${name}-dump`,
      {
        role: role.name,
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: "s3:GetObject", Resource: s3ObjectArn(data.s3Uri, config.region) },
          ],
        }),
      },
      { parent },
    );
  }
  return new aws.iam.InstanceProfile(
    `${name}-profile`,
    { path: IAM_PATH, role: role.name, tags },
    { parent },
  );
}

/**
 * The public entry of a stack: an application load balancer in the public
 * subnets. With a domain it serves HTTPS with a DNS-validated ACM certificate
 * and redirects HTTP to HTTPS; without one it serves plain HTTP on its AWS name.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { elbv2LogicalName } from "../naming.js";

/** The port every web role (app, content, all-in-one) listens on behind the load balancer. */
export const APP_PORT = 8000;
/** The path the load balancer checks; the image's app unit serves it. */
export const HEALTH_CHECK_PATH = "/healthz";
/** A current AWS policy: TLS 1.3 and 1.2 only, forward-secret ciphers. */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
const ANYWHERE_V4 = "0.0.0.0/0";
const ANYWHERE_V6 = "::/0";

export interface LoadBalancerArgs {
  vpcId: pulumi.Input<string>;
  /** The VPC's CIDR block: the load balancer talks only to targets inside it. */
  vpcCidr: string;
  publicSubnetIds: pulumi.Input<string[]>;
  /**
   * Serve HTTPS for `hostName` (a wildcard like `*.preview.example.com` is allowed), with a
   * certificate validated in the Route 53 zone `zone`, and point the host name at the balancer.
   */
  tls?: { hostName: string; zone: string };
  /** What requests that no rule matches get: the app servers, or a fixed 404 (the previews base). */
  defaultRoute: "app" | "notFound";
  /** Path patterns routed to the content tier; omit for no content tier. */
  contentPathPatterns?: string[];
  /** AWS refuses to delete the load balancer until this is turned off (`deletion_protection.enabled`). Default off. */
  deletionProtection?: boolean;
  /** Log every request to this existing S3 bucket under this key prefix (`access_logs.s3.*`). Default: no logs. */
  accessLogs?: { bucket: string; prefix: string };
  tags: Record<string, string>;
}

/** The security group ingress of a public load balancer: 80 (and 443 with TLS) from anywhere, nothing else. */
export function publicIngress(tls: boolean): aws.types.input.ec2.SecurityGroupIngress[] {
  const ports = tls ? [80, 443] : [80];
  return ports.map((port) => ({
    description: `HTTP${port === 443 ? "S" : ""} from the internet`,
    protocol: "tcp",
    fromPort: port,
    toPort: port,
    cidrBlocks: [ANYWHERE_V4],
    ipv6CidrBlocks: [ANYWHERE_V6],
  }));
}

/** The URL a stack is served at. */
export function siteUrl(hostName: string | undefined, dnsName: pulumi.Input<string>): pulumi.Output<string> {
  return hostName ? pulumi.output(`https://${hostName}`) : pulumi.interpolate`http://${dnsName}`;
}

export class LoadBalancer extends pulumi.ComponentResource {
  readonly arn: pulumi.Output<string>;
  readonly dnsName: pulumi.Output<string>;
  readonly zoneId: pulumi.Output<string>;
  readonly securityGroupId: pulumi.Output<string>;
  /** The listener requests arrive on (HTTPS with a domain, else HTTP): host and path rules attach here. */
  readonly listenerArn: pulumi.Output<string>;
  readonly appTargetGroupArn?: pulumi.Output<string>;
  readonly contentTargetGroupArn?: pulumi.Output<string>;
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flightdeck:env:LoadBalancer", name, {}, opts);
    const sg = createSecurityGroup(this, name, args);
    const alb = createBalancer(this, name, args, sg);
    const appTg = args.defaultRoute === "app" ? createTargetGroup(this, `${name}-app`, args) : undefined;
    const contentTg = args.contentPathPatterns ? createTargetGroup(this, `${name}-content`, args) : undefined;
    const defaultActions = defaultActionsFor(appTg);
    const listener = args.tls
      ? createHttpsListener(this, name, args, args.tls, alb, defaultActions)
      : createListener(this, `${name}-http`, args, alb, 80, "HTTP", defaultActions);
    if (contentTg && args.contentPathPatterns) {
      createContentRule(this, name, args, listener, contentTg, args.contentPathPatterns);
    }

    this.arn = alb.arn;
    this.dnsName = alb.dnsName;
    this.zoneId = alb.zoneId;
    this.securityGroupId = sg.id;
    this.listenerArn = listener.arn;
    this.appTargetGroupArn = appTg?.arn;
    this.contentTargetGroupArn = contentTg?.arn;
    this.url = siteUrl(args.tls?.hostName, alb.dnsName);
    this.registerOutputs({
      arn: this.arn,
      dnsName: this.dnsName,
      securityGroupId: this.securityGroupId,
      listenerArn: this.listenerArn,
      url: this.url,
    });
  }
}

function createSecurityGroup(
  parent: pulumi.Resource,
  name: string,
  args: LoadBalancerArgs,
): aws.ec2.SecurityGroup {
  return new aws.ec2.SecurityGroup(
    `${name}-sg`,
    {
      description: "Public load balancer: HTTP(S) from the internet, to targets in the VPC",
      vpcId: args.vpcId,
      ingress: publicIngress(args.tls !== undefined),
      egress: [
        {
          description: "To web targets in the VPC",
          protocol: "tcp",
          fromPort: APP_PORT,
          toPort: APP_PORT,
          cidrBlocks: [args.vpcCidr],
        },
      ],
      tags: { ...args.tags, Name: `${name}-sg` },
    },
    { parent },
  );
}

function createBalancer(
  parent: pulumi.Resource,
  name: string,
  args: LoadBalancerArgs,
  sg: aws.ec2.SecurityGroup,
): aws.lb.LoadBalancer {
  // Autonamed: the logical name leaves room for the suffix within ELBv2's 32 characters.
  return new aws.lb.LoadBalancer(
    elbv2LogicalName(`${name}-alb`),
    {
      loadBalancerType: "application",
      internal: false,
      subnets: args.publicSubnetIds,
      securityGroups: [sg.id],
      dropInvalidHeaderFields: true,
      enableDeletionProtection: args.deletionProtection ?? false,
      accessLogs: args.accessLogs
        ? { enabled: true, bucket: args.accessLogs.bucket, prefix: args.accessLogs.prefix }
        : undefined,
      tags: args.tags,
    },
    { parent },
  );
}

function createTargetGroup(
  parent: pulumi.Resource,
  name: string,
  args: LoadBalancerArgs,
): aws.lb.TargetGroup {
  return new aws.lb.TargetGroup(
    elbv2LogicalName(`${name}-tg`),
    {
      vpcId: args.vpcId,
      port: APP_PORT,
      protocol: "HTTP",
      targetType: "instance",
      // Give in-flight requests time to finish when an instance leaves during a refresh.
      deregistrationDelay: 30,
      healthCheck: {
        path: HEALTH_CHECK_PATH,
        protocol: "HTTP",
        matcher: "200",
        interval: 15,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
      },
      tags: args.tags,
    },
    { parent },
  );
}

function defaultActionsFor(
  appTg: aws.lb.TargetGroup | undefined,
): aws.types.input.lb.ListenerDefaultAction[] {
  if (appTg) return [{ type: "forward", targetGroupArn: appTg.arn }];
  return [
    {
      type: "fixed-response",
      fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "No such preview." },
    },
  ];
}

function createListener(
  parent: pulumi.Resource,
  name: string,
  args: LoadBalancerArgs,
  alb: aws.lb.LoadBalancer,
  port: number,
  protocol: "HTTP" | "HTTPS",
  defaultActions: pulumi.Input<aws.types.input.lb.ListenerDefaultAction[]>,
  certificateArn?: pulumi.Input<string>,
): aws.lb.Listener {
  return new aws.lb.Listener(
    name,
    {
      loadBalancerArn: alb.arn,
      port,
      protocol,
      sslPolicy: protocol === "HTTPS" ? TLS_POLICY : undefined,
      certificateArn,
      defaultActions,
      tags: args.tags,
    },
    { parent },
  );
}

/** HTTPS on 443 with a DNS-validated certificate, HTTP on 80 redirecting to it, and the DNS alias. */
function createHttpsListener(
  parent: pulumi.Resource,
  name: string,
  args: LoadBalancerArgs,
  tls: { hostName: string; zone: string },
  alb: aws.lb.LoadBalancer,
  defaultActions: aws.types.input.lb.ListenerDefaultAction[],
): aws.lb.Listener {
  const zone = aws.route53.getZoneOutput({ name: tls.zone, privateZone: false }, { parent });
  const certificateArn = createCertificate(parent, name, args, tls.hostName, zone.zoneId);
  createAlias(parent, name, tls.hostName, zone.zoneId, alb);
  createListener(parent, `${name}-http`, args, alb, 80, "HTTP", [
    { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
  ]);
  return createListener(parent, `${name}-https`, args, alb, 443, "HTTPS", defaultActions, certificateArn);
}

/** An ACM certificate for the host name, validated by the DNS record ACM asks for. Resolves once issued. */
function createCertificate(
  parent: pulumi.Resource,
  name: string,
  args: LoadBalancerArgs,
  hostName: string,
  zoneId: pulumi.Output<string>,
): pulumi.Output<string> {
  const cert = new aws.acm.Certificate(
    `${name}-cert`,
    { domainName: hostName, validationMethod: "DNS", tags: args.tags },
    { parent },
  );
  // One host name (wildcard or not) means exactly one validation record.
  const option = cert.domainValidationOptions.apply((options) => {
    const first = options[0];
    if (!first) throw new Error(`ACM returned no DNS validation record for ${hostName}`);
    return first;
  });
  const record = new aws.route53.Record(
    `${name}-cert-validation`,
    {
      zoneId,
      name: option.resourceRecordName,
      type: option.resourceRecordType,
      records: [option.resourceRecordValue],
      ttl: 300,
      allowOverwrite: true,
    },
    { parent },
  );
  const validation = new aws.acm.CertificateValidation(
    `${name}-cert-validated`,
    { certificateArn: cert.arn, validationRecordFqdns: [record.fqdn] },
    { parent },
  );
  return validation.certificateArn;
}

function createAlias(
  parent: pulumi.Resource,
  name: string,
  hostName: string,
  zoneId: pulumi.Output<string>,
  alb: aws.lb.LoadBalancer,
): aws.route53.Record {
  return new aws.route53.Record(
    `${name}-dns`,
    {
      zoneId,
      name: hostName,
      type: "A",
      aliases: [{ name: alb.dnsName, zoneId: alb.zoneId, evaluateTargetHealth: true }],
    },
    { parent },
  );
}

function createContentRule(
  parent: pulumi.Resource,
  name: string,
  args: LoadBalancerArgs,
  listener: aws.lb.Listener,
  contentTg: aws.lb.TargetGroup,
  pathPatterns: string[],
): aws.lb.ListenerRule {
  return new aws.lb.ListenerRule(
    `${name}-content-rule`,
    {
      listenerArn: listener.arn,
      priority: 10,
      actions: [{ type: "forward", targetGroupArn: contentTg.arn }],
      conditions: [{ pathPattern: { values: pathPatterns } }],
      tags: args.tags,
    },
    { parent },
  );
}

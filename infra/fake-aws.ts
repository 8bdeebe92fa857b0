/**
 * A fake AWS account: the answers a test double gives in place of AWS. Nothing
 * here calls AWS or creates anything in it.
 *
 * One table, two users:
 * - the offline plan (`offline.ts`), which runs the program under Pulumi's mock
 *   runtime (`flightdeck plan --offline`);
 * - the sandbox's stand-in `aws`/`awsx` provider plugins
 *   (`test/sandbox/providers/`), which the real Pulumi engine runs the real
 *   program against.
 *
 * It answers with deterministic ARNs, DNS names and ids, the outputs the program
 * reads from each resource type (awsx Vpc subnet ids, ALB DNS name, RDS address,
 * ...), and the lookups the program makes (the image of a commit, the Route 53
 * zone, ...). Any other lookup fails with `Mock not implemented: <token>`, so a
 * new data source in the program cannot silently get a made-up answer.
 */
import { createHash } from "node:crypto";
import { IMAGE_TAGS } from "./image-tags.js";

/** The account the fake answers with. */
export const FAKE_ACCOUNT_ID = "123456789012";

/** The error the real provider gives when `getAmi` matches nothing. */
export const NO_AMI_MESSAGE =
  "Your query returned no results. Please change your search criteria and try again.";

export interface FakeAwsOptions {
  region: string;
  /**
   * The AMI the fake account has for a commit; `undefined` means no image was built
   * for it, and the lookup fails like the real provider. Default: every commit has one.
   */
  imageFor?: (commit: string) => string | undefined;
}

/**
 * A failed lookup. The message is what the program sees: Pulumi's mock runtime
 * and the Node SDK's invoke both report a failed invoke by the gRPC error's
 * `details` (node_modules/@pulumi/pulumi/runtime/invoke.js, `new Error(err.details)`).
 */
function lookupError(message: string): Error {
  return Object.assign(new Error(message), { details: message });
}

/** The failure of a lookup the fake account does not know. */
function notImplemented(token: string): Error {
  return lookupError(`Mock not implemented: ${token}`);
}

/** A short deterministic hex digest, for fake ids. */
function digest(text: string, length: number): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** The fake image id of a commit: stable, so plans of one commit are identical. */
export function fakeAmiId(commit: string): string {
  return `ami-${digest(`image:${commit}`, 17)}`;
}

type Filters = { name: string; values: string[] }[];

function filterValue(inputs: Record<string, unknown>, name: string): string | undefined {
  const filters = (inputs.filters ?? []) as Filters;
  return filters.find((f) => f.name === name)?.values[0];
}

/** The answers of one fake account in one region. */
export class FakeAwsAccount {
  readonly region: string;
  private readonly imageFor: (commit: string) => string | undefined;

  constructor(options: FakeAwsOptions) {
    this.region = options.region;
    this.imageFor = options.imageFor ?? fakeAmiId;
  }

  /** The answer of a lookup (a provider function, e.g. `aws:ec2/getAmi:getAmi`). */
  invoke(token: string, inputs: Record<string, unknown>): Record<string, unknown> {
    const region = this.region;
    switch (token) {
      case "aws:ec2/getAmi:getAmi":
        return this.image(inputs);
      case "aws:route53/getZone:getZone": {
        const zoneId = `Z${digest(`zone:${inputs.name}`, 12).toUpperCase()}`;
        return { id: zoneId, zoneId, name: inputs.name, privateZone: false };
      }
      case "aws:index/getAvailabilityZones:getAvailabilityZones": {
        const names = ["a", "b", "c", "d", "e", "f"].map((s) => `${region}${s}`);
        return { id: region, names, zoneIds: names.map((_, i) => `use1-az${i + 1}`), state: "available" };
      }
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return {
          id: FAKE_ACCOUNT_ID,
          accountId: FAKE_ACCOUNT_ID,
          arn: `arn:aws:iam::${FAKE_ACCOUNT_ID}:user/offline`,
          userId: "AIDAOFFLINE",
        };
      case "aws:index/getRegion:getRegion":
        return { id: region, name: region, region, endpoint: `ec2.${region}.amazonaws.com` };
      case "aws:index/getPartition:getPartition":
        return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com" };
      default:
        throw notImplemented(token);
    }
  }

  private image(inputs: Record<string, unknown>): Record<string, unknown> {
    const explicit = filterValue(inputs, "image-id");
    const commit = filterValue(inputs, `tag:${IMAGE_TAGS.commit}`);
    const imageId = explicit ?? (commit === undefined ? undefined : this.imageFor(commit));
    if (imageId === undefined) throw lookupError(NO_AMI_MESSAGE);
    return {
      id: imageId,
      imageId,
      name: `flightdeck-${commit ?? "explicit"}`,
      architecture: "arm64",
      rootDeviceName: "/dev/xvda",
      creationDate: "2026-01-01T00:00:00.000Z",
      tags: commit === undefined ? {} : { [IMAGE_TAGS.commit]: commit },
    };
  }

  private arn(service: string, resource: string): string {
    return `arn:aws:${service}:${this.region}:${FAKE_ACCOUNT_ID}:${resource}`;
  }

  /**
   * The outputs the program reads from a resource of `type` named `name` with
   * physical id `id`, shaped like the provider's (computed properties only; the
   * caller adds the inputs). `previous` is the resource's state before an update
   * (none on create), for what AWS derives from it (a launch template's version).
   */
  outputsOf(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    id: string,
    previous?: Record<string, unknown>,
  ): Record<string, unknown> {
    const physical = `${name}-${digest(name, 7)}`;
    const region = this.region;
    switch (type) {
      case "awsx:ec2:Vpc": {
        const azs = Number(inputs.numberOfAvailabilityZones ?? 3);
        const ids = (kind: string) =>
          Array.from({ length: azs }, (_, i) => `subnet-${digest(`${name}:${kind}:${i}`, 17)}`);
        return {
          vpcId: `vpc-${digest(name, 17)}`,
          publicSubnetIds: ids("public"),
          privateSubnetIds: ids("private"),
          isolatedSubnetIds: [],
        };
      }
      case "aws:lb/loadBalancer:LoadBalancer":
        return {
          arn: this.arn("elasticloadbalancing", `loadbalancer/app/${physical}/${digest(id, 16)}`),
          dnsName: `${physical}-${Number.parseInt(digest(id, 8), 16)}.${region}.elb.amazonaws.com`,
          zoneId: "Z35SXDOTRQ7X7K",
        };
      case "aws:lb/targetGroup:TargetGroup":
        return { arn: this.arn("elasticloadbalancing", `targetgroup/${physical}/${digest(id, 16)}`) };
      case "aws:lb/listener:Listener":
        return { arn: this.arn("elasticloadbalancing", `listener/app/${physical}/${digest(id, 16)}`) };
      case "aws:lb/listenerRule:ListenerRule":
        return {
          arn: this.arn(
            "elasticloadbalancing",
            `listener-rule/app/${physical}/${digest(id, 16)}/${digest(`${id}:rule`, 16)}`,
          ),
        };
      case "aws:acm/certificate:Certificate": {
        const domain = String(inputs.domainName ?? "example.com");
        const bare = domain.replace(/^\*\./, "");
        return {
          arn: this.arn("acm", `certificate/${digest(id, 32)}`),
          domainValidationOptions: [
            {
              domainName: domain,
              resourceRecordName: `_${digest(`${domain}:name`, 32)}.${bare}.`,
              resourceRecordType: "CNAME",
              resourceRecordValue: `_${digest(`${domain}:value`, 32)}.acm-validations.aws.`,
            },
          ],
        };
      }
      case "aws:acm/certificateValidation:CertificateValidation":
        return { certificateArn: inputs.certificateArn };
      case "aws:route53/record:Record":
        return { fqdn: String(inputs.name ?? name).replace(/\.$/, "") };
      case "aws:rds/instance:Instance": {
        const address = `${physical}.c${digest(region, 11)}.${region}.rds.amazonaws.com`;
        const port = Number(inputs.port ?? 5432);
        return {
          arn: this.arn("rds", `db:${physical}`),
          address,
          port,
          endpoint: `${address}:${port}`,
          masterUserSecrets: inputs.manageMasterUserPassword
            ? [
                {
                  secretArn: this.arn("secretsmanager", `secret:rds!db-${digest(id, 8)}-AbCdEf`),
                  secretStatus: "active",
                },
              ]
            : [],
        };
      }
      case "aws:elasticache/replicationGroup:ReplicationGroup":
        return {
          arn: this.arn("elasticache", `replicationgroup:${physical}`),
          primaryEndpointAddress: `master.${physical}.${digest(id, 6)}.use1.cache.amazonaws.com`,
        };
      case "aws:ec2/launchTemplate:LaunchTemplate": {
        // Every change of a template is a new version (what starts an instance refresh).
        const latestVersion = previous === undefined ? 1 : Number(previous.latestVersion ?? 1) + 1;
        const defaultVersion =
          previous === undefined || inputs.updateDefaultVersion
            ? latestVersion
            : Number(previous.defaultVersion ?? 1);
        return {
          arn: this.arn("ec2", `launch-template/lt-${digest(id, 17)}`),
          latestVersion,
          defaultVersion,
        };
      }
      case "aws:autoscaling/group:Group":
        return {
          name: inputs.name ?? physical,
          arn: this.arn(
            "autoscaling",
            `autoScalingGroup:${digest(id, 36)}:autoScalingGroupName/${inputs.name ?? physical}`,
          ),
        };
      case "aws:iam/role:Role":
      case "aws:iam/instanceProfile:InstanceProfile": {
        const kind = type.endsWith("Role") ? "role" : "instance-profile";
        return {
          name: inputs.name ?? physical,
          arn: `arn:aws:iam::${FAKE_ACCOUNT_ID}:${kind}/${inputs.name ?? physical}`,
        };
      }
      case "aws:ec2/instance:Instance":
        return { arn: this.arn("ec2", `instance/${id}`), privateIp: "10.40.1.10", publicIp: "" };
      default:
        return {
          arn: inputs.arn ?? this.arn(type.split(":")[1]?.split("/")[0] ?? "unknown", physical),
          name: inputs.name ?? physical,
        };
    }
  }
}

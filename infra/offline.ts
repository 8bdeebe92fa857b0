/**
 * The offline plan's engine: runs the real program (`defineStack`) under
 * Pulumi's mock runtime and records every resource it registers, with no cloud
 * account, no Pulumi CLI and no provider plugins (`flightdeck plan --offline`).
 *
 * The mocks answer like a small fake AWS account: deterministic ids and ARNs,
 * the outputs the program reads (awsx Vpc subnet ids, ALB DNS name, RDS address,
 * ...), and the lookups it makes (the image of a commit, the Route 53 zone, ...).
 * Any other lookup fails with `Mock not implemented: <token>`, so a new data
 * source in the program cannot silently get a made-up answer.
 *
 * Pulumi's runtime keeps its state in process globals, so runs in one process
 * are queued one after the other; each run starts from fresh mocks and settings
 * and ends only when every registration has been answered and recorded.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config.js";
import { UserError } from "./errors.js";
import { IMAGE_TAGS } from "./image-tags.js";
import type { ResourceRecord } from "./resources.js";
import { defineStack, type StackOutputs } from "./stack.js";

/** The project, organization and account the fake runtime answers with. */
export const OFFLINE_PROJECT = "flightdeck";
export const OFFLINE_ORGANIZATION = "organization";
export const FAKE_ACCOUNT_ID = "123456789012";

/** The outputs a preview reads from its base stack, as the fake base stack has them. */
export const FAKE_PREVIEW_BASE: Readonly<Record<string, unknown>> = {
  vpcId: "vpc-0previewsbase0000",
  vpcCidr: "10.40.0.0/16",
  privateSubnetIds: ["subnet-0previewsprivate0a", "subnet-0previewsprivate0b"],
  publicSubnetIds: ["subnet-0previewspublic00a", "subnet-0previewspublic00b"],
  listenerArn: `arn:aws:elasticloadbalancing:us-east-1:${FAKE_ACCOUNT_ID}:listener/app/previews-lb/50dc6c495c0c9188/f2f7dc8efc522ab2`,
  albSecurityGroupId: "sg-0previewsalb00000",
  domain: "preview.example.com",
  environment: "previews",
  stack: "previews",
  region: "us-east-1",
};

export interface RecordingMocksOptions {
  region: string;
  /**
   * The AMI the fake account has for a commit; `undefined` means no image was built
   * for it, and the lookup fails like the real provider. Default: every commit has one.
   */
  imageFor?: (commit: string) => string | undefined;
  /** Outputs of any stack a StackReference reads. Default: `FAKE_PREVIEW_BASE`. */
  stackReferenceOutputs?: Record<string, unknown>;
}

/** A failed lookup: the runtime reports an invoke's failure by the gRPC error's `details`. */
function lookupError(message: string): Error {
  return Object.assign(new Error(message), { details: message });
}

/** A short deterministic hex digest, for fake ids. */
function digest(text: string, length: number): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** The fake image id of a commit: stable, so plans of one commit are identical. */
export function fakeAmiId(commit: string): string {
  return `ami-${digest(`image:${commit}`, 17)}`;
}

/** The error the real provider gives when `getAmi` matches nothing. */
export const NO_AMI_MESSAGE =
  "Your query returned no results. Please change your search criteria and try again.";

type Filters = { name: string; values: string[] }[];

function filterValue(inputs: Record<string, unknown>, name: string): string | undefined {
  const filters = (inputs.filters ?? []) as Filters;
  return filters.find((f) => f.name === name)?.values[0];
}

/**
 * Mocks that answer like a fake AWS account. They do not record: `recordProgram`
 * records at the monitor, where the parent and URN of each registration are known.
 */
export class FakeAwsMocks implements pulumi.runtime.Mocks {
  private readonly region: string;
  private readonly imageFor: (commit: string) => string | undefined;
  private readonly refOutputs: Record<string, unknown>;

  constructor(options: RecordingMocksOptions) {
    this.region = options.region;
    this.imageFor = options.imageFor ?? fakeAmiId;
    this.refOutputs = options.stackReferenceOutputs ?? { ...FAKE_PREVIEW_BASE };
  }

  newResource(args: pulumi.runtime.MockResourceArgs): {
    id: string | undefined;
    state: Record<string, unknown>;
  } {
    if (args.type === "pulumi:pulumi:StackReference") {
      const name = String(args.inputs.name ?? args.name);
      return { id: name, state: { name, outputs: this.refOutputs, secretOutputNames: [] } };
    }
    const id = `${args.name}_id`;
    return { id, state: { ...args.inputs, ...this.outputsOf(args.type, args.name, args.inputs, id) } };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const { token, inputs } = args;
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
        throw lookupError(`Mock not implemented: ${token}`);
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

  /** The outputs the program reads from each type, shaped like the provider's. */
  private outputsOf(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    id: string,
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
      case "aws:ec2/launchTemplate:LaunchTemplate":
        return {
          arn: this.arn("ec2", `launch-template/lt-${digest(id, 17)}`),
          latestVersion: 1,
          defaultVersion: 1,
        };
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

/** What a recorded run returns: every registration (in the order they reached the engine) and the outputs. */
export interface RecordedRun<T> {
  resources: ResourceRecord[];
  /** The program's return value with every output resolved (unknown values as `undefined`). */
  outputs: T | undefined;
}

interface MonitorLike {
  registerResource(
    req: RegisterRequest,
    callback: (err: Error | null, resp?: RegisterResponse) => void,
  ): void;
}
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getObject(): Parameters<typeof pulumi.runtime.deserializeProperties>[0] | undefined;
}
interface RegisterResponse {
  getUrn(): string;
  getId(): string;
}

/** Pulumi's runtime state is global: one run at a time per process. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Run `program` under the fake-AWS mocks as stack `stack` and record every
 * resource it registers. Rejects with the program's error, or with the first
 * error a registration or lookup failed with (e.g. a commit with no image).
 */
export function recordProgram<T>(
  stack: string,
  program: () => T,
  options: RecordingMocksOptions,
): Promise<RecordedRun<Awaited<T>>> {
  const run = queue.then(() => recordOnce(stack, program, options));
  queue = run.catch(() => undefined);
  return run;
}

async function recordOnce<T>(
  stack: string,
  program: () => T,
  options: RecordingMocksOptions,
): Promise<RecordedRun<Awaited<T>>> {
  const errors = new RunErrors();
  const restoreListeners = captureUnhandledRejections(errors);
  const restoreStacks = withoutStackTraces();
  try {
    await pulumi.runtime.setMocks(
      new FakeAwsMocks(options),
      OFFLINE_PROJECT,
      stack,
      false,
      OFFLINE_ORGANIZATION,
    );
    const resources = recordRegistrations(errors);
    const value = await program();
    const outputs = resolveLater(value);
    // Wait until every queued registration has been answered (and so recorded), or
    // until the first failure: resources that depend on a failed one never resolve
    // (the real language host exits at the first error, so nothing waits for them).
    await Promise.race([pulumi.runtime.disconnect(), errors.first]);
    await settle();
    if (errors.list.length > 0) throw bestError(errors.list);
    return { resources: resources.filter((r) => r.urn !== ""), outputs: outputs.value };
  } finally {
    // Drop the run's runtime state (monitor, pending work of a failed run, leak
    // candidates) so nothing of it reaches the next run or the process exit.
    pulumi.runtime.resetOptions("", "", -1, "", "", false, "");
    restoreStacks();
    restoreListeners();
  }
}

/** The errors of one run, and a promise that resolves at the first. */
class RunErrors {
  readonly list: unknown[] = [];
  readonly first: Promise<void>;
  private resolveFirst: () => void = () => undefined;

  constructor() {
    this.first = new Promise((resolve) => {
      this.resolveFirst = resolve;
    });
  }

  add(error: unknown): void {
    this.list.push(error);
    this.resolveFirst();
  }
}

/**
 * Pulumi captures a stack trace for every resource (its source position). With
 * source maps on (tsx, `--enable-source-maps`) that is most of a run's time
 * (0.6 s instead of 0.2 s for production here), and the mock engine has no use
 * for it. Error messages are kept; set FLIGHTDECK_OFFLINE_STACKS=1 to keep stacks.
 */
function withoutStackTraces(): () => void {
  if (process.env.FLIGHTDECK_OFFLINE_STACKS === "1") return () => undefined;
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  return () => {
    Error.stackTraceLimit = saved;
  };
}

/** Wrap the mock monitor so each registration is recorded with its parent and URN. */
function recordRegistrations(errors: RunErrors): ResourceRecord[] {
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike | undefined;
  if (!monitor) throw new Error("the Pulumi mock runtime has no monitor");
  const records: ResourceRecord[] = [];
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const object = req.getObject();
    const record: ResourceRecord = {
      type: req.getType(),
      name: req.getName(),
      urn: "",
      parent: req.getParent() || undefined,
      inputs: object ? pulumi.runtime.deserializeProperties(object) : {},
      id: "",
    };
    // Recorded when the registration reaches the engine (its inputs resolved), completed when answered.
    records.push(record);
    register(req, (err, resp) => {
      if (err) errors.add(err);
      else if (resp) {
        record.urn = resp.getUrn();
        record.id = resp.getId();
      }
      callback(err, resp);
    });
  };
  return records;
}

/** Resolve a value containing outputs once it can be (read `value` after the run settles). */
function resolveLater<T>(value: T): { value: Awaited<T> | undefined } {
  const box: { value: Awaited<T> | undefined } = { value: undefined };
  if (value !== undefined) {
    (pulumi.output(value) as pulumi.Output<unknown>).apply((resolved) => {
      box.value = resolved as Awaited<T>;
    });
  }
  return box;
}

/** Let the last `apply` callbacks and rejection events of the run happen. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * A failed registration or lookup surfaces in Pulumi's runtime as an unhandled
 * rejection (the real language host reports them the same way). For the duration
 * of a run they are collected as the run's errors, not left to crash the process
 * (or to fail an unrelated mocha test); the previous listeners come back after.
 */
function captureUnhandledRejections(errors: RunErrors): () => void {
  const previous = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  const collect = (reason: unknown) => errors.add(reason);
  process.on("unhandledRejection", collect);
  return () => {
    process.off("unhandledRejection", collect);
    for (const listener of previous) process.on("unhandledRejection", listener);
  };
}

/**
 * The error to report: a UserError (e.g. a missing image) before anything else.
 * Pulumi prefixes the message of an error that failed an input with the input's
 * path (`error serializing property "imageId": ...`, in place); a UserError's
 * message is for people, so the prefixes come off.
 */
function bestError(errors: unknown[]): unknown {
  const userError = errors.find((e): e is UserError => e instanceof UserError);
  if (!userError) return errors[0];
  userError.message = userError.message.replace(/^(error serializing property "[^"]*": )+/, "");
  return userError;
}

export interface OfflineOptions {
  /** The full commit SHA to plan; overrides `config.image.commit`. */
  commit?: string;
}

/** Every resource `defineStack` registers for this config and stack, under the fake-AWS mocks. */
export async function runOffline(
  config: StackConfig,
  stack: string,
  options: OfflineOptions = {},
): Promise<ResourceRecord[]> {
  const run = await runOfflineWithOutputs(config, stack, options);
  return run.resources;
}

/** `runOffline`, also returning the stack outputs the program would export. */
export function runOfflineWithOutputs(
  config: StackConfig,
  stack: string,
  options: OfflineOptions & Omit<Partial<RecordingMocksOptions>, "region"> = {},
): Promise<RecordedRun<StackOutputs>> {
  const effective = options.commit
    ? { ...config, image: { ...config.image, commit: options.commit } }
    : config;
  return recordProgram(stack, () => defineStack(effective, stack), {
    region: config.region,
    imageFor: options.imageFor,
    stackReferenceOutputs: options.stackReferenceOutputs,
  });
}

/**
 * The offline plan's engine: runs the real program (`defineStack`) under
 * Pulumi's mock runtime and records every resource it registers, with no cloud
 * account, no Pulumi CLI and no provider plugins (`flightdeck plan --offline`).
 *
 * The mocks answer like a small fake AWS account (`fake-aws.ts`, the same table
 * the sandbox's stand-in provider plugins answer from): deterministic ids and
 * ARNs, the outputs the program reads, and the lookups it makes. Any other
 * lookup fails with `Mock not implemented: <token>`, so a new data source in the
 * program cannot silently get a made-up answer.
 *
 * Pulumi's runtime keeps its state in process globals, so runs in one process
 * are queued one after the other; each run starts from fresh mocks and settings
 * and ends only when every registration has been answered and recorded.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config.js";
import { UserError } from "./errors.js";
import { FAKE_ACCOUNT_ID, FakeAwsAccount, type FakeAwsOptions } from "./fake-aws.js";
import type { ResourceRecord } from "./resources.js";
import { defineStack, type StackOutputs } from "./stack.js";

export { FAKE_ACCOUNT_ID, fakeAmiId, NO_AMI_MESSAGE } from "./fake-aws.js";

/** The project and organization the fake runtime answers with. */
export const OFFLINE_PROJECT = "flightdeck";
export const OFFLINE_ORGANIZATION = "organization";

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

export interface RecordingMocksOptions extends FakeAwsOptions {
  /** Outputs of any stack a StackReference reads. Default: `FAKE_PREVIEW_BASE`. */
  stackReferenceOutputs?: Record<string, unknown>;
}

/**
 * Pulumi's mock runtime answered by the fake AWS account (`fake-aws.ts`): ids are
 * `<name>_id`, state is the inputs plus the outputs the account computes. They do
 * not record: `recordProgram` records at the monitor, where the parent and URN of
 * each registration are known.
 */
export class FakeAwsMocks implements pulumi.runtime.Mocks {
  private readonly account: FakeAwsAccount;
  private readonly refOutputs: Record<string, unknown>;

  constructor(options: RecordingMocksOptions) {
    this.account = new FakeAwsAccount(options);
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
    return {
      id,
      state: { ...args.inputs, ...this.account.outputsOf(args.type, args.name, args.inputs, id) },
    };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    return this.account.invoke(args.token, args.inputs);
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

/**
 * TEST DOUBLE standing in for AWS: the sandbox's stand-in fleet. One HTTP
 * server on 127.0.0.1 answers what flightdeck asks of the machines after the
 * engine (automation/cloud/aws.ts), as AWS would; nothing here is AWS and
 * nothing reaches it.
 *
 * - Auto Scaling `DescribeInstanceRefreshes` and ELBv2 `DescribeTargetHealth`
 *   (Query APIs, XML answers shaped as the API references show), computed by
 *   fleet-state.ts from what the stand-in `aws` provider recorded
 *   (providers/fleet-records.ts) and the faults file;
 * - EC2 `RunInstances` of a release machine: it reads the user-data (role
 *   `release`, the commit, `release_status_parameter`) and, like the image's
 *   `flightdeck-release` script, writes "running", then the outcome, to that
 *   SSM parameter in moto. Every other EC2 action (the image resolver's
 *   DescribeImages) goes to moto unchanged;
 * - `GET /healthz` with a `Host` header: `{"commit": …}` of the commit the
 *   host's stack serves, as the image's health endpoint answers.
 *
 * The CLI reaches it through the AWS SDK's per-service endpoint variables
 * (`AWS_ENDPOINT_URL_<SERVICE ID>`: the service id upper-cased with spaces as
 * underscores, node_modules/@smithy/core/dist-cjs/submodules/endpoints/index.js
 * `getEndpointUrlConfig`; https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html)
 * and `FLIGHTDECK_CONNECT_TO` for the URL check.
 *
 * Run alone (`npm run sandbox` starts it so): `node --import tsx
 * test/sandbox/fleet-double.ts --moto <endpoint> --dir <records> [--faults <file>] [--port <n>]`.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { parseUserData } from "../../infra/userdata.js";
import { FAKE_CREDENTIALS, MOTO_HOST, type MotoFixture, SANDBOX_REGION } from "./moto.js";
import { FLEET_ENV, readFleetRecords } from "./providers/fleet-records.js";
import { FleetState, readFleetFaults, type ReleaseFault } from "./fleet-state.js";
import {
  queryError,
  describeInstanceRefreshesXml,
  describeTargetHealthXml,
  ec2Error,
  runInstancesXml,
} from "./fleet-xml.js";

/** The Query API versions that tell the three services apart (one port serves them all). */
const EC2_VERSION = "2016-11-15";
const AUTOSCALING_VERSION = "2011-01-01";
const ELBV2_VERSION = "2015-12-01";

export interface FleetDoubleOptions {
  motoEndpoint: string;
  /** Where the stand-in provider records the fleet (FLIGHTDECK_SANDBOX_FLEET). */
  recordsDir: string;
  /** The faults file (FLIGHTDECK_SANDBOX_FAULTS); may be set later, may not exist. */
  faultsFile?: string;
  port?: number;
}

/**
 * The environment of a stand-in fleet at `endpoint`: flightdeck's EC2, Auto
 * Scaling and ELBv2 calls and its URL check go to it, SSM to moto, and the
 * stand-in provider records into `recordsDir`.
 */
export function fleetEnv(endpoint: string, motoEndpoint: string, recordsDir: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_EC2: endpoint,
    AWS_ENDPOINT_URL_AUTO_SCALING: endpoint,
    AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: endpoint,
    AWS_ENDPOINT_URL_SSM: motoEndpoint,
    FLIGHTDECK_CONNECT_TO: new URL(endpoint).host,
    [FLEET_ENV]: recordsDir,
  };
}

/** True when a stand-in fleet answers at `endpoint`. */
export async function fleetAnswers(endpoint: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/fleet-double/`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok && (await response.text()).includes("stand-in fleet");
  } catch {
    return false;
  }
}

export class FleetDouble {
  faultsFile: string | undefined;
  readonly state: FleetState;
  /** Every release machine launched: instance id, stack, commit, parameter. */
  readonly launched: { instanceId: string; stack: string; commit: string; parameter: string }[] = [];
  private server?: Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  private port = 0;

  constructor(readonly options: FleetDoubleOptions) {
    this.faultsFile = options.faultsFile;
    mkdirSync(options.recordsDir, { recursive: true });
    this.state = new FleetState(
      () => readFleetRecords(options.recordsDir),
      () => readFleetFaults(this.faultsFile),
    );
  }

  get endpoint(): string {
    return `http://${MOTO_HOST}:${this.port}`;
  }

  /** The environment that sends flightdeck's EC2, Auto Scaling and ELBv2 calls and its URL check here. */
  env(): Record<string, string> {
    return fleetEnv(this.endpoint, this.options.motoEndpoint, this.options.recordsDir);
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: Error) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end(`the sandbox's stand-in fleet failed: ${error.message}`);
      });
    });
    await new Promise<void>((done, fail) => {
      server.once("error", fail);
      server.listen(this.options.port ?? 0, MOTO_HOST, done);
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/healthz") return this.health(req, res);
    if (req.method === "GET" && path === "/fleet-double/") {
      return void res
        .writeHead(200, { "content-type": "text/plain" })
        .end("the sandbox's stand-in fleet (a test double)\n");
    }
    if (req.method !== "POST") return void res.writeHead(404).end();
    const body = await readBody(req);
    const params = new URLSearchParams(body.toString("utf8"));
    const action = params.get("Action") ?? "";
    const version = params.get("Version") ?? "";
    const xml = (status: number, text: string) =>
      void res.writeHead(status, { "content-type": "text/xml" }).end(text);
    if (version === AUTOSCALING_VERSION) {
      if (action !== "DescribeInstanceRefreshes")
        return xml(400, queryError("autoscaling", "InvalidAction", unsupported(action)));
      const group = params.get("AutoScalingGroupName") ?? "";
      const max = Number(params.get("MaxRecords") ?? 50);
      const wanted = [...params.entries()]
        .filter(([k]) => k.startsWith("InstanceRefreshIds.member."))
        .map(([, v]) => v);
      const refreshes = (this.state.refreshes(group) ?? [])
        .filter((r) => wanted.length === 0 || wanted.includes(r.id))
        .slice(0, max);
      return xml(200, describeInstanceRefreshesXml(refreshes));
    }
    if (version === ELBV2_VERSION) {
      if (action !== "DescribeTargetHealth")
        return xml(400, queryError("elbv2", "InvalidAction", unsupported(action)));
      return xml(200, describeTargetHealthXml(this.state.targets(params.get("TargetGroupArn") ?? "")));
    }
    if (version === EC2_VERSION && action === "RunInstances") return this.runInstances(params, res);
    if (version === EC2_VERSION) return this.proxyToMoto(req, body, res);
    return xml(
      400,
      ec2Error(
        "InvalidAction",
        `the sandbox's stand-in fleet does not know API version ${version || "(none)"} (${action})`,
      ),
    );
  }

  private health(req: IncomingMessage, res: ServerResponse): void {
    const host = req.headers.host ?? "";
    const served = this.state.served(host);
    const json = (status: number, value: unknown) =>
      void res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
    if (!served.commit) return json(served.stack ? 503 : 404, { status: "error", error: served.problem });
    json(200, { status: "ok", role: "app", commit: served.commit });
  }

  /** A release machine: its user-data says which commit, stack and parameter; the faults say how it ends. */
  private async runInstances(params: URLSearchParams, res: ServerResponse): Promise<void> {
    const fail = (code: string, message: string) =>
      void res.writeHead(400, { "content-type": "text/xml" }).end(ec2Error(code, message));
    let data: Record<string, string>;
    try {
      data = parseUserData(Buffer.from(params.get("UserData") ?? "", "base64").toString("utf8"));
    } catch (error) {
      return fail("InvalidUserData.Malformed", (error as Error).message);
    }
    if (data.role !== "release") {
      return fail(
        "Unsupported",
        `the sandbox's stand-in fleet launches only release machines (user-data role=${data.role ?? "none"})`,
      );
    }
    const parameter = data.release_status_parameter;
    if (!parameter)
      return fail("InvalidUserData.Malformed", "the release user-data names no release_status_parameter");
    const instanceId = `i-${randomBytes(9).toString("hex").slice(0, 17)}`;
    const stack = data.stack ?? "";
    const commit = data.commit ?? "";
    this.launched.push({ instanceId, stack, commit, parameter });
    const faults = readFleetFaults(this.faultsFile);
    this.releaseMachine(
      { stack, commit, parameter, region: data.region || SANDBOX_REGION },
      faults.release[stack],
      faults.releaseSeconds * 1000,
    );
    res.writeHead(200, { "content-type": "text/xml" }).end(
      runInstancesXml({
        instanceId,
        imageId: params.get("ImageId") ?? "",
        instanceType: params.get("InstanceType") ?? "",
        subnetId: params.get("SubnetId") ?? "",
      }),
    );
  }

  /** What images/files/flightdeck-release does on the machine: "running", then the outcome, in SSM. */
  private releaseMachine(
    run: { stack: string; commit: string; parameter: string; region: string },
    fault: ReleaseFault | undefined,
    durationMs: number,
  ): void {
    const startedAt = new Date().toISOString();
    const document = (status: string, exitCode: number, finishedAt: string, logTail: string[]) => ({
      commit: run.commit,
      stack: run.stack,
      status,
      exitCode,
      startedAt,
      finishedAt,
      logTail,
    });
    const later = (ms: number, work: () => Promise<void>) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        work().catch((error: Error) =>
          console.error(`sandbox fleet: release machine of ${run.commit}: ${error.message}`),
        );
      }, ms);
      this.timers.add(timer);
    };
    later(durationMs * 0.3, () =>
      this.putParameter(run.region, run.parameter, document("running", 0, "", [])),
    );
    if (fault === "hang") return;
    later(durationMs, () => {
      const log =
        fault === undefined
          ? [
              "Operations to perform:",
              "  Apply all migrations: (sandbox stand-in release command)",
              "Running migrations:",
              "  No migrations to apply.",
            ]
          : fault.log;
      const code = fault === undefined ? 0 : fault.exitCode;
      return this.putParameter(
        run.region,
        run.parameter,
        document(code === 0 ? "succeeded" : "failed", code, new Date().toISOString(), log.slice(-20)),
      );
    });
  }

  private async putParameter(region: string, name: string, value: unknown): Promise<void> {
    // Node 20 here: the SDK's notice about its coming Node 22 floor is known (README, Development).
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const { SSMClient, PutParameterCommand } = await import("@aws-sdk/client-ssm");
    const ssm = new SSMClient({
      region,
      endpoint: this.options.motoEndpoint,
      credentials: {
        accessKeyId: FAKE_CREDENTIALS.AWS_ACCESS_KEY_ID,
        secretAccessKey: FAKE_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      },
    });
    try {
      await ssm.send(
        new PutParameterCommand({
          Name: name,
          Type: "String",
          Overwrite: true,
          Value: JSON.stringify(value),
        }),
      );
    } finally {
      ssm.destroy();
    }
  }

  private proxyToMoto(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const moto = new URL(this.options.motoEndpoint);
    return new Promise((done, fail) => {
      const forward = request(
        { host: moto.hostname, port: moto.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on("end", done);
          answer.on("error", fail);
        },
      );
      forward.on("error", fail);
      forward.end(body);
    });
  }
}

function unsupported(action: string): string {
  return `the sandbox's stand-in fleet does not implement ${action || "(no Action)"}`;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => done(Buffer.concat(chunks)));
    req.on("error", fail);
  });
}

export function startFleetDouble(options: FleetDoubleOptions): Promise<FleetDouble> {
  return new FleetDouble(options).start();
}

/**
 * For mocha: one stand-in fleet beside the suite's moto, recording into a temp
 * folder of its own, started in `before`, stopped (and the folder removed) in `after`.
 */
export function useFleetDouble(moto: MotoFixture): { readonly fleet: FleetDouble } {
  let fleet: FleetDouble | undefined;
  let dir = "";
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "flightdeck-fleet-"));
    fleet = await startFleetDouble({ motoEndpoint: moto.endpoint, recordsDir: join(dir, "records") });
    console.log(`      sandbox: the stand-in fleet (a test double) answers on ${fleet.endpoint}`);
  });
  after(async () => {
    await fleet?.stop();
    if (dir && process.env.FLIGHTDECK_E2E_KEEP !== "1") rmSync(dir, { recursive: true, force: true });
  });
  return {
    get fleet() {
      if (!fleet) throw new Error("the stand-in fleet is not running (use it inside its describe)");
      return fleet;
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      moto: { type: "string" },
      dir: { type: "string" },
      faults: { type: "string" },
      port: { type: "string" },
    },
  });
  if (!values.moto || !values.dir) {
    console.error(
      "usage: fleet-double.ts --moto <endpoint> --dir <records folder> [--faults <file>] [--port <n>]",
    );
    process.exit(2);
  }
  const fleet = await startFleetDouble({
    motoEndpoint: values.moto,
    recordsDir: values.dir,
    ...(values.faults ? { faultsFile: values.faults } : {}),
    ...(values.port ? { port: Number(values.port) } : {}),
  });
  console.log(`the sandbox's stand-in fleet (a test double) answers on ${fleet.endpoint}`);
  const stop = () => void fleet.stop().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

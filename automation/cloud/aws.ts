/**
 * The real cloud port: the AWS SDK v3. Every client honours the SDK's own
 * settings (credentials, `AWS_ENDPOINT_URL` and the per-service
 * `AWS_ENDPOINT_URL_<SERVICE>` variables:
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html),
 * which is how the sandbox points them at moto and its stand-ins.
 *
 * The URL check fetches `<url>/healthz`; `FLIGHTDECK_CONNECT_TO=<host:port>`
 * sends it to another address with the URL's host in the Host header (plain
 * HTTP, like curl's --connect-to: a tunnel to a private load balancer, or the
 * sandbox's stand-in fleet).
 */
import type { Cloud, GroupRefresh, ReleaseLaunch, ReleaseStatus, TargetHealth } from "../cloud.js";

type Env = Record<string, string | undefined>;

const HEALTH_TIMEOUT_MS = 5_000;

export function createAwsCloud(env: Env = process.env): Cloud {
  const clients = new Map<string, Promise<unknown>>();
  const client = <T>(key: string, make: () => Promise<T>): Promise<T> => {
    if (!clients.has(key)) clients.set(key, make());
    return clients.get(key) as Promise<T>;
  };
  const ssm = (region: string) =>
    client(`ssm:${region}`, async () => {
      const sdk = await import("@aws-sdk/client-ssm");
      return { sdk, c: new sdk.SSMClient({ region }) };
    });
  const ec2 = (region: string) =>
    client(`ec2:${region}`, async () => {
      const sdk = await import("@aws-sdk/client-ec2");
      return { sdk, c: new sdk.EC2Client({ region }) };
    });
  const autoscaling = (region: string) =>
    client(`as:${region}`, async () => {
      const sdk = await import("@aws-sdk/client-auto-scaling");
      return { sdk, c: new sdk.AutoScalingClient({ region }) };
    });
  const elb = (region: string) =>
    client(`elb:${region}`, async () => {
      const sdk = await import("@aws-sdk/client-elastic-load-balancing-v2");
      return { sdk, c: new sdk.ElasticLoadBalancingV2Client({ region }) };
    });

  return {
    async releaseStatus(region, parameter) {
      const { sdk, c } = await ssm(region);
      try {
        const out = await c.send(new sdk.GetParameterCommand({ Name: parameter }));
        return parseStatus(out.Parameter?.Value);
      } catch (error) {
        if ((error as { name?: string }).name === "ParameterNotFound") return undefined;
        throw error;
      }
    },
    async claimRelease(region, parameter, status) {
      const { sdk, c } = await ssm(region);
      try {
        await c.send(
          new sdk.PutParameterCommand({
            Name: parameter,
            Type: "String",
            Overwrite: false,
            Value: JSON.stringify(status),
          }),
        );
        return true;
      } catch (error) {
        if ((error as { name?: string }).name === "ParameterAlreadyExists") return false;
        throw error;
      }
    },
    async putReleaseStatus(region, parameter, status) {
      const { sdk, c } = await ssm(region);
      await c.send(
        new sdk.PutParameterCommand({
          Name: parameter,
          Type: "String",
          Overwrite: true,
          Value: JSON.stringify(status),
        }),
      );
    },
    async startReleaseMachine(launch: ReleaseLaunch, imageId, userData, tags) {
      const { sdk, c } = await ec2(launch.region);
      const tagList = Object.entries({
        ...tags,
        Name: `${tags["flightdeck:stack"] ?? "flightdeck"}-release`,
      }).map(([Key, Value]) => ({ Key, Value }));
      const out = await c.send(
        new sdk.RunInstancesCommand({
          ImageId: imageId,
          InstanceType: launch.instanceType as never,
          MinCount: 1,
          MaxCount: 1,
          SubnetId: launch.subnetIds[0],
          SecurityGroupIds: launch.securityGroupIds,
          IamInstanceProfile: { Arn: launch.instanceProfileArn },
          UserData: Buffer.from(userData, "utf8").toString("base64"),
          // The release role powers the machine off when done; powering off terminates it.
          InstanceInitiatedShutdownBehavior: "terminate",
          MetadataOptions: {
            HttpTokens: "required",
            HttpEndpoint: "enabled",
            InstanceMetadataTags: "enabled",
          },
          TagSpecifications: [{ ResourceType: "instance", Tags: tagList }],
        }),
      );
      const id = out.Instances?.[0]?.InstanceId;
      if (!id) throw new Error("RunInstances returned no instance");
      return id;
    },
    async instanceRefreshes(region, groups) {
      const { sdk, c } = await autoscaling(region);
      const out: GroupRefresh[] = [];
      for (const group of groups) {
        // Newest first, per the API reference; one is enough.
        const page = await c.send(
          new sdk.DescribeInstanceRefreshesCommand({ AutoScalingGroupName: group, MaxRecords: 1 }),
        );
        const r = page.InstanceRefreshes?.[0];
        if (!r) continue;
        out.push({
          group,
          status: r.Status ?? "Pending",
          percentage: r.PercentageComplete ?? 0,
          instancesToUpdate: r.InstancesToUpdate ?? 0,
          ...(r.StatusReason ? { statusReason: r.StatusReason } : {}),
          ...(r.StartTime ? { startTime: r.StartTime.toISOString() } : {}),
          ...(r.EndTime ? { endTime: r.EndTime.toISOString() } : {}),
        });
      }
      return out;
    },
    async targetHealth(region, targetGroupArn): Promise<TargetHealth> {
      const { sdk, c } = await elb(region);
      const out = await c.send(new sdk.DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
      const all = out.TargetHealthDescriptions ?? [];
      const healthy = all.filter((t) => t.TargetHealth?.State === "healthy").length;
      const reasons = all
        .filter((t) => t.TargetHealth?.State !== "healthy")
        .map(
          (t) =>
            `${t.TargetHealth?.State ?? "unknown"}${t.TargetHealth?.Reason ? `: ${t.TargetHealth.Reason}` : ""}`,
        );
      return { healthy, total: all.length, reasons };
    },
    servedCommit: (url) => servedCommit(url, env.FLIGHTDECK_CONNECT_TO),
  };
}

function parseStatus(value: string | undefined): ReleaseStatus | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as ReleaseStatus;
    return typeof parsed.status === "string" ? parsed : undefined;
  } catch {
    return {
      commit: "",
      status: "failed",
      logTail: [`the release status is not JSON: ${value.slice(0, 200)}`],
    };
  }
}

/** `GET <url>` (the health endpoint): the commit it reports (JSON `{"commit": ...}` or the text itself). */
export async function servedCommit(
  url: string,
  connectTo?: string,
): Promise<{ commit?: string; problem?: string }> {
  const target = new URL(url);
  try {
    const { status, body } = await get(target, connectTo);
    if (status < 200 || status >= 300) return { problem: `answers HTTP ${status}` };
    let commit: unknown;
    try {
      commit = (JSON.parse(body) as { commit?: unknown }).commit;
    } catch {
      commit = body.trim();
    }
    return typeof commit === "string" && /^[0-9a-f]{7,40}$/.test(commit)
      ? { commit }
      : { problem: "answers without a commit" };
  } catch (error) {
    return {
      problem: `cannot be reached (${(error as { code?: string }).code ?? (error as Error).message})`,
    };
  }
}

/** One GET with node's own client (fetch may not set the Host header), at most 4 KiB read. */
async function get(target: URL, connectTo?: string): Promise<{ status: number; body: string }> {
  const [host, port] = connectTo ? splitHostPort(connectTo) : [target.hostname, target.port];
  const secure = !connectTo && target.protocol === "https:";
  const { request } = secure ? await import("node:https") : await import("node:http");
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port: port || (secure ? 443 : 80),
        path: `${target.pathname}${target.search}`,
        method: "GET",
        headers: { host: target.host, accept: "application/json" },
        timeout: HEALTH_TIMEOUT_MS,
        ...(secure ? { servername: target.hostname } : {}),
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (body.length < 4096) body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: body.slice(0, 4096) }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })));
    req.on("error", reject);
    req.end();
  });
}

function splitHostPort(value: string): [string, string] {
  const at = value.lastIndexOf(":");
  return at > 0 ? [value.slice(0, at), value.slice(at + 1)] : [value, ""];
}

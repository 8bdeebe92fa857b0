/**
 * The sandbox's stand-in fleet (fleet-double.ts, a TEST DOUBLE for AWS) as
 * flightdeck sees it: the stand-in `aws` provider (called directly) creates
 * and updates a launch template, an auto scaling group, a load balancer and a
 * DNS record, and records them; the product's own cloud port
 * (automation/cloud/aws.ts, the real AWS SDK clients) then asks the stand-in
 * fleet, through the SDK's per-service endpoint variables, what AWS would
 * answer. moto holds the SSM parameters and the images.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as provider from "@pulumi/pulumi/provider/index.js";
import { releaseParameter } from "../../automation/cloud.js";
import { createAwsCloud } from "../../automation/cloud/aws.js";
import { createImageResolver } from "../../automation/images.js";
import { renderUserData } from "../../infra/userdata.js";
import { type FleetDouble, startFleetDouble } from "./fleet-double.js";
import { motoAwsEnv, SANDBOX_REGION, seedImage, useMoto } from "./moto.js";
import { awsStandIn } from "./providers/aws-provider.js";
import { FLEET_ENV } from "./providers/fleet-records.js";
import { FAULTS_ENV } from "./providers/switches.js";

type Env = Record<string, string | undefined>;
const A = "a".repeat(40);
const B = "b".repeat(40);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function setEnv(vars: Env): () => void {
  const saved = Object.keys(vars).map((key) => [key, process.env[key]] as const);
  const apply = (pairs: (readonly [string, string | undefined])[]) => {
    for (const [key, value] of pairs) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(Object.entries(vars));
  return () => apply(saved);
}

const userData = (stack: string, role: string, commit: string, extra: Record<string, string> = {}) =>
  renderUserData({
    role: role as "app",
    environment: stack,
    stack,
    commit,
    region: SANDBOX_REGION,
    settings: extra,
  });

describe("sandbox: the stand-in fleet (a test double for EC2, Auto Scaling, ELBv2 and /healthz)", function () {
  this.timeout(120_000);
  const moto = useMoto();
  let dir = "";
  let faultsFile = "";
  let fleet: FleetDouble;
  let aws: provider.Provider;
  let restore: () => void = () => {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "flightdeck-fleet-"));
    faultsFile = join(dir, "faults.json");
    fleet = await startFleetDouble({
      motoEndpoint: moto.endpoint,
      recordsDir: join(dir, "fleet"),
      faultsFile,
    });
    restore = setEnv({
      ...motoAwsEnv(moto.endpoint),
      ...fleet.env(),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    });
    aws = awsStandIn({
      PULUMI_CONFIG: JSON.stringify({ region: SANDBOX_REGION }),
      [FLEET_ENV]: join(dir, "fleet"),
      [FAULTS_ENV]: faultsFile,
    });
  });
  after(async () => {
    restore();
    await fleet?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const faults = (fleetFaults: Record<string, unknown>) =>
    writeFileSync(
      faultsFile,
      JSON.stringify({ fleet: { refreshSeconds: 0.4, releaseSeconds: 0.4, ...fleetFaults } }),
    );
  beforeEach(() => faults({}));

  const urn = (stack: string, type: string, name: string) =>
    `urn:pulumi:${stack}::flightdeck::flightdeck:env:Environment$${type}::${name}`;
  const LT = "aws:ec2/launchTemplate:LaunchTemplate";
  const ASG = "aws:autoscaling/group:Group";

  /** A stack with one app group of two at commit A behind `host`; `deploy(B)` updates it as `pulumi up` would. */
  async function environment(stack: string) {
    const create = aws.create as NonNullable<provider.Provider["create"]>;
    const update = aws.update as NonNullable<provider.Provider["update"]>;
    const tg = `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${stack}-app/0123456789abcdef`;
    const ltInputs = (commit: string) => ({
      imageId: `ami-${commit.slice(0, 8)}`,
      userData: Buffer.from(userData(stack, "app", commit)).toString("base64"),
      updateDefaultVersion: true,
    });
    const lt = await create(urn(stack, LT, `${stack}-fleet-app-lt`), ltInputs(A));
    const asgInputs = (version: number) => ({
      launchTemplate: { id: lt.id, version: String(version) },
      targetGroupArns: [tg],
      desiredCapacity: 2,
      tags: [{ key: "flightdeck:stack", value: stack, propagateAtLaunch: true }],
    });
    const asg = await create(urn(stack, ASG, `${stack}-fleet-app-asg`), asgInputs(1));
    const dnsUrn = urn(stack, "aws:route53/record:Record", `${stack}-lb-dns`);
    const dns = await create(dnsUrn, { name: `${stack}.example.com`, type: "A" });
    const lb = await create(urn(stack, "aws:lb/loadBalancer:LoadBalancer", `${stack}-lb-alb`), {});
    return {
      tg,
      group: String(asg.outs.name),
      url: `https://${stack}.example.com`,
      albHost: String(lb.outs.dnsName),
      removeDns: () => (aws.delete as NonNullable<provider.Provider["delete"]>)(dns.id, dnsUrn, dns.outs),
      async deploy(commit: string) {
        const next = await update(lt.id, urn(stack, LT, `${stack}-fleet-app-lt`), lt.outs, ltInputs(commit));
        await update(
          asg.id,
          urn(stack, ASG, `${stack}-fleet-app-asg`),
          asg.outs,
          asgInputs(Number(next.outs.latestVersion)),
        );
      },
    };
  }

  it("reports no refresh for a new group, its targets healthy, and the commit it was created with", async () => {
    const env = await environment("fresh");
    const cloud = createAwsCloud(process.env);
    assert.deepEqual(await cloud.instanceRefreshes(SANDBOX_REGION, [env.group]), []);
    assert.deepEqual(await cloud.targetHealth(SANDBOX_REGION, env.tg), { healthy: 2, total: 2, reasons: [] });
    assert.deepEqual(await cloud.servedCommit(`${env.url}/healthz`), { commit: A });
    // The load balancer's own DNS name leads to the same stack (an environment without a domain).
    assert.deepEqual(await cloud.servedCommit(`http://${env.albHost}/healthz`), { commit: A });
    assert.match((await cloud.servedCommit("https://unknown.example.com/healthz")).problem ?? "", /HTTP 404/);
    // A deleted DNS record no longer leads anywhere.
    await env.removeDns();
    assert.match((await cloud.servedCommit(`${env.url}/healthz`)).problem ?? "", /HTTP 404/);
  });

  it("a new launch template version starts a refresh: in progress, then Successful; the URL then serves the new commit", async () => {
    const env = await environment("rolling");
    const cloud = createAwsCloud(process.env);
    await env.deploy(B);
    const [running] = await cloud.instanceRefreshes(SANDBOX_REGION, [env.group]);
    assert.equal(running?.status, "InProgress");
    assert.equal(running?.group, env.group);
    assert.ok(
      (running?.percentage ?? 100) < 100 && (running?.instancesToUpdate ?? 0) > 0,
      JSON.stringify(running),
    );
    const during = await cloud.targetHealth(SANDBOX_REGION, env.tg);
    assert.equal(during.healthy, 2);
    assert.equal(during.total, 3, "a new instance registers beside the old ones");
    assert.deepEqual(during.reasons, ["initial: Elb.RegistrationInProgress"]);
    assert.deepEqual(
      await cloud.servedCommit(`${env.url}/healthz`),
      { commit: A },
      "old commit while rolling",
    );

    await sleep(500);
    const [done] = await cloud.instanceRefreshes(SANDBOX_REGION, [env.group]);
    assert.deepEqual(
      { status: done?.status, percentage: done?.percentage, left: done?.instancesToUpdate },
      { status: "Successful", percentage: 100, left: 0 },
    );
    assert.ok(done?.startTime && done.endTime && Date.parse(done.endTime) > Date.parse(done.startTime));
    assert.deepEqual(await cloud.targetHealth(SANDBOX_REGION, env.tg), { healthy: 2, total: 2, reasons: [] });
    assert.deepEqual(await cloud.servedCommit(`${env.url}/healthz`), { commit: B });
  });

  it("faults: a refresh that fails, one that rolls back, one that never ends; unhealthy targets; the old commit served", async () => {
    const failing = await environment("failing");
    const rolling = await environment("rollingback");
    const hanging = await environment("hanging");
    const stale = await environment("stale");
    faults({
      refresh: { failing: "fail", rollingback: "rollback", hanging: "hang" },
      health: { hanging: "unhealthy" },
      serve: { stale: "old" },
    });
    for (const env of [failing, rolling, hanging, stale]) await env.deploy(B);
    const cloud = createAwsCloud(process.env);
    const status = async (env: { group: string }) =>
      (await cloud.instanceRefreshes(SANDBOX_REGION, [env.group]))[0];
    assert.equal((await status(rolling))?.status, "InProgress");
    // Seen once, the outcome is fixed: clearing the faults now changes none of these refreshes.
    for (const env of [failing, hanging, stale]) await status(env);
    faults({ health: { hanging: "unhealthy" }, serve: { stale: "old" } });
    await sleep(500);
    assert.equal((await status(failing))?.status, "Failed");
    assert.match((await status(failing))?.statusReason ?? "", /sandbox fault/);
    assert.equal((await status(rolling))?.status, "RollbackInProgress");
    assert.equal((await status(hanging))?.status, "InProgress");
    assert.equal((await status(stale))?.status, "Successful");
    await sleep(400);
    const back = await status(rolling);
    assert.equal(back?.status, "RollbackSuccessful");
    assert.equal(back?.percentage, 0);
    for (const env of [failing, rolling, stale]) {
      assert.deepEqual(await cloud.servedCommit(`${env.url}/healthz`), { commit: A }, env.group);
    }
    const sick = await cloud.targetHealth(SANDBOX_REGION, hanging.tg);
    assert.equal(sick.healthy, 0);
    assert.ok(sick.reasons.includes("unhealthy: Target.ResponseCodeMismatch"), sick.reasons.join());
  });

  it("a release machine writes running, then its outcome with the log's tail, to the SSM parameter in moto", async () => {
    const cloud = createAwsCloud(process.env);
    const run = async (stack: string) => {
      const parameter = releaseParameter(stack, B);
      assert.equal(
        await cloud.claimRelease(SANDBOX_REGION, parameter, { commit: B, stack, status: "pending" }),
        true,
      );
      const id = await cloud.startReleaseMachine(
        {
          region: SANDBOX_REGION,
          subnetIds: ["subnet-1"],
          securityGroupIds: ["sg-1"],
          instanceProfileArn: "arn:aws:iam::123456789012:instance-profile/app",
          instanceType: "t4g.small",
          userData: "",
        },
        "ami-0123",
        userData(stack, "release", B, { release_status_parameter: parameter }),
        { "flightdeck:stack": stack },
      );
      assert.match(id, /^i-[0-9a-f]{17}$/);
      return parameter;
    };
    faults({
      release: { broken: { exitCode: 3, log: ["migrating...", "django.db.utils.ProgrammingError: boom"] } },
    });
    const good = await run("releasing");
    const bad = await run("broken");
    await sleep(200);
    assert.equal((await cloud.releaseStatus(SANDBOX_REGION, good))?.status, "running");
    await sleep(500);
    const ok = await cloud.releaseStatus(SANDBOX_REGION, good);
    assert.deepEqual(
      { status: ok?.status, exitCode: ok?.exitCode, commit: ok?.commit },
      { status: "succeeded", exitCode: 0, commit: B },
    );
    assert.ok((ok?.logTail ?? []).length > 0);
    const failed = await cloud.releaseStatus(SANDBOX_REGION, bad);
    assert.deepEqual(
      { status: failed?.status, exitCode: failed?.exitCode, logTail: failed?.logTail },
      { status: "failed", exitCode: 3, logTail: ["migrating...", "django.db.utils.ProgrammingError: boom"] },
    );
    await assert.rejects(
      cloud.startReleaseMachine(
        {
          region: SANDBOX_REGION,
          subnetIds: ["s"],
          securityGroupIds: [],
          instanceProfileArn: "arn",
          instanceType: "t4g.small",
          userData: "",
        },
        "ami-0123",
        userData("x", "app", B),
        {},
      ),
      /launches only release machines/,
    );
  });

  it("passes every other EC2 call to moto unchanged (the image resolver finds a seeded image through it)", async () => {
    const imageId = await seedImage(moto.endpoint, B);
    assert.equal(process.env.AWS_ENDPOINT_URL_EC2, fleet.endpoint);
    assert.equal(await createImageResolver().imageFor(B, SANDBOX_REGION), imageId);
  });
});

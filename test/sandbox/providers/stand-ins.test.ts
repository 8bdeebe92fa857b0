/**
 * The stand-in `aws`/`awsx` provider plugins (test doubles standing in for AWS,
 * creating nothing in AWS), called directly, without the engine: diffs and the
 * replace table, ids, outputs, lookups and the faults and images switches.
 * providers.test.ts runs them under the real engine.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as provider from "@pulumi/pulumi/provider/index.js";
import { fakeAmiId, NO_AMI_MESSAGE } from "../../../infra/fake-aws.js";
import { IMAGE_TAGS } from "../../../infra/image-tags.js";
import { runOffline } from "../../../infra/offline.js";
import { EXAMPLE_STACKS, exampleConfig, OTHER_SHA, SHA } from "../../infra/fixtures.js";
import { awsStandIn } from "./aws-provider.js";
import { diffOf, parseUrn, plain } from "./diff.js";
import { regionOf } from "./plugin-env.js";
import { REPLACE_ON_CHANGE } from "./replace-on-change.js";
import { FAULTS_ENV, IMAGES_ENV, readFaults } from "./switches.js";

const urn = (type: string, name: string) =>
  `urn:pulumi:testing::flightdeck::flightdeck:env:Environment$${type}::${name}`;
const TG = "aws:lb/targetGroup:TargetGroup";
const TG_URN = urn(TG, "testing-lb-app-tg");
const secret = (value: unknown) => ({
  "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
  value,
});
const amiQuery = (commit: string) => ({
  owners: ["self"],
  filters: [{ name: `tag:${IMAGE_TAGS.commit}`, values: [commit] }],
});

type Props = Record<string, unknown>;

function required<T>(value: T | undefined, what: string): T {
  assert.ok(value !== undefined, `the stand-in has ${what}`);
  return value;
}

describe("stand-in provider plugins", () => {
  let dir: string;
  let env: Record<string, string>;
  let aws: provider.Provider;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "flightdeck-stand-ins-"));
    env = { PULUMI_CONFIG: JSON.stringify({ region: "eu-west-1" }) };
    aws = awsStandIn(env);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const create = (type: string, name: string, inputs: Props) =>
    required(aws.create, "create")(urn(type, name), inputs);

  describe("diff", () => {
    const olds = { port: 8000, protocol: "HTTP", vpcId: "vpc-1", tags: { a: "1" }, arn: "arn:tg" };
    const computed = new Set(["arn"]);

    it("finds no change when the inputs are the old state's, in any key order, secrets or not", () => {
      const news = { tags: secret({ a: "1" }), vpcId: "vpc-1", protocol: "HTTP", port: 8000 };
      assert.deepEqual(diffOf(TG, olds, news, computed), { changes: false, replaces: [], changed: [] });
    });

    it("updates on a change of an ordinary input, and on a dropped one", () => {
      const news = { port: 8000, protocol: "HTTP", vpcId: "vpc-1", tags: { a: "2" } };
      assert.deepEqual(diffOf(TG, olds, news, computed), { changes: true, replaces: [], changed: ["tags"] });
      const { tags: _tags, ...withoutTags } = news;
      assert.deepEqual(diffOf(TG, olds, withoutTags, computed).changed, ["tags"]);
    });

    it("replaces on a change of a replace-on-change input", () => {
      const news = { port: 8080, protocol: "HTTP", vpcId: "vpc-2", tags: { a: "1" } };
      assert.deepEqual(diffOf(TG, olds, news, computed).replaces, ["port", "vpcId"]);
    });

    it("does not take an output the account computes for a dropped input", () => {
      const news = { port: 8000, protocol: "HTTP", vpcId: "vpc-1", tags: { a: "1" } };
      assert.equal(diffOf(TG, olds, news, computed).changes, false);
    });

    it("takes an unknown input (a preview) as a change", () => {
      const news = { ...olds, vpcId: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" };
      assert.deepEqual(diffOf(TG, olds, news, computed).replaces, ["vpcId"]);
    });

    it("reads type and name from a URN with parents", () => {
      assert.deepEqual(parseUrn(TG_URN), { type: TG, name: "testing-lb-app-tg" });
      assert.deepEqual(plain([secret(1), { x: secret("y") }]), [1, { x: "y" }]);
    });
  });

  it("has a replace-on-change entry for every AWS type the example stacks use", async () => {
    const types = new Set<string>();
    for (const stack of EXAMPLE_STACKS) {
      for (const r of await runOffline(exampleConfig(stack), stack, { commit: SHA })) {
        if (r.type.startsWith("aws:")) types.add(r.type);
      }
    }
    const missing = [...types].filter((t) => !(t in REPLACE_ON_CHANGE));
    assert.deepEqual(missing, []);
  });

  it("creates with a fresh id and the fake account's outputs, in the configured region", async () => {
    const first = await create("aws:lb/loadBalancer:LoadBalancer", "testing-lb-alb", { internal: false });
    const second = await create("aws:lb/loadBalancer:LoadBalancer", "testing-lb-alb", { internal: false });
    assert.match(first.id, /^testing-lb-alb-[0-9a-f]{8}$/);
    assert.notEqual(first.id, second.id, "a replacement gets a new id");
    assert.equal(first.outs.internal, false);
    assert.match(String(first.outs.dnsName), /\.eu-west-1\.elb\.amazonaws\.com$/);
  });

  it("keeps the id on update and gives a changed launch template a new version", async () => {
    const type = "aws:ec2/launchTemplate:LaunchTemplate";
    const created = await create(type, "testing-fleet-app-lt", {
      imageId: "ami-1",
      updateDefaultVersion: true,
    });
    const update = required(aws.update, "update");
    const updated = await update(created.id, urn(type, "testing-fleet-app-lt"), created.outs, {
      imageId: "ami-2",
    });
    assert.equal(created.outs.latestVersion, 1);
    assert.equal(updated.outs.latestVersion, 2);
    assert.equal(updated.outs.imageId, "ami-2");
  });

  it("refuses to delete a database with deletion protection, as AWS does", async () => {
    const remove = required(aws.delete, "delete");
    const db = urn("aws:rds/instance:Instance", "production-db-db");
    await assert.rejects(
      remove("db-1", db, { deletionProtection: true }),
      /Cannot delete protected DB Instance/,
    );
    await remove("db-1", db, { deletionProtection: false });
  });

  it("answers the program's lookups, and fails any other with `Mock not implemented: <token>`", async () => {
    const invoke = required(aws.invoke, "invoke");
    const image = await invoke("aws:ec2/getAmi:getAmi", amiQuery(SHA));
    assert.equal(image.outputs.id, fakeAmiId(SHA));
    const region = await invoke("aws:index/getRegion:getRegion", {});
    assert.equal(region.outputs.name, "eu-west-1");
    await assert.rejects(
      invoke("aws:ec2/getVpc:getVpc", {}),
      /^Error: Mock not implemented: aws:ec2\/getVpc:getVpc$/,
    );
  });

  it("answers only the images FLIGHTDECK_SANDBOX_IMAGES maps, when set", async () => {
    const file = join(dir, "images.json");
    writeFileSync(file, JSON.stringify({ [SHA]: "ami-0sandbox" }));
    env[IMAGES_ENV] = file;
    const invoke = required(aws.invoke, "invoke");
    assert.equal((await invoke("aws:ec2/getAmi:getAmi", amiQuery(SHA))).outputs.imageId, "ami-0sandbox");
    await assert.rejects(invoke("aws:ec2/getAmi:getAmi", amiQuery(OTHER_SHA)), { message: NO_AMI_MESSAGE });
  });

  it("fails what a fault names, by name or type, with its message, reading the file on every call", async () => {
    const file = join(dir, "faults.json");
    env[FAULTS_ENV] = file;
    writeFileSync(file, JSON.stringify({ fail: { "testing-lb-app-tg": "boom" } }));
    await assert.rejects(create(TG, "testing-lb-app-tg", {}), { message: "boom" });
    writeFileSync(file, JSON.stringify({ fail: { [TG]: "all target groups fail" } }));
    await assert.rejects(create(TG, "other-tg", {}), { message: "all target groups fail" });
    writeFileSync(file, "{}");
    await create(TG, "other-tg", {});
  });

  it("delays what a fault names, until the engine cancels", async () => {
    const file = join(dir, "faults.json");
    env[FAULTS_ENV] = file;
    writeFileSync(file, JSON.stringify({ delay: { "testing-lb-app-tg": 30 } }));
    const started = performance.now();
    const pending = create(TG, "testing-lb-app-tg", {});
    setTimeout(() => void required(aws.cancel, "cancel")(), 50);
    await assert.rejects(pending, /cancelled by the engine during the sandbox's 30 s delay/);
    assert.ok(performance.now() - started < 5_000);
  });

  it("reads back a change made outside Pulumi (drift), by name or type, or finds the resource gone", async () => {
    const file = join(dir, "faults.json");
    env[FAULTS_ENV] = file;
    const read = required(aws.read, "read");
    const state = { port: 8000, protocol: "HTTP", arn: "arn:tg" };
    writeFileSync(file, "{}");
    assert.deepEqual(await read("tg-1", TG_URN, state), { id: "tg-1", props: state });
    writeFileSync(file, JSON.stringify({ drift: { "testing-lb-app-tg": { port: 9000 } } }));
    assert.deepEqual(await read("tg-1", TG_URN, state), { id: "tg-1", props: { ...state, port: 9000 } });
    writeFileSync(file, JSON.stringify({ drift: { [TG]: "deleted" } }));
    assert.deepEqual(await read("tg-1", TG_URN, state), { id: "", props: {} });
    writeFileSync(file, JSON.stringify({ drift: { [TG]: 3 } }));
    assert.throws(
      () => readFaults({ [FAULTS_ENV]: file }),
      /drift\.\S+ must be an object of properties or "deleted"/,
    );
  });

  it("says which switch file is broken", () => {
    const file = join(dir, "faults.json");
    writeFileSync(file, JSON.stringify({ delay: { x: "soon" } }));
    assert.throws(() => readFaults({ [FAULTS_ENV]: file }), /delay\.x must be a number of seconds/);
    assert.throws(() => readFaults({ [FAULTS_ENV]: join(dir, "none.json") }), /cannot be read/);
  });

  it("takes the region from the engine's PULUMI_CONFIG, then AWS_REGION", () => {
    assert.equal(
      regionOf({ PULUMI_CONFIG: '{"region":"ap-south-1"}', AWS_REGION: "eu-north-1" }),
      "ap-south-1",
    );
    assert.equal(regionOf({ AWS_REGION: "eu-north-1" }), "eu-north-1");
    assert.equal(regionOf({}), "us-east-1");
  });
});

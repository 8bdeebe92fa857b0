import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type {
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { parse as parseYaml } from "yaml";
import { environmentOfStack, flightdeckPolicies } from "../../infra/policy/crossguard.js";
import { RULES } from "../../infra/policy/rules.js";

const TAGS = {
  "flightdeck:stack": "production",
  "flightdeck:environment": "production",
  "flightdeck:commit": "0123456789abcdef0123456789abcdef01234567",
};

function urn(type: string, name: string, stack = "production"): string {
  return `urn:pulumi:${stack}::flightdeck::${type}::${name}`;
}

/** The arguments the engine would pass a resource validation; only what the policies read is real. */
function resourceArgs(
  type: string,
  name: string,
  props: Record<string, unknown>,
  stack?: string,
): ResourceValidationArgs {
  const notUsed = () => {
    throw new Error("not used by flightdeck policies");
  };
  return {
    type,
    name,
    props,
    urn: urn(type, name, stack),
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
    },
    stackTags: new Map(),
    isType: notUsed,
    asType: notUsed,
    getConfig: notUsed,
    notApplicable: notUsed,
  } as unknown as ResourceValidationArgs;
}

function spy() {
  const calls: { message: string; urn?: string }[] = [];
  const report = (message: string, urn?: string) => {
    calls.push({ message, urn });
  };
  return { calls, report };
}

function policy(name: string) {
  const found = flightdeckPolicies().find((p) => p.name === name);
  assert.ok(found, `policy ${name}`);
  return found;
}

async function validateResource(
  name: string,
  args: ResourceValidationArgs,
): Promise<{ message: string; urn?: string }[]> {
  const p = policy(name) as ResourceValidationPolicy;
  assert.equal(typeof p.validateResource, "function");
  const { calls, report } = spy();
  const validate = p.validateResource as Exclude<
    ResourceValidationPolicy["validateResource"],
    undefined | unknown[]
  >;
  await validate(args, report);
  return calls;
}

describe("CrossGuard policy pack", () => {
  it("has one policy per rule, with the rule's name and enforcement level", () => {
    const policies = flightdeckPolicies();
    assert.deepEqual(
      policies.map((p) => [p.name, p.enforcementLevel]),
      RULES.map((r) => [r.name, r.level]),
    );
    for (const p of policies) {
      assert.ok(p.description.length > 10);
      assert.ok("validateResource" in p || "validateStack" in p);
    }
  });

  it("reports SSH from the internet on a security group, and passes a clean one", async () => {
    const open = resourceArgs("aws:ec2/securityGroup:SecurityGroup", "sg", {
      ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }],
      tags: TAGS,
    });
    const calls = await validateResource("no-ssh-rdp-from-internet", open);
    assert.equal(calls.length, 1);
    assert.match(calls[0]?.message ?? "", /SSH \(port 22\) from 0\.0\.0\.0\/0/);
    const closed = resourceArgs("aws:ec2/securityGroup:SecurityGroup", "sg", {
      ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }],
    });
    assert.deepEqual(await validateResource("no-ssh-rdp-from-internet", closed), []);
  });

  it("reports IMDSv1 on a launch template and ignores types the rule does not cover", async () => {
    const lt = resourceArgs("aws:ec2/launchTemplate:LaunchTemplate", "lt", {
      metadataOptions: { httpTokens: "optional" },
    });
    assert.equal((await validateResource("imdsv2-required", lt)).length, 1);
    const bucket = resourceArgs("aws:s3/bucket:Bucket", "b", {});
    assert.deepEqual(await validateResource("imdsv2-required", bucket), []);
  });

  it("judges production deletion protection by the environment tag, else by the stack name", async () => {
    const db = (tags: Record<string, string> | undefined, stack: string) =>
      resourceArgs("aws:rds/instance:Instance", "db", { deletionProtection: false, tags }, stack);
    assert.equal((await validateResource("production-deletion-protection", db(TAGS, "prod-eu"))).length, 1);
    assert.equal(
      (await validateResource("production-deletion-protection", db(undefined, "production"))).length,
      1,
    );
    const staging = { ...TAGS, "flightdeck:environment": "staging" };
    assert.deepEqual(await validateResource("production-deletion-protection", db(staging, "production")), []);
    assert.equal(environmentOfStack("preview-abc1234"), "preview");
  });

  it("reports stack-level violations against the right URN, following security groups by dependency", async () => {
    const sgUrn = urn("aws:ec2/securityGroup:SecurityGroup", "db-sg");
    const resource = (
      type: string,
      name: string,
      props: Record<string, unknown>,
      deps: Record<string, string[]> = {},
    ) => ({
      type,
      name,
      props,
      urn: urn(type, name),
      propertyDependencies: Object.fromEntries(
        Object.entries(deps).map(([k, urns]) => [k, urns.map((u) => ({ urn: u }))]),
      ),
    });
    const resources = [
      resource("aws:ec2/securityGroup:SecurityGroup", "db-sg", { ingress: [], tags: TAGS }),
      // The group id is unknown until the group exists: the rule finds it through the dependency.
      resource(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "db-open",
        { ipProtocol: "tcp", fromPort: 5432, toPort: 5432, cidrIpv4: "0.0.0.0/0", tags: TAGS },
        { securityGroupId: [sgUrn] },
      ),
      resource(
        "aws:rds/instance:Instance",
        "db",
        { publiclyAccessible: false, storageEncrypted: true, tags: TAGS },
        { vpcSecurityGroupIds: [sgUrn] },
      ),
      resource("aws:lb/targetGroup:TargetGroup", "tg", {}),
    ];
    const args = { resources, stackTags: new Map() } as unknown as StackValidationArgs;

    const privateDb = policy("database-private") as StackValidationPolicy;
    const db = spy();
    await privateDb.validateStack(args, db.report);
    assert.deepEqual(db.calls, [
      {
        message: "its security group db-sg accepts traffic from the internet; allow only the fleet's group",
        urn: urn("aws:rds/instance:Instance", "db"),
      },
    ]);

    const tags = spy();
    await (policy("required-tags") as StackValidationPolicy).validateStack(args, tags.report);
    assert.deepEqual(tags.calls, [
      {
        message: "is missing tags flightdeck:stack, flightdeck:environment, flightdeck:commit",
        urn: urn("aws:lb/targetGroup:TargetGroup", "tg"),
      },
    ]);
  });

  it("ships a PulumiPolicy.yaml whose main is the compiled pack", async () => {
    const packDir = resolve("infra/policy");
    const manifest = parseYaml(await readFile(join(packDir, "PulumiPolicy.yaml"), "utf8")) as Record<
      string,
      unknown
    >;
    assert.equal(manifest.runtime, "nodejs");
    const buildConfig = JSON.parse(await readFile("tsconfig.json", "utf8")) as {
      compilerOptions: { outDir: string };
    };
    assert.equal(
      resolve(packDir, String(manifest.main)),
      resolve(buildConfig.compilerOptions.outDir, "infra/policy/pack.js"),
    );
    await readFile(join(packDir, "pack.ts"), "utf8");
    // The policy SDK reads the pack's version from package.json in the directory it runs in.
    const pkg = JSON.parse(await readFile(join(packDir, "package.json"), "utf8")) as Record<string, unknown>;
    assert.match(String(pkg.version), /^\d+\.\d+\.\d+/);
    assert.equal(pkg.type, "module");
  });
});

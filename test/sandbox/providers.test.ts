/**
 * The sandbox, end to end: the REAL Pulumi engine (built by `npm run
 * engine:install`) runs the REAL program (dist/, `npm run build`) through the
 * Automation API, against the stand-in `aws`/`awsx` provider plugins
 * (test/sandbox/providers/: test doubles standing in for AWS, creating nothing
 * in AWS). Only AWS is replaced.
 *
 * Without the engine build the suite says why and skips; in CI
 * (`CI=true`) it fails instead, since there the sandbox must run.
 */
import assert from "node:assert/strict";
import type * as Auto from "@pulumi/pulumi/automation/index.js";
import { fakeAmiId } from "../../infra/fake-aws.js";
import { runOffline } from "../../infra/offline.js";
import { exampleConfig, OTHER_SHA, SHA } from "../infra/fixtures.js";
import {
  deployedConfig,
  engineAvailability,
  idsByName,
  Sandbox,
  stateResources,
  stateSummary,
} from "./providers/sandbox.js";

const APP_ASG = "testing-fleet-app-asg";
const DATABASE = "testing-db-db";

type Config = Record<string, unknown>;

/** The offline plan's resources as `type name`, for the comparison with the engine's state. */
async function offlinePlan(stack: string): Promise<string[]> {
  const records = await runOffline(exampleConfig(stack), stack, { commit: SHA });
  return records.map((r) => `${r.type} ${r.name}`).sort();
}

/** An `up` with its engine events and wall time. */
async function up(
  stack: Auto.Stack,
  options: Auto.UpOptions = {},
): Promise<{ result: Auto.UpResult; events: Auto.EngineEvent[]; ms: number }> {
  const events: Auto.EngineEvent[] = [];
  const started = performance.now();
  const result = await stack.up({ ...options, onEvent: (e) => events.push(e) });
  return { result, events, ms: performance.now() - started };
}

/** The engine's steps of one replacement (create-before-delete), reported as one `replace`. */
const REPLACEMENT_STEPS = new Set(["create-replacement", "replace", "delete-replaced"]);

/** What an update did to each resource, by name (`same`, `update`, `replace`, ...). */
function stepsOf(events: Auto.EngineEvent[]): Map<string, string> {
  const steps = new Map<string, string>();
  for (const e of events) {
    const meta = e.resOutputsEvent?.metadata;
    if (!meta || meta.type === "pulumi:pulumi:Stack") continue;
    steps.set(meta.urn.split("::").pop() ?? meta.urn, REPLACEMENT_STEPS.has(meta.op) ? "replace" : meta.op);
  }
  return steps;
}

function changed(steps: Map<string, string>): string[] {
  return [...steps].filter(([, op]) => op !== "same").map(([name, op]) => `${op} ${name}`);
}

/** A copy of a config with one setting changed. */
function withSetting(config: Config, key: string, path: string[], value: unknown): Config {
  const copy = structuredClone(config);
  let target = copy[key] as Record<string, unknown>;
  for (const part of path.slice(0, -1)) target = target[part] as Record<string, unknown>;
  target[path[path.length - 1] ?? ""] = value;
  return copy;
}

describe("the sandbox: the real engine and program against the stand-in aws/awsx plugins", function () {
  // Each update starts the engine, the language host, the program and two plugins
  // (each a Node process under tsx): tens of seconds on a busy two-core machine.
  this.timeout(480_000);

  let sandbox: Sandbox | undefined;
  let testing: Auto.Stack;
  let config: Config;
  const timings: string[] = [];

  before(async function () {
    const engine = engineAvailability();
    if (engine.missing) {
      if (process.env.CI === "true") throw new Error(`the sandbox must run in CI, but ${engine.missing}`);
      console.log(`      skipped: ${engine.missing}`);
      this.skip();
    }
    sandbox = await Sandbox.open(engine.root);
    config = deployedConfig("testing", SHA, fakeAmiId(SHA));
    testing = await sandbox.stack("testing", config);
  });

  after(() => {
    if (timings.length > 0) console.log(`      wall time of up through the stand-ins: ${timings.join(", ")}`);
    sandbox?.close();
  });

  const box = (): Sandbox => {
    assert.ok(sandbox, "the sandbox is open");
    return sandbox;
  };

  it("creates every resource the offline plan lists for the testing stack", async () => {
    const run = await up(testing);
    timings.push(`testing ${(run.ms / 1000).toFixed(1)} s`);
    const plan = await offlinePlan("testing");
    assert.deepEqual(
      await stateSummary(testing),
      plan,
      "the engine's state is the offline plan (is dist/ current? npm run build)",
    );
    // Every resource plus the stack itself; providers are not counted.
    assert.deepEqual(run.result.summary.resourceChanges, { create: plan.length + 1 });
    assert.equal(run.result.outputs.imageId?.value, fakeAmiId(SHA));
    assert.match(
      String(run.result.outputs.url?.value),
      /^http:\/\/testing-lb-alb-[0-9a-f]{7}-\d+\.us-east-1\.elb\.amazonaws\.com$/,
    );
    // The region came from the stack's `aws:region` through the engine (PULUMI_CONFIG).
    assert.match(String(run.result.outputs.databaseHost?.value), /\.us-east-1\.rds\.amazonaws\.com$/);
  });

  it("changes nothing on a second up with no change", async () => {
    const before = await idsByName(testing);
    const run = await up(testing);
    assert.deepEqual(changed(stepsOf(run.events)), []);
    assert.deepEqual(Object.keys(run.result.summary.resourceChanges ?? {}), ["same"]);
    assert.deepEqual(await idsByName(testing), before);
  });

  it("reads every resource back unchanged on refresh", async () => {
    const before = await stateResources(testing);
    const result = await testing.refresh();
    assert.deepEqual(Object.keys(result.summary.resourceChanges ?? {}), ["same"]);
    assert.deepEqual(await stateResources(testing), before);
  });

  it("updates in place when an input changes, keeping the id", async () => {
    const before = await idsByName(testing);
    config = withSetting(config, "flightdeck:tiers", ["app", "max"], 3);
    box().writeConfig("testing", config);
    const run = await up(testing);
    assert.deepEqual(changed(stepsOf(run.events)), [`update ${APP_ASG}`]);
    assert.deepEqual(await idsByName(testing), before);
  });

  it("replaces where AWS would: a new database engine replaces the instance (and its security group)", async () => {
    const before = await idsByName(testing);
    config = withSetting(config, "flightdeck:database", ["engine"], "mysql");
    config = withSetting(config, "flightdeck:database", ["engineVersion"], "8.0");
    box().writeConfig("testing", config);
    const run = await up(testing);
    const steps = stepsOf(run.events);
    assert.equal(steps.get(DATABASE), "replace");
    assert.equal(
      steps.get("testing-db-sg"),
      "replace",
      "a security group's description cannot change in place",
    );
    const after = await idsByName(testing);
    assert.notEqual(after.get(DATABASE), before.get(DATABASE));
    assert.equal(
      after.get(APP_ASG),
      before.get(APP_ASG),
      "the groups are updated (new template version), not replaced",
    );
    assert.equal(steps.get(APP_ASG), "update");
    assert.equal(run.result.outputs.databasePort?.value, 3306);
  });

  it("fails the update with a faulted resource's message, and recovers once the fault is gone", async () => {
    const message = "sandbox fault: the Auto Scaling API is unavailable";
    box().setFaults({ fail: { [APP_ASG]: message } });
    config = withSetting(config, "flightdeck:tiers", ["app", "max"], 2);
    box().writeConfig("testing", config);
    const events: Auto.EngineEvent[] = [];
    await assert.rejects(testing.up({ onEvent: (e) => events.push(e) }), (error: Error) => {
      assert.ok(error.message.includes(message), error.message);
      return true;
    });
    const failed = events.find((e) => e.resOpFailedEvent?.metadata.urn.endsWith(`::${APP_ASG}`));
    assert.ok(failed, "the engine reports the resource's operation as failed");
    const diagnostic = events.find(
      (e) => e.diagnosticEvent?.urn?.endsWith(`::${APP_ASG}`) && e.diagnosticEvent.severity === "error",
    );
    assert.ok(diagnostic?.diagnosticEvent?.message.includes(message), "the message is the resource's error");

    box().setFaults({});
    const run = await up(testing);
    assert.deepEqual(changed(stepsOf(run.events)), [`update ${APP_ASG}`]);
  });

  it("can cancel an update while a slow resource is in flight (SIGINT, then the provider's Cancel)", async () => {
    const delaySeconds = 120;
    box().setFaults({ delay: { [APP_ASG]: delaySeconds } });
    config = withSetting(config, "flightdeck:tiers", ["app", "max"], 3);
    box().writeConfig("testing", config);
    const controller = new AbortController();
    let abortedAt = 0;
    const onEvent = (e: Auto.EngineEvent) => {
      if (e.resourcePreEvent?.metadata.urn.endsWith(`::${APP_ASG}`) && abortedAt === 0) {
        abortedAt = performance.now();
        controller.abort();
      }
    };
    await assert.rejects(testing.up({ onEvent, signal: controller.signal }));
    assert.ok(abortedAt > 0, "the slow resource started");
    const seconds = (performance.now() - abortedAt) / 1000;
    assert.ok(
      seconds < delaySeconds / 2,
      `cancelled in ${seconds.toFixed(1)} s, not after the ${delaySeconds} s delay`,
    );

    // The lock is released and the state consistent: the change applies on the next up.
    box().setFaults({});
    const run = await up(testing);
    assert.deepEqual(changed(stepsOf(run.events)), [`update ${APP_ASG}`]);
  });

  it("answers the image lookup only for the commits FLIGHTDECK_SANDBOX_IMAGES maps", async () => {
    const amiId = "ami-0sandbox000000001";
    await box().setImages({ [SHA]: amiId });
    try {
      config = { ...config, "flightdeck:image": { commit: SHA } };
      box().writeConfig("testing", config);
      const found = await up(testing);
      assert.equal(found.result.outputs.imageId?.value, amiId);
      assert.equal(
        stepsOf(found.events).get("testing-fleet-app-lt"),
        "update",
        "a new image is a new template version",
      );

      box().writeConfig("testing", { ...config, "flightdeck:image": { commit: OTHER_SHA } });
      await assert.rejects(testing.up(), (error: Error) => {
        assert.match(
          error.message,
          new RegExp(`No machine image found for commit ${OTHER_SHA} in us-east-1`),
        );
        return true;
      });
      box().writeConfig("testing", config);
    } finally {
      await box().setImages(undefined);
    }
  });

  it("destroys everything", async () => {
    const count = (await stateResources(testing)).length;
    const result = await testing.destroy();
    assert.deepEqual(result.summary.resourceChanges, { delete: count + 1 });
    assert.deepEqual(await stateResources(testing), []);
  });

  it("runs the production stack too, every resource of its offline plan", async () => {
    const production = await box().stack("production", deployedConfig("production", SHA, fakeAmiId(SHA)));
    const run = await up(production);
    timings.push(`production ${(run.ms / 1000).toFixed(1)} s`);
    assert.deepEqual(await stateSummary(production), await offlinePlan("production"));
    assert.equal(run.result.outputs.url?.value, "https://app.example.com");
  });
});

import assert from "node:assert/strict";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { UserError } from "../../infra/errors.js";
import program from "../../infra/main.js";
import { recordProgram, runOffline, runOfflineWithOutputs } from "../../infra/offline.js";
import type { ResourceRecord } from "../../infra/resources.js";
import { EXAMPLE_STACKS, exampleConfig, exampleInput, OTHER_SHA, SHA } from "./fixtures.js";

const summary = (records: ResourceRecord[]) => records.map((r) => `${r.type} ${r.name}`).sort();

describe("offline runner", function () {
  this.timeout(60_000);

  for (const stack of EXAMPLE_STACKS) {
    it(`runs Pulumi.${stack}.yaml offline`, async () => {
      const records = await runOffline(exampleConfig(stack), stack, { commit: SHA });
      assert.ok(records.length >= 10, String(records.length));
      for (const r of records) {
        assert.match(r.urn, new RegExp(`^urn:pulumi:${stack}::flightdeck::`));
        assert.equal(r.id === "" || r.id === `${r.name}_id`, true, `${r.name}: ${r.id}`);
      }
      assert.equal(records.filter((r) => r.parent === undefined).length, 1, "one top component");
    });
  }

  it("can run many times in one process without leaking state between runs", async () => {
    const first = await runOffline(exampleConfig("staging"), "staging", { commit: SHA });
    await runOffline(exampleConfig("production"), "production", { commit: OTHER_SHA });
    const again = await runOffline(exampleConfig("staging"), "staging", { commit: SHA });
    assert.deepEqual(summary(again), summary(first));
    assert.deepEqual(again.map((r) => r.urn).sort(), first.map((r) => r.urn).sort());
    assert.ok(again.every((r) => r.urn.startsWith("urn:pulumi:staging::")));
  });

  it("queues runs started together and resolves each with all of its own records", async () => {
    const [staging, testing, previews] = await Promise.all([
      runOffline(exampleConfig("staging"), "staging", { commit: SHA }),
      runOffline(exampleConfig("testing"), "testing", { commit: SHA }),
      runOffline(exampleConfig("previews"), "previews"),
    ]);
    assert.ok(staging.every((r) => r.urn.startsWith("urn:pulumi:staging::") && r.urn !== ""));
    assert.ok(testing.every((r) => r.urn.startsWith("urn:pulumi:testing::")));
    assert.ok(previews.every((r) => r.urn.startsWith("urn:pulumi:previews::")));
    assert.equal(
      staging.length,
      (await runOffline(exampleConfig("staging"), "staging", { commit: SHA })).length,
    );
  });

  it("lets --commit override the config's commit", async () => {
    const config = { ...exampleConfig("staging"), image: { commit: OTHER_SHA } };
    const run = await runOfflineWithOutputs(config, "staging", { commit: SHA });
    assert.equal(run.outputs?.commit, SHA);
  });

  it("fails a commit with no image, naming it and how to build it", async () => {
    const before = process.listeners("unhandledRejection");
    await assert.rejects(
      runOfflineWithOutputs(exampleConfig("staging"), "staging", { commit: SHA, imageFor: () => undefined }),
      (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.equal(
          error.message,
          `No machine image found for commit ${SHA} in us-east-1: npm run image:build -- --commit ${SHA}`,
        );
        assert.equal(error.tryMessage, `Build it: npm run image:build -- --commit ${SHA}`);
        return true;
      },
    );
    assert.deepEqual(process.listeners("unhandledRejection"), before);
    // And the runtime is usable again afterwards.
    assert.ok((await runOffline(exampleConfig("testing"), "testing", { commit: SHA })).length > 0);
  });

  it("refuses a stack with neither commit nor AMI id", async () => {
    await assert.rejects(
      runOffline(exampleConfig("staging"), "staging"),
      /set `image.commit` or `image.amiId`/,
    );
  });

  it("throws `Mock not implemented: <token>` for a lookup it does not know", async () => {
    await assert.rejects(
      recordProgram("lookup", () => ({ vpc: aws.ec2.getVpcOutput({ default: true }).id }), {
        region: "us-east-1",
      }),
      /Mock not implemented: aws:ec2\/getVpc:getVpc/,
    );
  });

  it("runs the real program entry with the stack's config as Pulumi passes it", async () => {
    // Pulumi hands the program every config value as text, objects as JSON.
    const flat: Record<string, string> = {};
    const input = { ...exampleInput("staging"), image: { commit: SHA } };
    for (const [key, value] of Object.entries(input)) {
      const name = key === "region" ? "aws:region" : `flightdeck:${key}`;
      flat[name] = typeof value === "string" ? value : JSON.stringify(value);
    }
    pulumi.runtime.setAllConfig(flat);
    try {
      const run = await recordProgram("staging", program, { region: "us-east-1" });
      assert.equal(run.outputs?.url, "https://staging.example.com");
      assert.equal(run.outputs?.commit, SHA);
      assert.deepEqual(
        summary(run.resources),
        summary(await runOffline(exampleConfig("staging"), "staging", { commit: SHA })),
      );
    } finally {
      pulumi.runtime.setAllConfig({});
    }
  });

  it("fails the program entry on a bad config, naming the file and key", async () => {
    pulumi.runtime.setAllConfig({ "aws:region": "us-east-1", "flightdeck:environment": "nowhere" });
    try {
      await assert.rejects(recordProgram("staging", program, { region: "us-east-1" }), (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.match(error.message, /Pulumi\.staging\.yaml: flightdeck:environment: /);
        assert.match(error.message, /Pulumi\.staging\.yaml: flightdeck:network: is required/);
        return true;
      });
    } finally {
      pulumi.runtime.setAllConfig({});
    }
  });
});

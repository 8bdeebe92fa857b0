/**
 * Offline plans of a commit preview and a branch preview: the Spot group of
 * one, its scheduled actions, the sleeping page, sleep and wake by hand, the
 * listener rule priority, and what a plan says it costs.
 *
 * AWS rules these plans are held to (cited where asserted):
 * - an ALB forward to a target group with no registered targets answers 503
 *   and does not fall through to lower rules, so a sleeping preview's own rule
 *   must carry the sleeping page (load-balancer-troubleshooting.html, "HTTP 503");
 * - EC2 Auto Scaling recurrences are five-field Unix cron in the action's IANA
 *   TimeZone (API_PutScheduledUpdateGroupAction);
 * - an ALB fixed-response body is at most 1024 characters (API_FixedResponseActionConfig).
 */
import assert from "node:assert/strict";
import { scheduledCostLines } from "../../cli/plan-format.js";
import { hasScheduleResources, powerMode, previewPriority } from "../../infra/components/preview-routing.js";
import type { PreviewMeta, StackConfig } from "../../infra/config.js";
import { leastMemoryGib } from "../../infra/config/preview-section.js";
import { previewRulePriority } from "../../infra/naming.js";
import { runOfflineWithOutputs } from "../../infra/offline.js";
import { planOffline } from "../../infra/plan.js";
import type { ResourceRecord } from "../../infra/resources.js";
import { newPreviewMeta, previewStackConfig, previewStackName } from "../../infra/stack.js";
import { exampleConfig, input, ofType, one, SHA } from "./fixtures.js";

const NOW = new Date("2026-03-02T12:00:00.000Z");
const PROJECT = new URL("../..", import.meta.url).pathname;

function previewConfig(extra: Partial<PreviewMeta> = {}): StackConfig {
  const previews = exampleConfig("previews");
  return previewStackConfig(previews, { ...newPreviewMeta(SHA, previews, { now: NOW }), ...extra });
}

async function plan(config: StackConfig, stack: string): Promise<ResourceRecord[]> {
  return (await runOfflineWithOutputs(config, stack)).resources;
}

function ruleActions(records: ResourceRecord[], name: string): Record<string, unknown>[] {
  return input(one(records, "aws:lb/listenerRule:ListenerRule", `${name}-rule`), "actions") as Record<
    string,
    unknown
  >[];
}

describe("preview power, size and routing (offline plans)", function () {
  this.timeout(60_000);

  describe("a commit preview on its schedule", () => {
    const stack = previewStackName(SHA);
    let records: ResourceRecord[];
    before(async () => {
      records = await plan(previewConfig(), stack);
    });

    it("is a Spot group of one over several types of at least 2 GiB, rebalancing capacity", () => {
      const group = one(records, "aws:autoscaling/group:Group", "preview-0123456-asg");
      assert.equal(group.inputs.minSize, 0);
      assert.equal(group.inputs.maxSize, 1);
      assert.equal(group.inputs.desiredCapacity, 1);
      assert.equal(group.inputs.capacityRebalance, true);
      assert.deepEqual(input(group, "mixedInstancesPolicy.instancesDistribution"), {
        onDemandBaseCapacity: 0,
        onDemandPercentageAboveBaseCapacity: 0,
        onDemandAllocationStrategy: "prioritized",
        spotAllocationStrategy: "price-capacity-optimized",
      });
      const types = (
        input(group, "mixedInstancesPolicy.launchTemplate.overrides") as { instanceType: string }[]
      ).map((o) => o.instanceType);
      assert.ok(types.length >= 2, "several Spot pools");
      assert.ok((leastMemoryGib(types) ?? 0) >= 2, `${types.join(", ")} all have 2 GiB or more`);
      assert.equal(
        input(group, "mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.launchTemplateId"),
        "preview-0123456-lt_id",
      );
    });

    it("scales to 1 at 08:00 and to 0 at 19:00, Mon-Fri, in Europe/London (not UTC)", () => {
      const actions = ofType(records, "aws:autoscaling/schedule:Schedule").map((r) => ({
        name: r.name,
        recurrence: r.inputs.recurrence,
        timeZone: r.inputs.timeZone,
        desired: r.inputs.desiredCapacity,
        min: r.inputs.minSize,
        max: r.inputs.maxSize,
      }));
      assert.deepEqual(
        actions.sort((a, b) => a.name.localeCompare(b.name)),
        [
          {
            name: "preview-0123456-sleep",
            recurrence: "0 19 * * 1,2,3,4,5",
            timeZone: "Europe/London",
            desired: 0,
            min: 0,
            max: 1,
          },
          {
            name: "preview-0123456-wake",
            recurrence: "0 8 * * 1,2,3,4,5",
            timeZone: "Europe/London",
            desired: 1,
            min: 0,
            max: 1,
          },
        ],
      );
    });

    it("forwards by day and switches to the sleeping page at 19:00 and back at 08:05 through ModifyRule", () => {
      assert.equal(ruleActions(records, "preview-0123456")[0]?.type, "forward");
      const schedules = ofType(records, "aws:scheduler/schedule:Schedule");
      const byName = new Map(schedules.map((s) => [s.name, s]));
      const sleep = byName.get("preview-0123456-sleep-page");
      const wake = byName.get("preview-0123456-wake-page");
      assert.ok(sleep && wake, "two page switches");
      assert.equal(sleep.inputs.scheduleExpression, "cron(0 19 ? * MON,TUE,WED,THU,FRI *)");
      assert.equal(wake.inputs.scheduleExpression, "cron(5 8 ? * MON,TUE,WED,THU,FRI *)");
      assert.equal(sleep.inputs.scheduleExpressionTimezone, "Europe/London");
      assert.equal(
        input(sleep, "target.arn"),
        "arn:aws:scheduler:::aws-sdk:elasticloadbalancingv2:modifyRule",
      );
      const sleepInput = JSON.parse(String(input(sleep, "target.input")));
      assert.match(sleepInput.RuleArn, /^arn:aws:elasticloadbalancing:/);
      assert.equal(sleepInput.Actions[0].Type, "fixed-response");
      assert.equal(sleepInput.Actions[0].FixedResponseConfig.StatusCode, "503");
      const page = String(sleepInput.Actions[0].FixedResponseConfig.MessageBody);
      assert.match(page, /This preview is asleep/);
      assert.match(page, /Mon-Fri 08:00-19:00 Europe\/London/);
      assert.match(page, /flightdeck preview wake 0123456/);
      assert.ok(page.length <= 1024, `${page.length} characters fit a fixed response`);
      const wakeInput = JSON.parse(String(input(wake, "target.input")));
      assert.deepEqual(Object.keys(wakeInput.Actions[0]), ["Type", "TargetGroupArn"]);
      assert.equal(wakeInput.Actions[0].Type, "forward");
      // The switches may call ModifyRule on this rule and nothing else.
      const policy = JSON.parse(
        String(one(records, "aws:iam/rolePolicy:RolePolicy", "preview-0123456-sched-rule").inputs.policy),
      );
      assert.deepEqual(policy.Statement, [
        { Effect: "Allow", Action: "elasticloadbalancing:ModifyRule", Resource: sleepInput.RuleArn },
      ]);
    });

    it("keeps the SHA-derived rule priority when preview up allocated none", () => {
      const rule = one(records, "aws:lb/listenerRule:ListenerRule", "preview-0123456-rule");
      assert.equal(rule.inputs.priority, previewRulePriority(SHA));
    });
  });

  describe("a branch preview (slug host, allocated priority)", () => {
    const slug = "login-page";
    const stack = `preview-b-${slug}`;
    let records: ResourceRecord[];
    let outputs: Record<string, unknown>;
    before(async () => {
      const run = await runOfflineWithOutputs(
        previewConfig({ slug, rulePriority: 4242, branch: "feature/login-page" }),
        stack,
      );
      records = run.resources;
      outputs = (run.outputs ?? {}) as Record<string, unknown>;
    });

    it("is served at <slug>.<domain> with the priority preview up allocated", () => {
      const rule = one(records, "aws:lb/listenerRule:ListenerRule", "preview-b-login-page-rule");
      assert.deepEqual(input(rule, "conditions"), [
        { hostHeader: { values: ["login-page.preview.example.com"] } },
      ]);
      assert.equal(rule.inputs.priority, 4242);
      assert.equal(outputs.url, "https://login-page.preview.example.com");
      assert.equal(outputs.slug, slug);
      const lt = one(records, "aws:ec2/launchTemplate:LaunchTemplate", "preview-b-login-page-lt");
      assert.match(
        Buffer.from(String(lt.inputs.userData), "base64").toString("utf8"),
        /login-page\.preview\.example\.com/,
      );
    });

    it("names the page's wake command after its stack, and keeps the Spot group of one", () => {
      const sleep = one(records, "aws:scheduler/schedule:Schedule", "preview-b-login-page-sleep-page");
      assert.match(String(input(sleep, "target.input")), /flightdeck preview wake preview-b-login-page/);
      assert.ok(
        String(sleep.inputs.name).length <= 64,
        "EventBridge schedule names are at most 64 characters",
      );
      const group = one(records, "aws:autoscaling/group:Group", "preview-b-login-page-asg");
      assert.equal(group.inputs.maxSize, 1);
      assert.equal(
        input(group, "mixedInstancesPolicy.instancesDistribution.spotAllocationStrategy"),
        "price-capacity-optimized",
      );
    });

    it("gives its target group a name that fits AWS's 32 characters once auto-named", () => {
      const [tg] = ofType(records, "aws:lb/targetGroup:TargetGroup");
      assert.ok(tg);
      assert.ok(tg.name.length + 8 <= 32, `${tg.name} + Pulumi's 8-character suffix fits`);
    });
  });

  describe("power by hand", () => {
    it("asleep: capacity 0, the sleeping page in the rule itself, and no schedule to wake it", async () => {
      const records = await plan(previewConfig({ power: { state: "asleep" } }), previewStackName(SHA));
      const group = one(records, "aws:autoscaling/group:Group", "preview-0123456-asg");
      assert.equal(group.inputs.desiredCapacity, 0);
      const [action] = ruleActions(records, "preview-0123456");
      assert.equal(action?.type, "fixed-response");
      const response = action?.fixedResponse as Record<string, string>;
      assert.equal(response.statusCode, "503");
      assert.equal(response.contentType, "text/html");
      assert.match(response.messageBody ?? "", /put to sleep by hand/);
      assert.match(response.messageBody ?? "", /flightdeck preview wake 0123456/);
      assert.equal(ofType(records, "aws:autoscaling/schedule:Schedule").length, 0);
      assert.equal(ofType(records, "aws:scheduler/schedule:Schedule").length, 0);
    });

    it("awake: capacity 1 and the forward now, the schedule still sleeps it next", async () => {
      const until = "2026-03-02T19:00:00.000Z";
      const records = await plan(previewConfig({ power: { state: "awake", until } }), previewStackName(SHA));
      assert.equal(
        one(records, "aws:autoscaling/group:Group", "preview-0123456-asg").inputs.desiredCapacity,
        1,
      );
      assert.equal(ruleActions(records, "preview-0123456")[0]?.type, "forward");
      assert.equal(ofType(records, "aws:autoscaling/schedule:Schedule").length, 2);
    });

    it("decides who owns capacity and the rule's action: the schedule only when there is no override", () => {
      const schedule = previewConfig().preview.schedule;
      assert.equal(powerMode({}, schedule), "scheduled");
      assert.equal(powerMode({ power: { state: "asleep" } }, schedule), "asleep-by-hand");
      assert.equal(powerMode({ power: { state: "awake" } }, schedule), "awake-by-hand");
      assert.equal(powerMode({}, { ...schedule, enabled: false }), "always-on");
      assert.equal(hasScheduleResources("asleep-by-hand"), false);
      assert.equal(hasScheduleResources("always-on"), false);
      assert.equal(previewPriority({ commit: SHA, rulePriority: 7 }), 7);
      assert.equal(previewPriority({ commit: SHA }), previewRulePriority(SHA));
    });

    it("runs around the clock with the schedule off: no scheduled actions, no page switches", async () => {
      const previews = exampleConfig("previews");
      const alwaysOn = previewStackConfig(
        {
          ...previews,
          preview: { ...previews.preview, schedule: { ...previews.preview.schedule, enabled: false } },
        },
        newPreviewMeta(SHA, previews, { now: NOW }),
      );
      const records = await plan(alwaysOn, previewStackName(SHA));
      assert.equal(ofType(records, "aws:autoscaling/schedule:Schedule").length, 0);
      assert.equal(ofType(records, "aws:scheduler/schedule:Schedule").length, 0);
    });
  });

  describe("the plan's cost", () => {
    it("shows the scheduled and the always-on cost of the default preview, Spot at 55 awake hours a week", async () => {
      const doc = await planOffline({ projectDir: PROJECT, stack: "preview", commit: SHA, now: NOW });
      const cost = doc.cost;
      assert.ok(cost.daily !== undefined && cost.scheduled, "us-east-1 is priced, and on a schedule");
      assert.equal(cost.scheduled.awakeHoursPerWeek, 55);
      const compute = cost.lines.find((l) => l.item.startsWith("EC2 "));
      const storage = cost.lines.find((l) => l.item.startsWith("EBS "));
      assert.ok(compute && storage);
      assert.match(compute.item, /^EC2 t4g\.small \(Linux, Spot estimate; cheapest of 4 types/);
      assert.ok(compute.estimate, "a Spot price is marked as an estimate");
      assert.equal(compute.source, "https://aws.amazon.com/ec2/spot/pricing/");
      // Compute runs 55 of 168 hours; the volume is counted around the clock.
      const expected = compute.daily * (55 / 168) + storage.daily;
      assert.ok(Math.abs(cost.scheduled.daily - expected) < 1e-12, `${cost.scheduled.daily} = ${expected}`);
      assert.ok(Math.abs(cost.daily - (compute.daily + storage.daily)) < 1e-12);
      assert.ok(cost.scheduled.daily < cost.daily);
      assert.ok(cost.scheduled.daily <= 0.08, `the default preview costs ${cost.scheduled.daily}/day`);
      // The plan's text shows both figures.
      const [text] = scheduledCostLines(doc);
      assert.match(text ?? "", /awake 55 of 168 hours a week\): \$0\.07\/day, .*always on: \$0\.16\/day/);
      assert.deepEqual(scheduledCostLines({ ...doc, cost: { ...cost, scheduled: undefined } }), []);
    });

    it("buys On-Demand only when the previews config says so", async () => {
      const previews = exampleConfig("previews");
      const onDemand = previewStackConfig(
        { ...previews, preview: { ...previews.preview, purchase: "on-demand" } },
        newPreviewMeta(SHA, previews, { now: NOW }),
      );
      const records = await plan(onDemand, previewStackName(SHA));
      const group = one(records, "aws:autoscaling/group:Group", "preview-0123456-asg");
      assert.equal(
        input(group, "mixedInstancesPolicy.instancesDistribution.onDemandPercentageAboveBaseCapacity"),
        100,
      );
    });
  });
});

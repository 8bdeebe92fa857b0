/**
 * A preview's place on the shared listener: its target group, its host rule,
 * and the sleeping page its URL answers with while it sleeps.
 *
 * Why the page needs its own machinery: an ALB rule that forwards to a target
 * group with no registered targets answers 503 itself and never falls through
 * to a lower-priority rule ("HTTP 503: Service unavailable ... The target groups
 * for the load balancer have no registered targets",
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html).
 * So the one host rule changes its action instead:
 *
 * - asleep by hand (`previewMeta.power.state: asleep`): the program itself
 *   gives the rule a fixed-response action (the sleeping page); nothing wakes it.
 * - asleep by schedule: nothing runs flightdeck at 19:00, so two EventBridge
 *   Scheduler schedules call ELBv2 ModifyRule through a universal target
 *   (`arn:aws:scheduler:::aws-sdk:elasticloadbalancingv2:modifyRule`,
 *   https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html):
 *   at sleep time the rule gets the sleeping page, a few minutes after wake time
 *   (once the new machine has had time to boot) the forward again. The program
 *   then ignores changes of the rule's actions (the schedule owns them), unless
 *   a power override is set.
 *
 * Limits, said plainly: during those few minutes after wake time the page still
 * says asleep; if a schedule call fails (EventBridge retries for up to 24 hours)
 * the URL can answer 503 while the machine sleeps. A power override is applied
 * by an `up` that should refresh first, so the program's view of the rule and
 * the group is the real one (a `pulumi up` without refresh compares with the
 * last recorded inputs, not with what the schedule changed).
 */
import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PreviewMeta, StackConfig } from "../config.js";
import type { PreviewSchedule } from "../config/preview-schedule.js";
import { describeSchedule, schedulerCron } from "../config/preview-schedule.js";
import { awsPartition, IAM_PATH, previewHost, previewRulePriority, shortSha } from "../naming.js";
import { BRANCH_PREVIEW_PREFIX } from "../preview-names.js";
import { APP_PORT, HEALTH_CHECK_PATH } from "./load-balancer.js";

/** Minutes after wake time the rule forwards again: the new machine boots meanwhile. */
export const WAKE_ROUTE_DELAY_MINUTES = 5;
/** What the sleeping page answers with: 503 (temporarily unavailable), so monitors do not count it as up. */
export const SLEEPING_STATUS = "503";
/** An ALB fixed-response body holds at most 1024 characters. */
export const FIXED_RESPONSE_MAX = 1024;

/** The host a preview is served at: `<slug>.<domain>` for a branch, `<sha7>.<domain>` for a commit. */
export function previewServedHost(meta: Pick<PreviewMeta, "commit" | "slug">, domain: string): string {
  return meta.slug ? `${meta.slug}.${domain}` : previewHost(meta.commit, domain);
}

/** What people type to name the preview: the branch preview's stack, or the commit's short SHA. */
export function previewRef(meta: Pick<PreviewMeta, "commit" | "slug">): string {
  return meta.slug ? `${BRANCH_PREVIEW_PREFIX}${meta.slug}` : shortSha(meta.commit);
}

/** The listener rule priority: the one `preview up` allocated, else derived from the commit. */
export function previewPriority(meta: Pick<PreviewMeta, "commit" | "rulePriority">): number {
  return meta.rulePriority ?? previewRulePriority(meta.commit);
}

/** How the preview is powered, from the override and the schedule. */
export type PowerMode =
  /** Put to sleep by hand: capacity 0, the sleeping page, no schedule. */
  | "asleep-by-hand"
  /** Woken by hand: capacity 1 and the forward now; the schedule sleeps it next. */
  | "awake-by-hand"
  /** The schedule wakes and sleeps it; the program leaves capacity and the rule's action to it. */
  | "scheduled"
  /** No schedule: always awake. */
  | "always-on";

export function powerMode(meta: Pick<PreviewMeta, "power">, schedule: PreviewSchedule): PowerMode {
  if (meta.power?.state === "asleep") return "asleep-by-hand";
  if (meta.power?.state === "awake") return schedule.enabled ? "awake-by-hand" : "always-on";
  return schedule.enabled ? "scheduled" : "always-on";
}

/** Whether the schedule's resources (scaling actions, page switches) exist in this mode. */
export function hasScheduleResources(mode: PowerMode): boolean {
  return mode === "scheduled" || mode === "awake-by-hand";
}

/** The sleeping page: what it is, when it wakes, and how to wake it now. */
export function sleepingPage(
  mode: "by-hand" | "by-schedule",
  ref: string,
  schedule: PreviewSchedule,
): string {
  const wakeNow = `<p>To wake it now, run <code>flightdeck preview wake ${ref}</code>.</p>`;
  const when =
    mode === "by-hand"
      ? "<p>It was put to sleep by hand and stays asleep until it is woken.</p>"
      : `<p>Previews are awake ${describeSchedule(schedule)} and sleep the rest of the week. It wakes at the next ${schedule.wake} (${schedule.timeZone}) of those days and is ready a few minutes later.</p>`;
  const body = `<!doctype html><html><head><title>Preview asleep</title></head><body><h1>This preview is asleep</h1>${when}${wakeNow}</body></html>`;
  if (body.length > FIXED_RESPONSE_MAX) {
    throw new Error(
      `the sleeping page is ${body.length} characters; an ALB fixed response holds ${FIXED_RESPONSE_MAX}`,
    );
  }
  return body;
}

/** The rule's fixed-response action showing the sleeping page. */
export function sleepingAction(body: string): aws.types.input.lb.ListenerRuleAction {
  return {
    type: "fixed-response",
    fixedResponse: { contentType: "text/html", statusCode: SLEEPING_STATUS, messageBody: body },
  };
}

/** A logical name whose auto-name (name + 8 characters) fits AWS's 32-character target group names. */
export function targetGroupLogicalName(name: string): string {
  const plain = `${name}-tg`;
  if (plain.length + 8 <= 32) return plain;
  const digest = createHash("sha256").update(name).digest("hex").slice(0, 6);
  return `${name.slice(0, 14)}-${digest}-tg`;
}

export interface RoutingInputs {
  config: StackConfig;
  meta: PreviewMeta;
  host: string;
  mode: PowerMode;
  listenerArn: pulumi.Input<string>;
  vpcId: pulumi.Input<string>;
  tags: Record<string, string>;
}

export interface Routing {
  targetGroup: aws.lb.TargetGroup;
  rule: aws.lb.ListenerRule;
}

/** Target group, host rule and (with a schedule) the page switches. */
export function createRouting(parent: pulumi.Resource, name: string, i: RoutingInputs): Routing {
  const targetGroup = createTargetGroup(parent, name, i);
  const rule = createHostRule(parent, name, i, targetGroup);
  if (hasScheduleResources(i.mode)) createPageSwitches(parent, name, i, rule, targetGroup);
  return { targetGroup, rule };
}

function createTargetGroup(parent: pulumi.Resource, name: string, i: RoutingInputs): aws.lb.TargetGroup {
  return new aws.lb.TargetGroup(
    targetGroupLogicalName(name),
    {
      vpcId: i.vpcId,
      port: APP_PORT,
      protocol: "HTTP",
      targetType: "instance",
      deregistrationDelay: 0,
      healthCheck: { path: HEALTH_CHECK_PATH, protocol: "HTTP", matcher: "200", interval: 30 },
      tags: i.tags,
    },
    { parent },
  );
}

function createHostRule(
  parent: pulumi.Resource,
  name: string,
  i: RoutingInputs,
  tg: aws.lb.TargetGroup,
): aws.lb.ListenerRule {
  const schedule = i.config.preview.schedule;
  const actions =
    i.mode === "asleep-by-hand"
      ? [sleepingAction(sleepingPage("by-hand", previewRef(i.meta), schedule))]
      : [{ type: "forward", targetGroupArn: tg.arn }];
  return new aws.lb.ListenerRule(
    `${name}-rule`,
    {
      listenerArn: i.listenerArn,
      priority: previewPriority(i.meta),
      actions,
      conditions: [{ hostHeader: { values: [i.host] } }],
      tags: i.tags,
    },
    // On its schedule, the page switches own the action: an update must not undo them.
    { parent, ignoreChanges: i.mode === "scheduled" ? ["actions"] : [] },
  );
}

/** Wake time plus the delay, as HH:MM (the delay is dropped when it would reach sleep time). */
export function routeWakeTime(schedule: PreviewSchedule): string {
  const toMinutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
  const wake = toMinutes(schedule.wake);
  const delayed =
    wake + WAKE_ROUTE_DELAY_MINUTES < toMinutes(schedule.sleep) ? wake + WAKE_ROUTE_DELAY_MINUTES : wake;
  return `${String(Math.floor(delayed / 60)).padStart(2, "0")}:${String(delayed % 60).padStart(2, "0")}`;
}

/** The EventBridge Scheduler universal target calling ELBv2 ModifyRule. */
export function modifyRuleTarget(region: string): string {
  return `arn:${awsPartition(region)}:scheduler:::aws-sdk:elasticloadbalancingv2:modifyRule`;
}

/** Two schedules switching the rule to the sleeping page at sleep time and back after wake time. */
function createPageSwitches(
  parent: pulumi.Resource,
  name: string,
  i: RoutingInputs,
  rule: aws.lb.ListenerRule,
  tg: aws.lb.TargetGroup,
): void {
  const schedule = i.config.preview.schedule;
  const role = new aws.iam.Role(
    `${name}-sched`,
    {
      path: IAM_PATH,
      description: `Switches the sleeping page of ${name}`,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "scheduler.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      }),
      tags: i.tags,
    },
    { parent },
  );
  new aws.iam.RolePolicy(
    `${name}-sched-rule`,
    {
      role: role.name,
      policy: rule.arn.apply((arn) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "elasticloadbalancing:ModifyRule", Resource: arn }],
        }),
      ),
    },
    { parent },
  );
  const page = sleepingPage("by-schedule", previewRef(i.meta), schedule);
  const switches = [
    {
      suffix: "sleep-page",
      time: schedule.sleep,
      input: rule.arn.apply((arn) =>
        JSON.stringify({
          RuleArn: arn,
          Actions: [
            {
              Type: "fixed-response",
              FixedResponseConfig: {
                StatusCode: SLEEPING_STATUS,
                ContentType: "text/html",
                MessageBody: page,
              },
            },
          ],
        }),
      ),
    },
    {
      suffix: "wake-page",
      time: routeWakeTime(schedule),
      input: pulumi
        .all([rule.arn, tg.arn])
        .apply(([arn, tgArn]) =>
          JSON.stringify({ RuleArn: arn, Actions: [{ Type: "forward", TargetGroupArn: tgArn }] }),
        ),
    },
  ];
  for (const s of switches) {
    new aws.scheduler.Schedule(
      `${name}-${s.suffix}`,
      {
        // Explicit (a stack's names are unique): at most 50 + 11 of EventBridge's 64 characters.
        name: `${name}-${s.suffix}`,
        description: `${s.suffix === "sleep-page" ? "Show" : "Hide"} the sleeping page of ${i.host}`,
        flexibleTimeWindow: { mode: "OFF" },
        scheduleExpression: schedulerCron(s.time, schedule.days),
        scheduleExpressionTimezone: schedule.timeZone,
        target: { arn: modifyRuleTarget(i.config.region), roleArn: role.arn, input: s.input },
      },
      { parent },
    );
  }
}

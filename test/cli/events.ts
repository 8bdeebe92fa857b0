/** Builders of realistic event streams for the CLI's tests. */
import type { FlightdeckEvent, OperationName } from "../../automation/events.js";

let clock = Date.parse("2026-11-21T10:00:00Z");

export function resetClock(iso = "2026-11-21T10:00:00Z"): void {
  clock = Date.parse(iso);
}

function at(advanceMs = 1000): string {
  clock += advanceMs;
  return new Date(clock).toISOString();
}

type Input<T> = T extends FlightdeckEvent ? Omit<T, "timestamp" | "operation"> : never;

export function ev(
  operation: OperationName,
  input: Input<FlightdeckEvent>,
  advanceMs = 1000,
): FlightdeckEvent {
  return { ...input, timestamp: at(advanceMs), operation } as FlightdeckEvent;
}

/** A deploy of staging: a step, a guard, two resources, one warning, a successful result. */
export function deployStream(): FlightdeckEvent[] {
  resetClock();
  const urnLb = "urn:pulumi:staging::flightdeck::aws:lb/loadBalancer:LoadBalancer::web-alb";
  const urnAsg = "urn:pulumi:staging::flightdeck::aws:autoscaling/group:Group::web-app";
  return [
    ev("deploy", {
      type: "start",
      stack: "staging",
      commit: "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
      imageId: "ami-0123456789abcdef0",
      actor: "alice@example.com",
      logFile: "/p/.flightdeck/logs/deploy.jsonl",
    }),
    ev("deploy", { type: "step", message: "resolved main to 1a2b3c4" }),
    ev("deploy", { type: "guard", guard: "allowed-branch", allowed: true, reason: "1a2b3c4 is on main" }),
    ev("deploy", {
      type: "resource",
      stack: "staging",
      urn: urnLb,
      resourceType: "aws:lb/loadBalancer:LoadBalancer",
      name: "web-alb",
      op: "update",
      status: "started",
    }),
    ev("deploy", {
      type: "resource",
      stack: "staging",
      urn: urnAsg,
      resourceType: "aws:autoscaling/group:Group",
      name: "web-app",
      op: "replace",
      status: "started",
    }),
    ev(
      "deploy",
      {
        type: "resource",
        stack: "staging",
        urn: urnLb,
        resourceType: "aws:lb/loadBalancer:LoadBalancer",
        name: "web-alb",
        op: "update",
        status: "done",
      },
      3000,
    ),
    ev("deploy", { type: "diagnostic", severity: "info", message: "chatter" }),
    ev("deploy", { type: "diagnostic", severity: "warning", message: "instance refresh is slow" }),
    ev("deploy", {
      type: "resource",
      stack: "staging",
      urn: urnAsg,
      resourceType: "aws:autoscaling/group:Group",
      name: "web-app",
      op: "replace",
      status: "done",
      durationMs: 42_000,
    }),
    ev("deploy", {
      type: "result",
      ok: true,
      exitCode: 0,
      summary: "deployed 1a2b3c4 to staging",
      durationMs: 65_000,
      stack: "staging",
      url: "https://staging.example.com",
      changes: { update: 1, replace: 1, same: 12 },
    }),
  ];
}

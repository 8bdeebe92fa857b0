/**
 * TEST DOUBLE: the XML answers of the sandbox's stand-in fleet
 * (fleet-double.ts), shaped as AWS's Query APIs answer:
 *
 * - Auto Scaling (awsQuery): `<ActionResponse xmlns=…/2011-01-01/><ActionResult>…`,
 *   lists as `<member>` items, errors as `<ErrorResponse><Error><Type/><Code/><Message/>`
 *   (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeInstanceRefreshes.html,
 *   its "Examples" section);
 * - ELBv2 (awsQuery): the same, namespace …/2015-12-01/
 *   (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetHealth.html);
 * - EC2 (ec2Query): no Result wrapper, lists as `<item>`, errors as
 *   `<Response><Errors><Error><Code/><Message/>…<RequestID/>`
 *   (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html,
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
 */
import { randomUUID } from "node:crypto";
import type { RefreshView, TargetView } from "./fleet-state.js";

const NAMESPACE = {
  autoscaling: "http://autoscaling.amazonaws.com/doc/2011-01-01/",
  elbv2: "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
  ec2: "http://ec2.amazonaws.com/doc/2016-11-15/",
} as const;

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => `&${{ "<": "lt", ">": "gt", "&": "amp", '"': "quot", "'": "apos" }[c]};`,
  );
}

const el = (name: string, value: string | number | undefined) =>
  value === undefined ? "" : `<${name}>${escapeXml(String(value))}</${name}>`;

function queryResponse(service: "autoscaling" | "elbv2", action: string, result: string): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<${action}Response xmlns="${NAMESPACE[service]}">`,
    `<${action}Result>${result}</${action}Result>`,
    `<ResponseMetadata>${el("RequestId", randomUUID())}</ResponseMetadata>`,
    `</${action}Response>`,
  ].join("");
}

export function queryError(service: "autoscaling" | "elbv2", code: string, message: string): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<ErrorResponse xmlns="${NAMESPACE[service]}">`,
    `<Error>${el("Type", "Sender")}${el("Code", code)}${el("Message", message)}</Error>`,
    el("RequestId", randomUUID()),
    "</ErrorResponse>",
  ].join("");
}

export function ec2Error(code: string, message: string): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<Response><Errors><Error>${el("Code", code)}${el("Message", message)}</Error></Errors>`,
    `${el("RequestID", randomUUID())}</Response>`,
  ].join("");
}

export function describeInstanceRefreshesXml(refreshes: RefreshView[]): string {
  const members = refreshes.map(
    (r) =>
      `<member>${el("InstanceRefreshId", r.id)}${el("AutoScalingGroupName", r.group)}${el("Status", r.status)}` +
      `${el("StatusReason", r.statusReason)}${el("StartTime", r.startTime.toISOString())}` +
      `${el("EndTime", r.endTime?.toISOString())}${el("PercentageComplete", r.percentage)}` +
      `${el("InstancesToUpdate", r.instancesToUpdate)}</member>`,
  );
  return queryResponse(
    "autoscaling",
    "DescribeInstanceRefreshes",
    `<InstanceRefreshes>${members.join("")}</InstanceRefreshes>`,
  );
}

export function describeTargetHealthXml(targets: TargetView[]): string {
  const members = targets.map(
    (t) =>
      `<member>${el("HealthCheckPort", t.port)}<Target>${el("Id", t.id)}${el("Port", t.port)}</Target>` +
      `<TargetHealth>${el("State", t.state)}${el("Reason", t.reason)}${el("Description", t.description)}</TargetHealth></member>`,
  );
  return queryResponse(
    "elbv2",
    "DescribeTargetHealth",
    `<TargetHealthDescriptions>${members.join("")}</TargetHealthDescriptions>`,
  );
}

export function runInstancesXml(instance: {
  instanceId: string;
  imageId: string;
  instanceType: string;
  subnetId: string;
}): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<RunInstancesResponse xmlns="${NAMESPACE.ec2}">`,
    el("requestId", randomUUID()),
    el("reservationId", `r-${instance.instanceId.slice(2)}`),
    el("ownerId", "123456789012"),
    "<groupSet/>",
    "<instancesSet><item>",
    el("instanceId", instance.instanceId),
    el("imageId", instance.imageId),
    "<instanceState><code>0</code><name>pending</name></instanceState>",
    el("instanceType", instance.instanceType),
    el("launchTime", new Date().toISOString()),
    el("subnetId", instance.subnetId),
    "</item></instancesSet>",
    "</RunInstancesResponse>",
  ].join("");
}

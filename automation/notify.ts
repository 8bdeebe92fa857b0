/**
 * Telling people about releases: every deploy, promotion, rollback and reap
 * posts ONE message to each notification target of the stack's committed
 * config (`flightdeck:notifications`; a reap: the previews config's) that
 * listens to that event: environment, commit range, issue keys, who, result,
 * URL and duration. A refused or invalid request changes nothing and posts
 * nothing; once a release is recorded on the stack, its outcome is posted,
 * success or failure (a failed release phase or rollout is a failed deploy).
 *
 * Delivery never fails the operation: each target gets one POST with a time
 * limit, a failure becomes a warning event and an entry of the result's
 * `notifications`. A target's URL is read from the environment variable the
 * config names and is never written anywhere (events, logs, errors).
 *
 * Slack: an incoming webhook takes a JSON body `{"text": ...}` (mrkdwn; `&`,
 * `<`, `>` escaped; `<url|label>` links) and answers 200 `ok`, or 4xx with a
 * reason such as `invalid_payload` or `no_service`
 * (https://api.slack.com/messaging/webhooks, https://api.slack.com/reference/surfaces/formatting).
 * A generic webhook gets a JSON release marker (`releaseMarker`).
 */
import { loadStackConfig } from "../infra/config.js";
import type { NotificationEvent, NotificationTarget } from "../infra/config/notifications-section.js";
import { shortSha } from "../infra/naming.js";
import type { FlightdeckEvent, NotificationDelivery, OperationName, Releases } from "./events.js";
import type { Ending, EndingHook } from "./run.js";

/** No target can hold a deploy up for longer than this. */
export const NOTIFY_TIMEOUT_MS = 5_000;

const NOTIFYING: Partial<Record<OperationName, NotificationEvent>> = {
  deploy: "deployed",
  promote: "promoted",
  rollback: "rolledBack",
  reap: "reaped",
};

/** What one message says. */
export interface Notice {
  event: NotificationEvent;
  operation: OperationName;
  stack: string;
  ok: boolean;
  /** The commit released, and what ran before. */
  commit?: string;
  from?: string;
  issueKeys: string[];
  commits: { sha: string; subject: string; issueKeys: string[]; direction: string }[];
  actor?: string;
  url?: string;
  durationMs: number;
  /** The result's one line (the error's message on failure). */
  summary: string;
  at: string;
}

export interface HookSettings {
  operation: OperationName;
  stack?: string;
  projectDir: string;
  env: Record<string, string | undefined>;
  now: () => Date;
  timeoutMs?: number;
}

/** The hook for one operation's run, or undefined when that operation never notifies. */
export function notificationHook(s: HookSettings): EndingHook | undefined {
  const success = NOTIFYING[s.operation];
  if (!success) return undefined;
  let released: { commit: string; actor: string } | undefined;
  let releases: Releases | undefined;
  let attempted = false;
  return {
    observe(event: FlightdeckEvent) {
      // A release phase that ran (and so may have failed) counts as a release attempt: its migrations touched the stack's database.
      if (event.type === "rollout" && event.phase === "release" && event.status !== "skipped")
        attempted = true;
      if (event.type !== "step") return;
      if (event.release) released = { commit: event.release.commit, actor: event.release.actor };
      if (event.releases) releases = event.releases;
    },
    async finish(ending: Ending, warn: (message: string) => void) {
      const stack = s.operation === "reap" ? "previews" : s.stack;
      if (!stack || !worthTelling(s.operation, ending, released !== undefined || attempted)) return undefined;
      const config = await loadStackConfig(s.projectDir, stack).catch(() => undefined);
      const event: NotificationEvent = ending.ok ? success : "failed";
      const targets = (config?.notifications ?? []).filter((t) => t.events.includes(event));
      if (targets.length === 0) return undefined;
      const notice = noticeOf(s, { event, stack, ending, released, releases });
      const deliveries = await Promise.all(
        targets.map((t) => deliver(t, notice, s.env, s.timeoutMs ?? NOTIFY_TIMEOUT_MS)),
      );
      for (const d of deliveries) {
        if (!d.ok)
          warn(`could not notify ${d.target}: ${d.error}; the ${s.operation} itself is not affected`);
      }
      return deliveries;
    },
  };
}

/** A deploy-like button tells once its release was recorded; a reap once it destroyed or failed to destroy something. */
function worthTelling(operation: OperationName, ending: Ending, released: boolean): boolean {
  if (operation !== "reap") return released;
  const data = (ending.ok ? ending.data : (ending.error as { data?: unknown } | undefined)?.data) as
    { dryRun?: boolean; candidates?: unknown[] } | undefined;
  return data?.dryRun !== true && (data?.candidates?.length ?? 0) > 0;
}

function noticeOf(
  s: HookSettings,
  n: {
    event: NotificationEvent;
    stack: string;
    ending: Ending;
    released?: { commit: string; actor: string };
    releases?: Releases;
  },
): Notice {
  const r = n.releases;
  return {
    event: n.event,
    operation: s.operation,
    stack: n.stack,
    ok: n.ending.ok,
    ...(n.released
      ? { commit: n.released.commit, actor: n.released.actor }
      : r?.to
        ? { commit: r.to } // a release phase that failed before the release was recorded
        : {}),
    ...(r?.from ? { from: r.from } : {}),
    issueKeys: r?.issueKeys ?? [],
    commits: (r?.commits ?? []).map((c) => ({
      sha: c.sha,
      subject: c.subject,
      issueKeys: c.issueKeys,
      direction: c.direction,
    })),
    ...(n.ending.ok && n.ending.url ? { url: n.ending.url } : {}),
    durationMs: n.ending.durationMs,
    summary: n.ending.summary,
    at: s.now().toISOString(),
  };
}

/** `&`, `<` and `>` as Slack's mrkdwn needs them escaped. */
function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const VERB: Partial<Record<OperationName, string>> = {
  deploy: "deploy",
  promote: "promotion",
  rollback: "rollback",
  reap: "reap",
};

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${s % 60}s`;
}

/** The Slack incoming webhook body: one mrkdwn `text`. */
export function slackMessage(n: Notice): { text: string } {
  const icon = n.ok ? ":white_check_mark:" : ":x:";
  const verb = VERB[n.operation] ?? n.operation;
  const what = n.commit ? ` of \`${shortSha(n.commit)}\`` : "";
  const by = n.actor ? ` by ${slackEscape(n.actor)}` : "";
  const result = n.ok ? "succeeded" : "FAILED";
  const lines = [
    `${icon} *${slackEscape(n.stack)}*: ${verb}${what}${by} ${result} in ${seconds(n.durationMs)}`,
  ];
  if (n.url) lines.push(`<${n.url.replace(/[<>|]/g, "")}|${slackEscape(n.url)}>`);
  if (n.from && n.commit) lines.push(`Range: \`${shortSha(n.from)}..${shortSha(n.commit)}\``);
  const released = n.commits.filter((c) => c.direction === "release").length;
  const unreleased = n.commits.length - released;
  if (n.commits.length > 0) {
    lines.push(
      [released ? `${released} commit(s) released` : "", unreleased ? `${unreleased} un-released` : ""]
        .filter(Boolean)
        .join(", "),
    );
  }
  if (n.issueKeys.length > 0) lines.push(`Issues: ${slackEscape(n.issueKeys.join(", "))}`);
  if (!n.ok || n.operation === "reap") lines.push(slackEscape(n.summary.slice(0, 500)));
  return { text: lines.join("\n") };
}

/** The generic webhook body: a release marker for monitoring (one JSON object). */
export function releaseMarker(n: Notice): Record<string, unknown> {
  return { source: "flightdeck", ...n };
}

/** Post one notice to one target, within the time limit; never throws, never names the URL. */
export async function deliver(
  target: NotificationTarget,
  notice: Notice,
  env: Record<string, string | undefined>,
  timeoutMs: number,
): Promise<NotificationDelivery> {
  const name = target.name ?? `${target.type} ${target.urlEnv}`;
  const failed = (error: string, status?: number): NotificationDelivery => ({
    target: name,
    ok: false,
    ...(status === undefined ? {} : { status }),
    error,
  });
  const url = env[target.urlEnv];
  if (!url)
    return failed(`the environment variable ${target.urlEnv} is not set (it must hold the webhook URL)`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return failed(`the environment variable ${target.urlEnv} does not hold a URL`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return failed(`the environment variable ${target.urlEnv} does not hold an http(s) URL`);
  }
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (target.tokenEnv) {
    const token = env[target.tokenEnv];
    if (!token)
      return failed(`the environment variable ${target.tokenEnv} is not set (it must hold the token)`);
    headers.authorization = `Bearer ${token}`;
  }
  const body = JSON.stringify(target.type === "slack" ? slackMessage(notice) : releaseMarker(notice));
  const scrub = (text: string) =>
    text
      .split(url)
      .join("[webhook URL]")
      .replace(/[^\x20-\x7e]/g, " ");
  try {
    const response = await fetch(parsed, {
      method: "POST",
      headers,
      body,
      redirect: "error",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const answer = scrub((await response.text().catch(() => "")).slice(0, 200)).trim();
    if (response.ok) return { target: name, ok: true, status: response.status };
    return failed(`HTTP ${response.status}${answer ? ` (${answer})` : ""}`, response.status);
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    if (e.name === "TimeoutError" || e.name === "AbortError")
      return failed(`no answer within ${timeoutMs} ms`);
    const code = e.cause?.code;
    return failed(code ? `could not connect (${code})` : scrub(`could not post: ${e.message}`));
  }
}

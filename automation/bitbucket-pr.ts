/**
 * A small Bitbucket Cloud REST API 2.0 client: find the open pull requests of a
 * branch, and keep ONE comment on each that carries a preview's URL (found again
 * by a hidden marker in its body, then updated rather than added to).
 *
 * Endpoints (https://developer.atlassian.com/cloud/bitbucket/rest/api-group-pullrequests/):
 * - `GET  /repositories/{workspace}/{repo_slug}/pullrequests?state=OPEN&q=source.branch.name="<b>"`
 *   (filtering: https://developer.atlassian.com/cloud/bitbucket/rest/intro/#filtering)
 * - `GET  .../pullrequests/{id}/comments` (paginated: `values`, and `next` while there are more)
 * - `POST .../pullrequests/{id}/comments` with `{"content": {"raw": "<markdown>"}}`
 * - `PUT  .../pullrequests/{id}/comments/{comment_id}` with the same body
 * Authentication: an access token as `Authorization: Bearer <token>`
 * (https://support.atlassian.com/bitbucket-cloud/docs/using-access-tokens/); commenting needs
 * the "Pull requests: Write" permission, the `pullrequest:write` scope
 * (https://support.atlassian.com/bitbucket-cloud/docs/repository-access-token-permissions/).
 *
 * The token is sent only to the configured API's origin (a `next` link elsewhere is
 * refused) and never appears in an error message.
 */
import { ExitCode, UserError } from "../infra/errors.js";

export const DEFAULT_BITBUCKET_API_URL = "https://api.bitbucket.org/2.0";
/** A Markdown link reference definition renders as nothing: the comment's hidden marker. */
export const PREVIEW_COMMENT_MARKER = "[//]: # (flightdeck-preview)";
const TIMEOUT_MS = 10_000;

export interface BitbucketSettings {
  apiUrl: string;
  workspace: string;
  repoSlug: string;
  token: string;
  /** Set in pull-request pipelines: the pull request to comment on. */
  prId?: number;
  timeoutMs: number;
}

/** The settings from the environment, or a user error naming every missing variable (exit 2). */
export function bitbucketSettings(env: Record<string, string | undefined>): BitbucketSettings {
  const missing = ["BITBUCKET_PR_TOKEN", "BITBUCKET_WORKSPACE", "BITBUCKET_REPO_SLUG"].filter((k) => !env[k]);
  if (missing.length > 0) {
    throw new UserError(`cannot comment on the pull request: ${missing.join(", ")} not set`, {
      tryMessage:
        "Set BITBUCKET_PR_TOKEN as a secured repository variable: a repository access token with the " +
        "Pull requests: Write permission (scope pullrequest:write). Bitbucket Pipelines sets the other two.",
    });
  }
  const apiUrl = (env.BITBUCKET_API_URL || DEFAULT_BITBUCKET_API_URL).replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]+/.test(apiUrl)) {
    throw new UserError(`BITBUCKET_API_URL '${apiUrl}' is not an http(s) URL`, {
      tryMessage: `Leave it unset for ${DEFAULT_BITBUCKET_API_URL}.`,
    });
  }
  const pr = env.BITBUCKET_PR_ID;
  if (pr !== undefined && pr !== "" && !/^[1-9]\d*$/.test(pr)) {
    throw new UserError(`BITBUCKET_PR_ID '${pr}' is not a pull request number`);
  }
  return {
    apiUrl,
    workspace: env.BITBUCKET_WORKSPACE as string,
    repoSlug: env.BITBUCKET_REPO_SLUG as string,
    token: env.BITBUCKET_PR_TOKEN as string,
    ...(pr ? { prId: Number(pr) } : {}),
    timeoutMs: TIMEOUT_MS,
  };
}

/** The API did not take the request (HTTP error, network, timeout): exit 1. */
export class BitbucketDeliveryError extends UserError {
  readonly status?: number;

  constructor(what: string, detail: string, status?: number) {
    const auth = status === 401 || status === 403;
    super(`Bitbucket ${what} failed: ${detail}`, {
      exitCode: ExitCode.failed,
      tryMessage: auth
        ? "Check BITBUCKET_PR_TOKEN: a repository access token of this repository, not expired, with Pull requests: Write (pullrequest:write)."
        : "Run it again; if it keeps failing, check https://bitbucket.status.atlassian.com and BITBUCKET_API_URL.",
    });
    this.name = "BitbucketDeliveryError";
    this.status = status;
  }
}

interface Comment {
  id: number;
  content?: { raw?: string };
  deleted?: boolean;
  inline?: unknown;
}

interface Page<T> {
  values?: T[];
  next?: string;
}

function repoPath(s: BitbucketSettings): string {
  return `${s.apiUrl}/repositories/${encodeURIComponent(s.workspace)}/${encodeURIComponent(s.repoSlug)}`;
}

async function call<T>(
  s: BitbucketSettings,
  what: string,
  method: string,
  url: string,
  body?: unknown,
): Promise<T> {
  if (new URL(url).origin !== new URL(s.apiUrl).origin) {
    throw new BitbucketDeliveryError(
      what,
      `refused to follow a link to another host (${new URL(url).origin})`,
    );
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        Authorization: `Bearer ${s.token}`,
        Accept: "application/json",
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(s.timeoutMs),
    });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    const reason =
      e.name === "TimeoutError"
        ? `no answer within ${s.timeoutMs / 1000} s`
        : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new BitbucketDeliveryError(what, `${method} ${new URL(url).pathname}: ${reason}`);
  }
  const text = await response.text();
  if (!response.ok) {
    let message = text.slice(0, 200);
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      // Not JSON: the start of the body says enough.
    }
    throw new BitbucketDeliveryError(
      what,
      `${method} ${new URL(url).pathname} answered ${response.status}${message ? `: ${message}` : ""}`,
      response.status,
    );
  }
  try {
    return (text ? JSON.parse(text) : {}) as T;
  } catch {
    throw new BitbucketDeliveryError(what, `${method} ${new URL(url).pathname} answered with no JSON`);
  }
}

async function all<T>(s: BitbucketSettings, what: string, first: string): Promise<T[]> {
  const out: T[] = [];
  let url: string | undefined = first;
  for (let pages = 0; url && pages < 50; pages++) {
    const page: Page<T> = await call<Page<T>>(s, what, "GET", url);
    out.push(...(page.values ?? []));
    url = page.next;
  }
  return out;
}

/** The open pull requests whose source is `branch`, by id. */
export async function openPullRequestsOf(s: BitbucketSettings, branch: string): Promise<number[]> {
  const q = `source.branch.name="${branch.replace(/["\\]/g, "\\$&")}"`;
  const url = `${repoPath(s)}/pullrequests?state=OPEN&q=${encodeURIComponent(q)}`;
  const prs = await all<{ id: number; state?: string; source?: { branch?: { name?: string } } }>(
    s,
    "listing pull requests",
    url,
  );
  // Filtered here too: the result must not depend on how the server reads `q`.
  return prs
    .filter((p) => p.source?.branch?.name === branch && (p.state ?? "OPEN") === "OPEN")
    .map((p) => p.id);
}

export type CommentAction = "created" | "updated" | "unchanged";

/** Create the preview comment on pull request `prId`, or update the one that carries the marker. */
export async function upsertPreviewComment(
  s: BitbucketSettings,
  prId: number,
  body: string,
): Promise<{ action: CommentAction; commentId: number }> {
  const raw = body.includes(PREVIEW_COMMENT_MARKER) ? body : `${PREVIEW_COMMENT_MARKER}\n${body}`;
  const base = `${repoPath(s)}/pullrequests/${prId}/comments`;
  const comments = await all<Comment>(s, `reading the comments of pull request #${prId}`, base);
  const mine = comments
    .filter((c) => !c.deleted && !c.inline && c.content?.raw?.includes(PREVIEW_COMMENT_MARKER))
    .sort((a, b) => a.id - b.id)[0];
  if (mine && mine.content?.raw === raw) return { action: "unchanged", commentId: mine.id };
  const content = { content: { raw } };
  if (mine) {
    await call(
      s,
      `updating comment ${mine.id} on pull request #${prId}`,
      "PUT",
      `${base}/${mine.id}`,
      content,
    );
    return { action: "updated", commentId: mine.id };
  }
  const created = await call<{ id: number }>(s, `commenting on pull request #${prId}`, "POST", base, content);
  return { action: "created", commentId: created.id };
}

/**
 * The preview's pull request comment, against a LOCAL HTTP STAND-IN for Bitbucket Cloud's REST
 * API 2.0 (a test double on 127.0.0.1, never the real service). The stand-in answers the way the
 * API documents it (https://developer.atlassian.com/cloud/bitbucket/rest/api-group-pullrequests/):
 * paginated `{ values, next }` lists, `POST .../comments` and `PUT .../comments/{id}` taking
 * `{"content": {"raw": ...}}`, and `{"type": "error", "error": {"message": ...}}` on failure.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { BitbucketDeliveryError, PREVIEW_COMMENT_MARKER } from "../../../automation/bitbucket-pr.js";
import { configMapOf } from "../../../automation/config-map.js";
import type { MemoryEngine } from "../../../automation/engine/memory.js";
import { branchPreviewStackName, branchSlug } from "../../../infra/preview-names.js";
import { Setup, type World, world } from "./world.js";

const TOKEN = "bbat-secret-token-0123456789";
const BRANCH = "feat/login";
const STACK = branchPreviewStackName(BRANCH);
const URL_OF_PREVIEW = `https://${branchSlug(BRANCH)}.preview.example.com`;

interface StandInComment {
  id: number;
  content: { raw: string };
  deleted?: boolean;
}

/** TEST DOUBLE: Bitbucket Cloud's pull request and comment endpoints, in memory. */
class BitbucketStandIn {
  server: Server = createServer((req, res) => void this.handle(req, res));
  requests: { method: string; path: string; auth?: string }[] = [];
  prs = [
    { id: 7, state: "OPEN", source: { branch: { name: BRANCH } } },
    { id: 8, state: "OPEN", source: { branch: { name: "feat/other" } } },
    { id: 9, state: "MERGED", source: { branch: { name: BRANCH } } },
  ];
  comments = new Map<number, StandInComment[]>();
  nextId = 100;
  /** Answer every request with this status (an error body), when set. */
  failWith?: number;

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/2.0`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://stand-in");
    this.requests.push({ method: req.method ?? "", path: url.pathname, auth: req.headers.authorization });
    let body = "";
    for await (const chunk of req) body += chunk;
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (this.failWith) return send(this.failWith, { type: "error", error: { message: "Token is invalid" } });
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return send(401, { type: "error", error: { message: "no" } });
    const m = /^\/2\.0\/repositories\/acme\/shop\/pullrequests(?:\/(\d+)\/comments(?:\/(\d+))?)?$/.exec(
      url.pathname,
    );
    if (!m) return send(404, { type: "error", error: { message: `no such resource ${url.pathname}` } });
    const [, pr, comment] = m;
    if (!pr) {
      const branch = /source\.branch\.name="([^"]*)"/.exec(url.searchParams.get("q") ?? "")?.[1];
      const state = url.searchParams.get("state");
      const values = this.prs.filter(
        (p) => (!state || p.state === state) && (!branch || p.source.branch.name === branch),
      );
      return send(200, { values, pagelen: 10, page: 1 });
    }
    const list = this.comments.get(Number(pr)) ?? [];
    this.comments.set(Number(pr), list);
    if (req.method === "GET") {
      // Two per page, so the client must follow `next`.
      const page = Number(url.searchParams.get("page") ?? "1");
      const values = list.slice((page - 1) * 2, page * 2);
      const next =
        page * 2 < list.length ? `http://${req.headers.host}${url.pathname}?page=${page + 1}` : undefined;
      return send(200, { values, pagelen: 2, page, ...(next ? { next } : {}) });
    }
    const raw = (JSON.parse(body) as { content: { raw: string } }).content.raw;
    if (req.method === "POST" && !comment) {
      const created = { id: this.nextId++, content: { raw } };
      list.push(created);
      return send(201, created);
    }
    const target = list.find((c) => c.id === Number(comment));
    if (req.method === "PUT" && target) {
      target.content = { raw };
      return send(200, target);
    }
    return send(405, { type: "error", error: { message: "method not allowed" } });
  }
}

function seedBranchPreview(engine: MemoryEngine, commit: string): void {
  engine.seed(STACK, {
    config: configMapOf({
      environment: "preview",
      image: { commit, amiId: "ami-0123456789abcdef0" },
      previewMeta: {
        commit,
        branch: BRANCH,
        slug: branchSlug(BRANCH),
        createdAt: "2026-11-21T00:00:00.000Z",
        expiresAt: "2026-11-30T00:00:00.000Z",
      },
    }),
    outputs: { url: URL_OF_PREVIEW },
    resourceCount: 3,
  });
}

describe("operations: the preview's pull request comment (Bitbucket stand-in)", function () {
  this.timeout(60_000);
  let w: World;
  let api: BitbucketStandIn;
  let apiUrl: string;
  const env = () => ({
    BITBUCKET_API_URL: apiUrl,
    BITBUCKET_WORKSPACE: "acme",
    BITBUCKET_REPO_SLUG: "shop",
    BITBUCKET_PR_TOKEN: TOKEN,
  });

  before(() => {
    w = world();
  });
  beforeEach(async () => {
    api = new BitbucketStandIn();
    apiUrl = await api.start();
  });
  afterEach(() => api.stop());

  it("posts the URL once on the branch's open pull request, then updates that one comment", async () => {
    // Someone else's comments come first, over two pages.
    api.comments.set(
      7,
      [1, 2, 3].map((id) => ({ id, content: { raw: `review note ${id}` } })),
    );
    const s = new Setup(w, {}, { env: env() });
    seedBranchPreview(s.engine, w.c1);
    const first = await s.ops.previewComment({ ref: BRANCH });
    assert.deepEqual(first.pullRequests, [{ id: 7, action: "created", commentId: 100 }]);
    const mine = api.comments.get(7)?.find((c) => c.id === 100);
    assert.ok(mine?.content.raw.startsWith(PREVIEW_COMMENT_MARKER));
    assert.match(mine?.content.raw ?? "", new RegExp(`\\*\\*Preview:\\*\\* ${URL_OF_PREVIEW}`));
    assert.match(mine?.content.raw ?? "", new RegExp(w.c1.slice(0, 7)));
    assert.equal(api.comments.get(8), undefined, "another branch's pull request is left alone");

    // A push: the preview runs a new commit; the same comment is updated, none is added.
    seedBranchPreview(s.engine, w.c2);
    const second = await s.ops.previewComment({ ref: STACK });
    assert.deepEqual(second.pullRequests, [{ id: 7, action: "updated", commentId: 100 }]);
    assert.equal(api.comments.get(7)?.length, 4);
    assert.match(
      api.comments.get(7)?.find((c) => c.id === 100)?.content.raw ?? "",
      new RegExp(w.c2.slice(0, 7)),
    );
    assert.deepEqual(
      api.comments
        .get(7)
        ?.filter((c) => c.id !== 100)
        .map((c) => c.content.raw),
      ["review note 1", "review note 2", "review note 3"],
    );
    // Nothing changed: nothing is written.
    const puts = api.requests.filter((r) => r.method === "PUT").length;
    const third = await s.ops.previewComment({ ref: STACK });
    assert.deepEqual(third.pullRequests, [{ id: 7, action: "unchanged", commentId: 100 }]);
    assert.equal(api.requests.filter((r) => r.method === "PUT").length, puts);
    assert.ok(api.requests.every((r) => r.auth === `Bearer ${TOKEN}`));
  });

  it("uses BITBUCKET_PR_ID when set, and posts nothing when the branch has no open pull request", async () => {
    const s = new Setup(w, {}, { env: { ...env(), BITBUCKET_PR_ID: "8" } });
    seedBranchPreview(s.engine, w.c1);
    const result = await s.ops.previewComment({ ref: STACK });
    assert.deepEqual(result.pullRequests, [{ id: 8, action: "created", commentId: 100 }]);
    assert.equal(
      api.requests.some((r) => r.path.endsWith("/pullrequests")),
      false,
      "no search for pull requests",
    );

    api.prs = api.prs.filter((p) => p.source.branch.name !== BRANCH || p.state !== "OPEN");
    const none = new Setup(w, {}, { env: env() });
    seedBranchPreview(none.engine, w.c1);
    const nothing = await none.ops.previewComment({ ref: STACK });
    assert.deepEqual(nothing.pullRequests, []);
    assert.equal(none.lastResult().exitCode, 0);
    assert.match(none.lastResult().summary, /no open pull request from feat\/login/);
    assert.equal(api.requests.filter((r) => r.method === "POST").length, 1);
  });

  it("fails with exit 1 on a refused token, and never shows the token", async () => {
    api.failWith = 401;
    const s = new Setup(w, {}, { env: env() });
    seedBranchPreview(s.engine, w.c1);
    await assert.rejects(s.ops.previewComment({ ref: STACK }), (error: unknown) => {
      assert.ok(error instanceof BitbucketDeliveryError, String(error));
      assert.equal(error.exitCode, 1);
      assert.match(error.message, /answered 401: Token is invalid/);
      assert.equal(`${error.message} ${error.tryMessage}`.includes(TOKEN), false);
      assert.match(error.tryMessage ?? "", /pullrequest:write/);
      return true;
    });
    assert.equal(s.lastResult().exitCode, 1);
    assert.equal(JSON.stringify(s.events).includes(TOKEN), false, "the token is in an event");
  });

  it("stops with exit 2 before any request when the token is not set, and exit 1 when the API is down", async () => {
    const s = new Setup(w, {}, { env: { ...env(), BITBUCKET_PR_TOKEN: undefined } });
    seedBranchPreview(s.engine, w.c1);
    await assert.rejects(s.ops.previewComment({ ref: STACK }), /BITBUCKET_PR_TOKEN not set/);
    assert.equal(s.lastResult().exitCode, 2);
    assert.equal(api.requests.length, 0);

    await api.stop();
    const down = new Setup(w, {}, { env: env() });
    seedBranchPreview(down.engine, w.c1);
    await assert.rejects(down.ops.previewComment({ ref: STACK }), /ECONNREFUSED/);
    assert.equal(down.lastResult().exitCode, 1);
    api = new BitbucketStandIn();
    await api.start();
  });
});

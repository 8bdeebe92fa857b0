/**
 * Notifications: every deploy, failed deploy and reap posts one message to
 * each target of the stack's committed config, against a LOCAL HTTP SERVER
 * (node:http on 127.0.0.1), a test double standing in for Slack's incoming
 * webhook and a release-marker endpoint. Slack's contract (a JSON body with
 * `text`, 200 `ok` on success) is https://api.slack.com/messaging/webhooks.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { DiagnosticEvent } from "../../automation/events.js";
import { parseStackConfigYaml } from "../../infra/config.js";
import { ConfigError } from "../../infra/errors.js";
import { DAVE } from "./helpers.js";
import { Setup, type World, world } from "./operations/world.js";

interface Received {
  path: string;
  authorization?: string;
  body: Record<string, unknown>;
}

/** Test double: a local webhook receiver whose answer each test chooses. */
class WebhookDouble {
  received: Received[] = [];
  answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end("ok");
  private server: Server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
    });
    req.on("end", () => {
      this.received.push({
        path: req.url ?? "",
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        body: JSON.parse(text) as Record<string, unknown>,
      });
      this.answer(req, res);
    });
  });
  base = "";

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The path of the stand-in Slack URL: the secret part of a real one, which must never be printed. */
const SLACK_PATH = "/services/T0000/B0000/s3cr3tP4thThatMustNotLeak";

const TARGETS = `  flightdeck:notifications:
    - type: slack
      urlEnv: DEPLOYS_SLACK_URL
      events: [deployed, failed, reaped]
    - type: webhook
      name: release markers
      urlEnv: MARKER_URL
      tokenEnv: MARKER_TOKEN
      events: [deployed, reaped]
`;

function warnings(s: Setup): string[] {
  return s.events
    .filter((e): e is DiagnosticEvent => e.type === "diagnostic" && e.severity === "warning")
    .map((e) => e.message);
}

describe("notifications", function () {
  this.timeout(60_000);
  let w: World;
  let keyed: string;
  const hook = new WebhookDouble();

  before(async () => {
    w = world();
    for (const file of ["Pulumi.staging.yaml", "Pulumi.previews.yaml"]) {
      const text = readFileSync(join(w.repo.dir, file), "utf8");
      w.repo.write(file, `${text.trimEnd()}\n${TARGETS}`);
    }
    w.repo.git("add", "-A");
    keyed = w.repo.commit(DAVE, "ABC-5 Notify people");
    await hook.start();
  });

  after(() => hook.stop());

  beforeEach(() => {
    hook.received = [];
    hook.answer = (_req, res) => res.end("ok");
  });

  function setup(env: Record<string, string> = {}, timeoutMs?: number): Setup {
    return new Setup(
      w,
      {},
      {
        env: {
          DEPLOYS_SLACK_URL: `${hook.base}${SLACK_PATH}`,
          MARKER_URL: `${hook.base}/markers`,
          MARKER_TOKEN: "marker-token-0123456789",
          ...env,
        },
        ...(timeoutMs === undefined ? {} : { notifyTimeoutMs: timeoutMs }),
      },
    );
  }

  it("posts one Slack message and one release marker per deploy: stack, range, issue keys, who, result, URL, duration", async () => {
    const s = setup();
    await s.ops.deploy({ env: "staging", commit: w.c2 });
    hook.received = [];
    const result = await s.ops.deploy({ env: "staging", commit: keyed });
    assert.equal(hook.received.length, 2, "one message per target");
    const slack = hook.received.find((r) => r.path === SLACK_PATH);
    const text = String(slack?.body.text);
    assert.match(
      text,
      new RegExp(
        `^:white_check_mark: \\*staging\\*: deploy of \`${keyed.slice(0, 7)}\` by ci@example.com succeeded in \\d+s`,
      ),
    );
    assert.match(text, /<https:\/\/staging\.example\.com\|https:\/\/staging\.example\.com>/);
    assert.match(text, new RegExp(`Range: \`${w.c2.slice(0, 7)}\\.\\.${keyed.slice(0, 7)}\``));
    assert.match(text, /Issues: ABC-5/);
    const marker = hook.received.find((r) => r.path === "/markers");
    assert.equal(marker?.authorization, "Bearer marker-token-0123456789");
    assert.deepEqual(
      {
        source: marker?.body.source,
        event: marker?.body.event,
        stack: marker?.body.stack,
        ok: marker?.body.ok,
        commit: marker?.body.commit,
        from: marker?.body.from,
        issueKeys: marker?.body.issueKeys,
        actor: marker?.body.actor,
        url: marker?.body.url,
      },
      {
        source: "flightdeck",
        event: "deployed",
        stack: "staging",
        ok: true,
        commit: keyed,
        from: w.c2,
        issueKeys: ["ABC-5"],
        actor: "ci@example.com",
        url: "https://staging.example.com",
      },
    );
    assert.equal(typeof marker?.body.durationMs, "number");
    assert.equal(result.commit, keyed);
    assert.deepEqual(s.lastResult().notifications, [
      { target: "slack DEPLOYS_SLACK_URL", ok: true, status: 200 },
      { target: "release markers", ok: true, status: 200 },
    ]);
    assert.ok(!JSON.stringify(s.events).includes("s3cr3tP4th"), "the webhook URL is never in an event");
  });

  it("a target answering 500 is a warning and an entry of the result; the deploy still succeeds", async () => {
    const s = setup();
    hook.answer = (req, res) => {
      res.statusCode = req.url === SLACK_PATH ? 500 : 200;
      res.end(req.url === SLACK_PATH ? "internal_error" : "ok");
    };
    await s.ops.deploy({ env: "staging", commit: keyed });
    assert.equal(s.lastResult().ok, true);
    assert.equal(s.lastResult().exitCode, 0);
    assert.deepEqual(s.lastResult().notifications?.[0], {
      target: "slack DEPLOYS_SLACK_URL",
      ok: false,
      status: 500,
      error: "HTTP 500 (internal_error)",
    });
    assert.equal(s.lastResult().notifications?.[1]?.ok, true);
    assert.deepEqual(warnings(s), [
      "could not notify slack DEPLOYS_SLACK_URL: HTTP 500 (internal_error); the deploy itself is not affected",
    ]);
  });

  it("a target that never answers is given up after the time limit", async () => {
    const s = setup({}, 300);
    hook.answer = (req, res) => {
      if (req.url !== SLACK_PATH) res.end("ok");
      // Slack's stand-in keeps the request open.
    };
    const started = Date.now();
    await s.ops.deploy({ env: "staging", commit: keyed });
    assert.ok(Date.now() - started < 5_000, "the dead target did not hold the deploy");
    assert.equal(s.lastResult().ok, true);
    assert.deepEqual(s.lastResult().notifications?.[0], {
      target: "slack DEPLOYS_SLACK_URL",
      ok: false,
      error: "no answer within 300 ms",
    });
  });

  it("a missing URL variable is named, and nothing is posted to that target", async () => {
    const s = setup({ DEPLOYS_SLACK_URL: "" });
    await s.ops.deploy({ env: "staging", commit: keyed });
    assert.deepEqual(
      hook.received.map((r) => r.path),
      ["/markers"],
    );
    assert.match(
      warnings(s)[0] ?? "",
      /could not notify slack DEPLOYS_SLACK_URL: the environment variable DEPLOYS_SLACK_URL is not set/,
    );
    assert.equal(s.lastResult().exitCode, 0);
  });

  it("a failed deploy is posted to the targets that hear failures; the failure keeps its exit code", async () => {
    const s = new Setup(
      w,
      { fail: (stack) => (stack === "staging" ? "instance refresh failed" : undefined) },
      { env: { DEPLOYS_SLACK_URL: `${hook.base}${SLACK_PATH}`, MARKER_URL: `${hook.base}/markers` } },
    );
    await assert.rejects(s.ops.deploy({ env: "staging", commit: keyed }), /instance refresh failed/);
    assert.equal(s.lastResult().exitCode, 1);
    assert.deepEqual(
      hook.received.map((r) => r.path),
      [SLACK_PATH],
      "the marker target does not hear failures",
    );
    assert.match(
      String(hook.received[0]?.body.text),
      /^:x: \*staging\*: deploy of `[0-9a-f]{7}` by ci@example.com FAILED/,
    );
    assert.match(String(hook.received[0]?.body.text), /instance refresh failed/);
    assert.deepEqual(s.lastResult().notifications, [
      { target: "slack DEPLOYS_SLACK_URL", ok: true, status: 200 },
    ]);
  });

  it("a failed release phase (before any update) is posted as a failed deploy", async () => {
    const s = setup();
    await s.ops.deploy({ env: "staging", commit: w.c1 });
    hook.received = [];
    s.cloud.script.release = () => ({ status: "failed", exitCode: 3, logTail: ["migration 0042 failed"] });
    await assert.rejects(
      s.ops.deploy({ env: "staging", commit: keyed }),
      /release phase of [0-9a-f]{7} on staging failed/,
    );
    const slack = hook.received.find((r) => r.path === SLACK_PATH);
    assert.match(String(slack?.body.text), /^:x: \*staging\*: deploy of .* FAILED/);
    assert.match(String(slack?.body.text), /release phase/);
  });

  it("a refused or invalid request changes nothing and posts nothing", async () => {
    const s = setup();
    await assert.rejects(s.ops.deploy({ env: "staging", commit: "no-such-ref" }), /'no-such-ref'/);
    assert.equal(hook.received.length, 0);
    assert.equal(s.lastResult().notifications, undefined);
  });

  it("a reap posts what it destroyed, to the previews config's targets; a dry run posts nothing", async () => {
    const s = setup();
    await s.ops.previewUp({ commit: w.c1, ttl: "1h" });
    s.clock = new Date(s.clock.getTime() + 2 * 3_600_000);
    await s.ops.reap({ dryRun: true });
    assert.equal(hook.received.length, 0, "a dry run changes nothing");
    const result = await s.ops.reap({});
    assert.equal(result.destroyed.length, 1);
    assert.equal(hook.received.length, 2);
    assert.match(
      String(hook.received.find((r) => r.path === SLACK_PATH)?.body.text),
      /^:white_check_mark: \*previews\*: reap succeeded/,
    );
    assert.equal(hook.received.find((r) => r.path === "/markers")?.body.event, "reaped");
  });
});

describe("notifications config", () => {
  const text = readFileSync(new URL("../../Pulumi.staging.yaml", import.meta.url), "utf8");
  const withTargets = (yaml: string) => `${text.trimEnd()}\n  flightdeck:notifications:\n${yaml}`;
  const problems = (yaml: string): string => {
    try {
      parseStackConfigYaml(withTargets(yaml), "Pulumi.staging.yaml");
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.message;
    }
    return "";
  };

  it("takes a target naming its URL's variable, hearing every event by default", () => {
    const config = parseStackConfigYaml(withTargets("    - type: slack\n      urlEnv: SLACK_URL\n"), "x");
    assert.deepEqual(config.notifications, [
      {
        type: "slack",
        urlEnv: "SLACK_URL",
        events: ["deployed", "promoted", "rolledBack", "reaped", "failed"],
      },
    ]);
  });

  it("refuses a webhook URL written in the config, saying to use an environment variable, without repeating it", () => {
    const url = "https://hooks.slack.com/services/T1/B2/abcdefSECRET";
    const literal = problems(`    - type: slack\n      url: ${url}\n      urlEnv: SLACK_URL\n`);
    assert.match(literal, /flightdeck:notifications\.0\.url: holds a URL: a webhook URL is a secret/);
    assert.match(literal, /give that variable's NAME in urlEnv/);
    assert.ok(!literal.includes("abcdefSECRET"), "the problem does not repeat the secret URL");
    const inUrlEnv = problems(`    - type: slack\n      urlEnv: ${url}\n`);
    assert.match(inUrlEnv, /flightdeck:notifications\.0\.urlEnv: is a URL: a webhook URL is a secret/);
    assert.ok(!inUrlEnv.includes("abcdefSECRET"));
  });

  it("refuses a bad variable name, an unknown event, and a token for Slack", () => {
    assert.match(
      problems("    - type: slack\n      urlEnv: 'my url'\n"),
      /urlEnv: must be the name of the environment variable/,
    );
    assert.match(problems("    - type: webhook\n      urlEnv: U\n      events: [deployedd]\n"), /events\.0/);
    assert.match(
      problems("    - type: slack\n      urlEnv: U\n      tokenEnv: T\n"),
      /tokenEnv: is for a 'webhook' target only/,
    );
  });
});

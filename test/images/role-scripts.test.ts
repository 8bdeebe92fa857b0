/**
 * The scripts the role units run, each run for real with stand-ins for what
 * only a machine has: the release command's status report, the worker's drain
 * on termination (a local IMDS), and the WSGI health wrapper (python3).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type FakeMachine, fakeMachine, IMAGES, runBash, systemctlCalls } from "./harness.js";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const RELEASE = join(IMAGES, "files/flightdeck-release");
const DRAIN = join(IMAGES, "files/flightdeck-worker-drain");

/** An `aws` stand-in that records its arguments, one call per line. */
async function fakeAws(machine: FakeMachine, output = ""): Promise<{ bin: string; log: string }> {
  const bin = join(machine.dir, "aws");
  const log = join(machine.dir, "aws.log");
  await writeFile(bin, `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >> '${log}'\nprintf '%s' '${output}'\n`);
  await chmod(bin, 0o755);
  return { bin, log };
}

describe("images: role scripts", () => {
  let machine: FakeMachine;
  beforeEach(async () => {
    machine = await fakeMachine();
  });
  afterEach(async () => {
    await machine.cleanup();
  });

  describe("flightdeck-release", () => {
    async function release(command: string, extra: Record<string, string> = {}) {
      const app = join(machine.dir, "app");
      await mkdir(app, { recursive: true });
      const aws = await fakeAws(machine);
      const run = await runBash(RELEASE, [], {
        FLIGHTDECK_ROOT: machine.root,
        FLIGHTDECK_AWS: aws.bin,
        FLIGHTDECK_APP_DIR: app,
        FLIGHTDECK_VENV: join(machine.dir, "venv"),
        FLIGHTDECK_RELEASE_COMMAND: command,
        FLIGHTDECK_COMMIT: COMMIT,
        FLIGHTDECK_STACK: "staging",
        FLIGHTDECK_REGION: "us-east-1",
        ...extra,
      });
      const status = JSON.parse(
        await readFile(join(machine.root, "var/lib/flightdeck/release-status.json"), "utf8"),
      ) as Record<string, unknown>;
      const awsCalls = await readFile(aws.log, "utf8").catch(() => "");
      return { run, status, awsCalls, app };
    }

    it("runs the command once in the app folder and records success", async () => {
      const { run, status, app } = await release('echo ran >> "$PWD/ran.txt"');
      assert.equal(run.code, 0, run.stderr);
      assert.equal(await readFile(join(app, "ran.txt"), "utf8"), "ran\n");
      assert.equal(status.status, "succeeded");
      assert.equal(status.exitCode, 0);
      assert.equal(status.commit, COMMIT);
      assert.equal(status.stack, "staging");
      assert.ok(Date.parse(String(status.finishedAt)) >= Date.parse(String(status.startedAt)));
    });

    it("a failing command fails the unit with its exit code and records the failure", async () => {
      const { run, status } = await release("exit 3");
      assert.equal(run.code, 3);
      assert.equal(status.status, "failed");
      assert.equal(status.exitCode, 3);
    });

    it("publishes the same document to the SSM parameter named in user-data", async () => {
      const { status, awsCalls } = await release("true", {
        FLIGHTDECK_RELEASE_STATUS_PARAMETER: "/flightdeck/staging/release",
      });
      const calls = awsCalls.trim().split("\n");
      // First "running", then the outcome.
      assert.equal(calls.length, 2);
      const last = calls[1] ?? "";
      assert.match(
        last,
        /^ssm put-parameter --region us-east-1 --overwrite --type String --name \/flightdeck\/staging\/release --value /,
      );
      assert.deepEqual(JSON.parse(last.slice(last.indexOf("--value ") + 8)), status);
      assert.match(calls[0] ?? "", /"status":"running"/);
    });

    it("records the last 20 lines the command printed (stdout and stderr) as logTail, JSON-escaped", async () => {
      const command = [
        'for i in $(seq 1 22); do echo "line $i"; done',
        `printf '%s\\n' 'quote " backslash \\ tab\there'`,
        "echo 'to stderr' >&2",
        "exit 4",
      ].join("; ");
      const { run, status, awsCalls } = await release(command, {
        FLIGHTDECK_RELEASE_STATUS_PARAMETER: "/flightdeck/staging/release/x",
      });
      assert.equal(run.code, 4);
      assert.equal(status.status, "failed");
      const expected = [
        ...Array.from({ length: 18 }, (_, i) => `line ${i + 5}`),
        'quote " backslash \\ tab\there',
        "to stderr",
      ];
      assert.deepEqual(status.logTail, expected);
      // The same document reaches SSM; the "running" one carries an empty tail.
      const calls = awsCalls.trim().split("\n");
      assert.deepEqual(JSON.parse(calls[0]?.slice(calls[0].indexOf("--value ") + 8) ?? "").logTail, []);
      // The output still reaches the unit's journal (stderr).
      assert.match(run.stderr, /line 1\n[^]*to stderr/);
    });

    it("without a release command: fails and says so", async () => {
      const { run, status } = await release("");
      assert.equal(run.code, 2);
      assert.match(run.stderr, /FLIGHTDECK_RELEASE_COMMAND is not set/);
      assert.equal(status.status, "failed");
    });
  });

  describe("flightdeck-worker-drain", () => {
    let server: Server;
    let url: string;
    let state = "InService";

    before(async () => {
      server = createServer((req, res) => {
        if (req.method === "PUT" && req.url === "/latest/api/token") return void res.end("tok");
        if (req.headers["x-aws-ec2-metadata-token"] !== "tok") return void res.writeHead(401).end();
        if (req.url === "/latest/meta-data/autoscaling/target-lifecycle-state") return void res.end(state);
        if (req.url === "/latest/meta-data/instance-id") return void res.end("i-0abc");
        res.writeHead(404).end();
      });
      await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await new Promise((done) => server.close(done));
    });

    it("waits for Terminated, stops the worker, then completes the lifecycle hook", async () => {
      state = "InService";
      const aws = await fakeAws(machine, "workers-asg");
      const running = runBash(DRAIN, [], {
        FLIGHTDECK_IMDS_URL: url,
        FLIGHTDECK_SYSTEMCTL: machine.systemctl,
        FLIGHTDECK_AWS: aws.bin,
        FLIGHTDECK_DRAIN_POLL_SECONDS: "0.2",
        FLIGHTDECK_LIFECYCLE_HOOK: "drain",
        FLIGHTDECK_REGION: "us-east-1",
      });
      await new Promise((done) => setTimeout(done, 800));
      assert.deepEqual((await systemctlCalls(machine)).lines, [], "nothing stops while in service");
      state = "Terminated";
      const run = await running;
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual((await systemctlCalls(machine)).lines, ["stop flightdeck-worker.service"]);
      const calls = (await readFile(aws.log, "utf8")).trim().split("\n");
      assert.equal(calls.length, 2);
      assert.match(calls[0] ?? "", /^autoscaling describe-auto-scaling-instances .*--instance-ids i-0abc/);
      assert.equal(
        calls[1],
        "autoscaling complete-lifecycle-action --region us-east-1 --lifecycle-hook-name drain " +
          "--auto-scaling-group-name workers-asg --instance-id i-0abc --lifecycle-action-result CONTINUE",
      );
    });

    it("without a lifecycle hook: exits at once and stops nothing", async () => {
      const run = await runBash(DRAIN, [], {
        FLIGHTDECK_IMDS_URL: url,
        FLIGHTDECK_SYSTEMCTL: machine.systemctl,
      });
      assert.equal(run.code, 0);
      assert.match(run.stderr, /no lifecycle_hook/);
      assert.deepEqual((await systemctlCalls(machine)).lines, []);
    });
  });

  describe("flightdeck_wsgi (health endpoint in front of the app)", () => {
    const probe = `
import io, json, os, sys
import flightdeck_wsgi as w
out = {}
def call(path):
    seen = {}
    def start(status, headers):
        seen["status"] = status
    body = b"".join(w.application({"PATH_INFO": path, "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO()}, start))
    return {"status": seen["status"], "body": body.decode()}
out["health"] = call(os.environ["PROBE_HEALTH"])
out["page"] = call("/some/page")
open(os.environ["FLIGHTDECK_UNHEALTHY_MARKER"], "w").write("bad role")
out["unhealthy"] = call(os.environ["PROBE_HEALTH"])
print(json.dumps(out))
`;
    const fakeApp = `
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [("app:" + environ["PATH_INFO"]).encode()]
`;

    async function probeWrapper(
      healthPath: string | undefined,
    ): Promise<Record<string, { status: string; body: string }>> {
      await writeFile(join(machine.dir, "fakeapp.py"), fakeApp);
      await writeFile(join(machine.dir, "probe.py"), probe);
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        PYTHONPATH: `${join(IMAGES, "files")}:${machine.dir}`,
        // No __pycache__ in images/files.
        PYTHONDONTWRITEBYTECODE: "1",
        FLIGHTDECK_WSGI_APP: "fakeapp:application",
        FLIGHTDECK_UNHEALTHY_MARKER: join(machine.dir, "unhealthy"),
        FLIGHTDECK_ROLE: "app",
        FLIGHTDECK_IMAGE_COMMIT: COMMIT,
        PROBE_HEALTH: healthPath ?? "/healthz",
      };
      if (healthPath) env.FLIGHTDECK_HEALTH_PATH = healthPath;
      const stdout = await new Promise<string>((done, fail) =>
        execFile("python3", [join(machine.dir, "probe.py")], { env }, (error, out, err) =>
          error ? fail(new Error(err)) : done(out),
        ),
      );
      return JSON.parse(stdout);
    }

    before(async function () {
      const python = await new Promise<boolean>((done) =>
        execFile("python3", ["--version"], (error) => done(!error)),
      );
      if (!python) {
        console.log("      (skipped: python3 is not on PATH)");
        this.skip();
      }
    });

    it("answers /healthz itself, passes the rest to the app, and fails while marked unhealthy", async () => {
      const out = await probeWrapper(undefined);
      assert.equal(out.health?.status, "200 OK");
      assert.deepEqual(JSON.parse(out.health?.body ?? ""), { status: "ok", role: "app", commit: COMMIT });
      assert.deepEqual(out.page, { status: "200 OK", body: "app:/some/page" });
      assert.equal(out.unhealthy?.status, "503 Service Unavailable");
    });

    it("serves the health path from user-data (health_path)", async () => {
      const out = await probeWrapper("/-/health");
      assert.equal(out.health?.status, "200 OK");
      assert.equal(JSON.parse(out.health?.body ?? "").status, "ok");
    });
  });
});

/**
 * The role bootstrap (images/files/flightdeck-bootstrap), run for real by bash
 * against a temporary root with a systemctl stand-in: which units each role
 * enables and starts, what bad user-data leaves behind, and that the
 * user-data infra/ renders is exactly what the script reads.
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  BOOT_ROLES,
  type BootRole,
  parseUserData,
  renderUserData,
  type UserData,
} from "../../infra/userdata.js";
import {
  exists,
  type FakeMachine,
  fakeMachine,
  runBootstrap,
  sourcedEnvironment,
  systemctlCalls,
  systemdEnvironment,
} from "./harness.js";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";

/** Every unit the image can run; written out here, independently of the script. */
const ALL_UNITS = [
  "flightdeck-app.service",
  "flightdeck-worker.service",
  "flightdeck-worker-drain.service",
  "flightdeck-scheduler.service",
  "flightdeck-content.service",
  "flightdeck-release.service",
  "flightdeck-preview-data.service",
  "postgresql.service",
  "redis-server.service",
];

const ROLE_UNITS: Record<BootRole, string[]> = {
  app: ["flightdeck-app.service"],
  worker: ["flightdeck-worker.service", "flightdeck-worker-drain.service"],
  scheduler: ["flightdeck-scheduler.service"],
  content: ["flightdeck-content.service"],
  release: ["flightdeck-release.service"],
  "all-in-one": [
    "postgresql.service",
    "redis-server.service",
    "flightdeck-preview-data.service",
    "flightdeck-release.service",
    "flightdeck-app.service",
    "flightdeck-worker.service",
    "flightdeck-scheduler.service",
  ],
};

/** Settings like the ones infra/ sends each role (fleet.ts roleSettings, environment.ts, preview.ts). */
const FLEET_SETTINGS = {
  site_url: "https://staging.example.com",
  health_path: "/healthz",
  database_engine: "postgres",
  database_host: "db.internal.example.com",
  database_port: 5432,
  database_name: "app",
  database_secret_arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
  cache_host: "cache.internal.example.com",
  cache_port: 6379,
  cache_tls: true,
};

function userDataFor(role: BootRole): UserData {
  if (role === "all-in-one") {
    return {
      role,
      environment: "preview",
      stack: "preview-0123456",
      commit: COMMIT,
      region: "us-east-1",
      settings: {
        preview_data_source: "dump",
        preview_data_s3_uri: "s3://example-anonymised-dumps/app/latest.sql.gz",
        site_url: "https://0123456.preview.example.com",
        http_port: 8000,
        health_path: "/healthz",
        expires_at: "2026-11-23T23:00:00.000Z",
      },
    };
  }
  const roleSettings: Record<string, string | number> =
    role === "worker"
      ? { drain_seconds: 600, lifecycle_hook: "drain" }
      : role === "app" || role === "content"
        ? { http_port: 8000 }
        : {};
  return {
    role,
    environment: "staging",
    stack: "staging",
    commit: COMMIT,
    region: "us-east-1",
    settings: { ...FLEET_SETTINGS, ...roleSettings },
  };
}

/** Keys the bootstrap fills in itself, with the only values it may give them. */
function defaultsFor(role: BootRole): Record<string, string> {
  const defaults: Record<string, string> = { http_port: "8000" };
  if (role === "all-in-one") {
    Object.assign(defaults, {
      database_host: "127.0.0.1",
      database_port: "5432",
      cache_host: "127.0.0.1",
      cache_port: "6379",
      preview_data_source: "empty",
    });
  }
  return defaults;
}

function envName(key: string): string {
  return `FLIGHTDECK_${key.toUpperCase()}`;
}

function envFile(machine: FakeMachine): string {
  return join(machine.root, "etc/flightdeck/environment");
}

function marker(machine: FakeMachine): string {
  return join(machine.root, "run/flightdeck/unhealthy");
}

async function assertUnhealthy(machine: FakeMachine, run: { code: number; stderr: string }, reason: RegExp) {
  assert.notEqual(run.code, 0, "the bootstrap must fail");
  assert.match(run.stderr, /UNHEALTHY/);
  assert.match(run.stderr, reason);
  const calls = await systemctlCalls(machine);
  assert.deepEqual(calls.enabled, [], "nothing may be enabled");
  assert.deepEqual(calls.started, [], "nothing may be started");
  assert.deepEqual(
    [...calls.disabled].sort(),
    [...ALL_UNITS].sort(),
    "every role unit is stopped and disabled",
  );
  assert.ok(await exists(marker(machine)), "the unhealthy marker is written");
  assert.match(await readFile(marker(machine), "utf8"), reason);
  assert.equal(await exists(envFile(machine)), false, "no environment file: no role unit can start");
}

describe("images: role bootstrap", () => {
  let machine: FakeMachine;
  beforeEach(async () => {
    machine = await fakeMachine();
  });
  afterEach(async () => {
    await machine.cleanup();
  });

  it("knows a unit list for every boot role infra/ can render", () => {
    assert.deepEqual(Object.keys(ROLE_UNITS).sort(), [...BOOT_ROLES].sort());
  });

  for (const role of BOOT_ROLES) {
    it(`role ${role}: enables and starts exactly its units and disables every other`, async () => {
      const run = await runBootstrap(machine, renderUserData(userDataFor(role)));
      assert.equal(run.code, 0, run.stderr);
      const calls = await systemctlCalls(machine);
      assert.deepEqual(calls.enabled, ROLE_UNITS[role]);
      assert.deepEqual(calls.started, ROLE_UNITS[role]);
      const others = ALL_UNITS.filter((u) => !ROLE_UNITS[role].includes(u));
      assert.deepEqual([...calls.disabled].sort(), others.sort());
      // Units are only started once systemd has read the drop-ins written for them.
      assert.ok(calls.lines.indexOf("daemon-reload") < calls.lines.findIndex((l) => l.startsWith("start")));
      assert.equal(await exists(marker(machine)), false);
      assert.equal(await readFile(join(machine.root, "etc/flightdeck/role"), "utf8"), `${role}\n`);
    });

    it(`role ${role}: the environment file holds exactly the settings of the user-data infra renders`, async () => {
      const text = renderUserData(userDataFor(role));
      const run = await runBootstrap(machine, text);
      assert.equal(run.code, 0, run.stderr);
      const expected: Record<string, string> = {};
      for (const [key, value] of Object.entries({ ...defaultsFor(role), ...parseUserData(text) })) {
        expected[envName(key)] = value;
      }
      assert.deepEqual(await sourcedEnvironment(envFile(machine)), expected);
    });
  }

  it("gives the worker a stop timeout of drain_seconds plus a margin", async () => {
    const run = await runBootstrap(machine, renderUserData(userDataFor("worker")));
    assert.equal(run.code, 0, run.stderr);
    const dropIn = await readFile(
      join(machine.root, "etc/systemd/system/flightdeck-worker.service.d/50-drain.conf"),
      "utf8",
    );
    assert.equal(dropIn, "[Service]\nTimeoutStopSec=630\n");
  });

  it("quotes values so bash and systemd both read back every character", async () => {
    const awkward = `a"b$HOME\`id\`\\n'c' d=e ${"ünï"}\tend`;
    const run = await runBootstrap(
      machine,
      renderUserData({ ...userDataFor("app"), settings: { awkward, empty: "" } }),
    );
    assert.equal(run.code, 0, run.stderr);
    const env = await sourcedEnvironment(envFile(machine));
    assert.equal(env.FLIGHTDECK_AWKWARD, awkward);
    assert.equal(env.FLIGHTDECK_EMPTY, "");
    const systemd = systemdEnvironment(await readFile(envFile(machine), "utf8"));
    assert.deepEqual(systemd, env);
  });

  describe("reads user-data by the same rules as parseUserData", () => {
    const header = "#flightdeck-userdata v1";
    const accepted = [
      `${header}\nrole=app`,
      `${header}\n\n# a comment\nrole=app\n\n`,
      `${header}\nrole=worker\nrole=app\n`,
      `${header}\nrole=app\nurl=https://x.example.com/?a=b=c\n`,
      `${header}\nrole=app\nwith_space= leading and trailing \n`,
    ];
    for (const text of accepted) {
      it(`accepts ${JSON.stringify(text)} with the same values`, async () => {
        const parsed = parseUserData(text);
        const run = await runBootstrap(machine, text);
        assert.equal(run.code, 0, run.stderr);
        const env = await sourcedEnvironment(envFile(machine));
        for (const [key, value] of Object.entries(parsed)) assert.equal(env[envName(key)], value, key);
        assert.deepEqual((await systemctlCalls(machine)).enabled, ROLE_UNITS[parsed.role as BootRole]);
      });
    }
  });

  describe("bad user-data leaves the machine unhealthy, serving nothing", () => {
    const cases: { name: string; text: string; reason: RegExp; jsRejects: boolean }[] = [
      {
        name: "no role",
        text: "#flightdeck-userdata v1\nenvironment=staging\n",
        reason: /no role/,
        jsRejects: false,
      },
      {
        name: "unknown role",
        text: "#flightdeck-userdata v1\nrole=web\n",
        reason: /unknown role 'web'/,
        jsRejects: false,
      },
      { name: "empty role", text: "#flightdeck-userdata v1\nrole=\n", reason: /no role/, jsRejects: false },
      { name: "missing header", text: "role=app\n", reason: /must start with/, jsRejects: true },
      {
        name: "other header version",
        text: "#flightdeck-userdata v2\nrole=app\n",
        reason: /must start with/,
        jsRejects: true,
      },
      { name: "empty user-data", text: "", reason: /empty|must start with/, jsRejects: true },
      {
        name: "a line that is not key=value",
        text: "#flightdeck-userdata v1\nrole=app\njust some words\n",
        reason: /line 3 is not key=value/,
        jsRejects: true,
      },
      {
        name: "an upper-case key",
        text: "#flightdeck-userdata v1\nRole=app\n",
        reason: /line 2/,
        jsRejects: true,
      },
      {
        name: "an empty key",
        text: "#flightdeck-userdata v1\n=app\nrole=app\n",
        reason: /line 2/,
        jsRejects: true,
      },
      {
        name: "CRLF line ends",
        text: "#flightdeck-userdata v1\r\nrole=app\r\n",
        reason: /must start with/,
        jsRejects: true,
      },
      {
        name: "a drain_seconds that is not a number",
        text: "#flightdeck-userdata v1\nrole=worker\ndrain_seconds=ten\n",
        reason: /drain_seconds/,
        jsRejects: false,
      },
      {
        name: "an http_port the image does not open",
        text: "#flightdeck-userdata v1\nrole=app\nhttp_port=9000\n",
        reason: /http_port must be 8000/,
        jsRejects: false,
      },
      {
        name: "a preview pointed at a shared database",
        text: "#flightdeck-userdata v1\nrole=all-in-one\ndatabase_host=db.internal.example.com\n",
        reason: /database_host must be local/,
        jsRejects: false,
      },
      {
        name: "an unknown preview data source",
        text: "#flightdeck-userdata v1\nrole=all-in-one\npreview_data_source=production\n",
        reason: /unknown preview_data_source/,
        jsRejects: false,
      },
      {
        name: "a dump without its S3 URI",
        text: "#flightdeck-userdata v1\nrole=all-in-one\npreview_data_source=dump\n",
        reason: /preview_data_s3_uri/,
        jsRejects: false,
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        // The TypeScript parser agrees on which texts are malformed.
        if (c.jsRejects) assert.throws(() => parseUserData(c.text));
        else assert.doesNotThrow(() => parseUserData(c.text));
        await assertUnhealthy(machine, await runBootstrap(machine, c.text), c.reason);
      });
    }

    it("a role whose units systemd cannot enable", async () => {
      const run = await runBootstrap(machine, renderUserData(userDataFor("app")), {
        SYSTEMCTL_FAIL: "enable",
      });
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /UNHEALTHY: could not enable flightdeck-app\.service/);
      const calls = await systemctlCalls(machine);
      assert.deepEqual(calls.started, []);
      assert.equal(calls.lines.at(-1), `disable --now --no-block ${ALL_UNITS.join(" ")}`);
      assert.ok(await exists(marker(machine)));
      assert.equal(await exists(envFile(machine)), false);
    });

    it("an unreadable user-data file", async () => {
      const run = await runBootstrap(machine, undefined, {
        FLIGHTDECK_USERDATA_FILE: join(machine.dir, "does-not-exist"),
      });
      await assertUnhealthy(machine, run, /cannot be read/);
    });

    it("a reboot with bad user-data undoes the previous good boot; a good one clears the marker", async () => {
      assert.equal((await runBootstrap(machine, renderUserData(userDataFor("app")))).code, 0);
      assert.ok(await exists(envFile(machine)));
      await writeFile(machine.log, "");
      await assertUnhealthy(
        machine,
        await runBootstrap(machine, "#flightdeck-userdata v1\nrole=nope\n"),
        /unknown role/,
      );
      await writeFile(machine.log, "");
      assert.equal((await runBootstrap(machine, renderUserData(userDataFor("scheduler")))).code, 0);
      assert.equal(await exists(marker(machine)), false);
      assert.deepEqual((await systemctlCalls(machine)).enabled, ROLE_UNITS.scheduler);
    });
  });

  describe("from the instance metadata service (IMDSv2)", () => {
    let server: Server;
    let url: string;
    let userData: string | undefined;
    const requests: string[] = [];

    before(async () => {
      server = createServer((req, res) => {
        requests.push(`${req.method} ${req.url}`);
        if (req.method === "PUT" && req.url === "/latest/api/token") {
          if (!req.headers["x-aws-ec2-metadata-token-ttl-seconds"]) return void res.writeHead(400).end();
          return void res.writeHead(200).end("secret-token");
        }
        if (req.method === "GET" && req.url === "/latest/user-data") {
          if (req.headers["x-aws-ec2-metadata-token"] !== "secret-token")
            return void res.writeHead(401).end();
          if (userData === undefined) return void res.writeHead(404).end();
          return void res.writeHead(200).end(userData);
        }
        res.writeHead(404).end();
      });
      await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await new Promise((done) => server.close(done));
    });
    beforeEach(() => {
      requests.length = 0;
    });

    it("takes a token, then reads the user-data with it", async () => {
      userData = renderUserData(userDataFor("content"));
      const run = await runBootstrap(machine, undefined, { FLIGHTDECK_IMDS_URL: url });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(requests, ["PUT /latest/api/token", "GET /latest/user-data"]);
      assert.deepEqual((await systemctlCalls(machine)).enabled, ROLE_UNITS.content);
    });

    it("no user-data at all: unhealthy", async () => {
      userData = undefined;
      const run = await runBootstrap(machine, undefined, { FLIGHTDECK_IMDS_URL: url });
      await assertUnhealthy(machine, run, /no user-data/);
    });
  });
});

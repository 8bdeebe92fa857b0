/**
 * The Packer template and the files it installs: the image tag keys agree with
 * what infra/ looks images up by, every unit and script is installed, checked
 * and known to the bootstrap, and the units keep the role contracts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import imageTagsJson from "../../images/image-tags.json" with { type: "json" };
import { IMAGE_PROJECT, IMAGE_TAGS } from "../../infra/image-tags.js";
import { BOOTSTRAP, IMAGES } from "./harness.js";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const TEMPLATE = join(IMAGES, "flightdeck.pkr.hcl");

function hasTool(name: string): boolean {
  return spawnSync("bash", ["-c", `command -v ${name}`]).status === 0;
}

/** Skip a test that needs packer, saying so (CI installs packer: .ci/run). */
function needPacker(test: Mocha.Context): void {
  if (hasTool("packer")) return;
  console.log("      (skipped: packer is not on PATH; apt-get install packer)");
  test.skip();
}

/** Evaluate one expression of the template with `packer console` (works with Packer 1.6.6 and later). */
function packerEval(expression: string, vars: Record<string, string>): string {
  const args = ["console", "-var-file=defaults.pkrvars.hcl"];
  for (const [key, value] of Object.entries(vars)) args.push(`-var`, `${key}=${value}`);
  args.push("flightdeck.pkr.hcl");
  const result = spawnSync("packer", args, { cwd: IMAGES, input: `${expression}\n`, encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim();
}

describe("images: Packer template", () => {
  const template = () => readFile(TEMPLATE, "utf8");

  describe("image tag keys", () => {
    it("infra/ looks images up by the keys in images/image-tags.json", () => {
      assert.deepEqual({ ...IMAGE_TAGS }, imageTagsJson);
    });

    it("the template reads its tag keys from image-tags.json and tags the image with them", async () => {
      const text = await template();
      assert.match(text, /tag_keys\s*=\s*jsondecode\(file\("\$\{path\.root\}\/image-tags\.json"\)\)/);
      // Tag keys come only from that file: no literal flightdeck: key in the template.
      assert.doesNotMatch(text, /"flightdeck:[a-z-]+"\s*=/);
      for (const name of Object.keys(imageTagsJson)) {
        assert.match(text, new RegExp(`\\(local\\.tag_keys\\.${name}\\)\\s*=`), `tag ${name}`);
      }
      assert.match(text, /^\s*tags\s*=\s*local\.ami_tags$/m);
      assert.match(text, /^\s*snapshot_tags\s*=\s*local\.ami_tags$/m);
    });

    it("packer evaluates the image's tags to infra's keys, with the commit, branch, time and project", function () {
      needPacker(this);
      const tags = JSON.parse(
        packerEval("jsonencode(local.ami_tags)", { commit: COMMIT, branch: "feature/tags" }),
      ) as Record<string, string>;
      assert.deepEqual(Object.keys(tags).sort(), Object.values(IMAGE_TAGS).sort());
      assert.equal(tags[IMAGE_TAGS.commit], COMMIT);
      assert.equal(tags[IMAGE_TAGS.branch], "feature/tags");
      assert.equal(tags[IMAGE_TAGS.project], IMAGE_PROJECT);
      const builtAt = tags[IMAGE_TAGS.builtAt] ?? "";
      assert.match(builtAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.ok(Math.abs(Date.parse(builtAt) - Date.now()) < 10 * 60_000, "built-at is the build time");
    });

    it("packer names the image flightdeck-<sha7>-<timestamp>", function () {
      needPacker(this);
      assert.match(packerEval("local.ami_name", { commit: COMMIT }), /^flightdeck-0123456-\d{14}$/);
    });

    it("packer validate refuses a commit that is not 40 lower-case hex digits", async function () {
      needPacker(this);
      const dir = await mkdtemp(join(tmpdir(), "flightdeck-artifact-"));
      const artifact = join(dir, "app.tar.gz");
      await writeFile(artifact, "");
      try {
        const validate = (commit: string) =>
          spawnSync(
            "packer",
            [
              "validate",
              "-var-file=defaults.pkrvars.hcl",
              "-var",
              `commit=${commit}`,
              "-var",
              `artifact_path=${artifact}`,
              "flightdeck.pkr.hcl",
            ],
            { cwd: IMAGES, encoding: "utf8" },
          );
        const good = validate(COMMIT);
        assert.equal(good.status, 0, `${good.stdout}${good.stderr}`);
        for (const bad of ["0123456", COMMIT.toUpperCase(), `${COMMIT.slice(0, 39)}g`, `${COMMIT}0`]) {
          const result = validate(bad);
          assert.notEqual(result.status, 0, bad);
          assert.match(`${result.stdout}${result.stderr}`, /40-character/);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe("units and scripts", () => {
    const files = join(IMAGES, "files");
    const unitFiles = async () => (await readdir(files)).filter((f) => f.endsWith(".service"));
    const scriptFiles = async () =>
      (await readdir(files)).filter((f) => f.startsWith("flightdeck-") && !f.endsWith(".service"));
    const provisioner = (name: string) => readFile(join(IMAGES, "provisioners", name), "utf8");

    it("installs every unit and script, and the validation step checks each", async () => {
      const install = await provisioner("30-systemd-units.sh");
      const validate = await provisioner("90-validate.sh");
      for (const unit of await unitFiles()) {
        const name = unit.replace(/\.service$/, "");
        assert.match(install, new RegExp(`\\b${name}\\.service\\b|\\b${name}\\b`), `30 installs ${unit}`);
        assert.match(validate, new RegExp(`\\b${name}\\b`), `90 checks ${unit}`);
      }
      for (const script of await scriptFiles()) {
        assert.match(install, new RegExp(`\\b${script}\\b`), `30 installs ${script}`);
        assert.match(validate, new RegExp(`\\b${script}\\b`), `90 checks ${script}`);
      }
    });

    it("the bootstrap knows exactly the role units there are files for", async () => {
      const bootstrap = await readFile(BOOTSTRAP, "utf8");
      const list = /readonly ALL_UNITS=\(([^)]*)\)/.exec(bootstrap)?.[1] ?? "";
      const known = list.split(/\s+/).filter((u) => u.startsWith("flightdeck-"));
      const roleUnits = (await unitFiles()).filter((u) => u !== "flightdeck-bootstrap.service");
      assert.deepEqual(known.sort(), roleUnits.sort());
    });

    it("every role unit waits for the bootstrap, needs its environment and refuses to start when unhealthy", async () => {
      for (const unit of await unitFiles()) {
        if (unit === "flightdeck-bootstrap.service") continue;
        const text = await readFile(join(files, unit), "utf8");
        assert.match(text, /^After=.*\bflightdeck-bootstrap\.service\b/m, unit);
        assert.match(text, /^EnvironmentFile=\/etc\/flightdeck\/environment$/m, unit);
        assert.match(text, /^ConditionPathExists=!\/run\/flightdeck\/unhealthy$/m, unit);
        // Only ordering: pulling in another unit would start more than the role asked for.
        assert.doesNotMatch(text, /^(Wants|Requires|BindsTo)=/m, unit);
      }
    });

    it("the worker warm-stops on SIGTERM with a stop timeout at least the default drain time", async () => {
      const text = await readFile(join(files, "flightdeck-worker.service"), "utf8");
      assert.match(text, /^KillSignal=SIGTERM$/m);
      assert.match(text, /^KillMode=mixed$/m);
      const timeout = Number(/^TimeoutStopSec=(\d+)$/m.exec(text)?.[1]);
      assert.ok(timeout >= 600, `TimeoutStopSec ${timeout} covers workerDrainSeconds' default of 600`);
      assert.match(text, /celery -A \S+ worker\b/);
    });

    it("the scheduler runs Celery beat and nothing else; the app serves the health wrapper on the http port", async () => {
      const scheduler = await readFile(join(files, "flightdeck-scheduler.service"), "utf8");
      assert.match(scheduler, /^ExecStart=\S+celery -A \S+ beat\b/m);
      assert.doesNotMatch(scheduler, /\bworker\b.*--beat|-B\b/);
      for (const unit of ["flightdeck-app.service", "flightdeck-content.service"]) {
        const text = await readFile(join(files, unit), "utf8");
        assert.match(
          text,
          /gunicorn --bind 0\.0\.0\.0:\$\{FLIGHTDECK_HTTP_PORT\} .*flightdeck_wsgi:application$/m,
        );
      }
    });

    it("the release unit runs once and is not restarted", async () => {
      const text = await readFile(join(files, "flightdeck-release.service"), "utf8");
      assert.match(text, /^Type=oneshot$/m);
      assert.doesNotMatch(text, /^Restart=/m);
      assert.doesNotMatch(text, /^RemainAfterExit=yes$/m);
    });
  });
});

/**
 * Runs a pipeline step's script the way Bitbucket Pipelines runs it, with test doubles for
 * everything outside this repository.
 *
 * How Bitbucket runs a script: it turns the step's `script` list into one bash script that
 * starts with `set -e` and does not set `pipefail` (Atlassian's knowledge base:
 * https://support.atlassian.com/bitbucket-cloud/kb/why-does-bitbucket-pipelines-pass-build-steps-despite-previous-command-failure/
 * and https://confluence.atlassian.com/bbkb/pipelines-builds-succeeds-even-on-command-failure-1142437808.html).
 * `StepRunner.run` writes the same script (`bitbucketScript`) and runs it with `bash -e`, in a
 * fresh full clone (the pipeline's `clone: depth: full`) of a small git repository holding this
 * checkout's `.ci/` scripts and `.gitignore`, in two commits (`older`, then `head`), with the
 * variables Bitbucket would set.
 *
 * TEST DOUBLES. These stand-ins replace only what lies outside the repository; each is a few
 * lines of bash that records its name, the commit checked out, how many paths `git status`
 * reports, and its arguments:
 * - `flightdeck`: the clone's `bin/flightdeck` (what `.ci/flightdeck` calls) and `flightdeck`
 *   on PATH. It prints one JSON-lines `result` event, as `flightdeck --json` does, and exits
 *   with the code the test chose for that call (`flightdeckExits`).
 * - on PATH: `npm` (`npm run flightdeck -- …` goes on to the flightdeck stand-in), `aws`,
 *   `packer` (reports the pinned version, so `.ci/install-packer` downloads nothing), `apt-get`,
 *   and `curl`, which fails: a test downloads nothing.
 * Everything else is real: bash, git, node, `.ci/flightdeck`, `.ci/result-field.mjs`,
 * `.ci/build-artifact`, `.ci/install-packer`, `.ci/migration-check`, and the AWS credential
 * helper `.ci/aws-credentials`, which calls nothing external (it writes the step's OIDC token
 * to a file), so it runs as it is, fed a sample token and role.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Pipeline, Step } from "./bitbucket.js";

/** One call of a stand-in, in the order made. */
export interface Call {
  tool: string;
  /** The commit checked out in the clone when the call was made. */
  head: string;
  /** How many paths `git status --porcelain` listed then (0: a clean work tree). */
  dirty: number;
  args: string;
}

export interface StepRun {
  code: number;
  stdout: string;
  stderr: string;
  calls: Call[];
  /** The clone the step ran in, to look for its artifacts. */
  clone: string;
}

export interface RunOptions {
  /** Exit code of the 1st, 2nd, … flightdeck call; calls past the list exit 0. */
  flightdeckExits?: number[];
  /** The `url` of flightdeck's result event (default a preview URL; empty: no url). */
  flightdeckUrl?: string;
  /** Values of the pipeline's run-time inputs (default: each variable's default, else `sample`). */
  variables?: Record<string, string>;
  /** Environment to add, or to remove (undefined), after everything else. */
  env?: Record<string, string | undefined>;
}

const SAMPLE_URL = "https://0123456.preview.example.com";

/** Bash that appends this call to the log (tab-separated: tool, HEAD, dirty paths, arguments). */
const RECORD = [
  'head="$(git rev-parse HEAD 2>/dev/null || echo -)"',
  'dirty="$(git status --porcelain 2>/dev/null | wc -l | tr -d " ")"',
  'printf "%s\\t%s\\t%s\\t%s\\n" "$(basename "$0")" "$head" "$dirty" "$*" >>"$STANDIN_LOG"',
].join("\n");

const STANDINS: Record<string, string> = {
  flightdeck: `#!/usr/bin/env bash
# TEST DOUBLE for flightdeck (see test/pipeline/step-runner.ts): records the call, prints a
# JSON-lines result event like \`flightdeck --json\`, exits with the code chosen for this call.
${RECORD}
calls="$(grep -c $'^flightdeck\\t' "$STANDIN_LOG")"
read -r -a exits <<<"\${FLIGHTDECK_EXITS:-0}"
code="\${exits[$((calls - 1))]:-0}"
url=""
if [ -n "\${FLIGHTDECK_URL:-}" ]; then url=",\\"url\\":\\"$FLIGHTDECK_URL\\""; fi
if [ "$code" -eq 0 ]; then
  printf '{"type":"result","operation":"%s","ok":true,"exitCode":0,"summary":"stand-in","durationMs":1%s}\\n' "$1" "$url"
else
  printf '{"type":"result","operation":"%s","ok":false,"exitCode":%s,"summary":"stand-in failure","durationMs":1}\\n' "$1" "$code"
  echo "flightdeck (stand-in): exit $code" >&2
fi
exit "$code"
`,
  npm: `#!/usr/bin/env bash
# TEST DOUBLE for npm: records the call; \`npm run flightdeck -- ARGS\` runs the flightdeck stand-in.
${RECORD}
if [ "\${1:-}" = run ] && [ "\${2:-}" = flightdeck ]; then
  shift 2
  if [ "\${1:-}" = -- ]; then shift; fi
  exec "$STANDIN_BIN/flightdeck" "$@"
fi
exit 0
`,
  aws: `#!/usr/bin/env bash
# TEST DOUBLE for the AWS CLI: records the call.
${RECORD}
`,
  packer: `#!/usr/bin/env bash
# TEST DOUBLE for packer: records the call; reports the version .ci/install-packer pins.
${RECORD}
if [ "\${1:-}" = version ]; then echo "Packer v\${PACKER_VERSION:-1.11.2}"; fi
`,
  "apt-get": `#!/usr/bin/env bash
# TEST DOUBLE for apt-get: records the call, installs nothing.
${RECORD}
`,
  curl: `#!/usr/bin/env bash
# TEST DOUBLE for curl: records the call and fails; a test downloads nothing.
${RECORD}
echo "curl (stand-in): no downloads in tests" >&2
exit 22
`,
};

/**
 * The script Bitbucket makes of a step's lines (as its knowledge-base article shows it): each
 * line echoed, run, then a blank line printed. `set -e` comes from `bash -e`. The `printf`
 * after each line matters: it means even the last line's `a && b` cannot fail the script.
 */
export function bitbucketScript(lines: string[]): string {
  const quote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;
  return lines.map((line) => `printf '+ %s\\n' ${quote(line)}\n${line}\nprintf '\\n'\n`).join("");
}

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync(
    "git",
    ["-c", "user.name=Pipeline Test", "-c", "user.email=pipeline@example.com", ...args],
    {
      cwd,
      encoding: "utf8",
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" },
    },
  );
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout.trim();
}

/** A temp folder with the stand-ins and the fixture repository; `dispose()` removes it. */
export class StepRunner {
  readonly dir: string;
  readonly bin: string;
  readonly repo: string;
  /** The fixture's commits: `head` is what the pipeline runs on (BITBUCKET_COMMIT). */
  readonly commits: { older: string; head: string };
  private runs = 0;

  constructor(root: string) {
    this.dir = mkdtempSync(join(tmpdir(), "flightdeck-pipeline-"));
    this.bin = join(this.dir, "standins");
    mkdirSync(this.bin);
    for (const [name, text] of Object.entries(STANDINS)) {
      writeFileSync(join(this.bin, name), text);
      chmodSync(join(this.bin, name), 0o755);
    }

    this.repo = join(this.dir, "repo");
    mkdirSync(join(this.repo, "bin"), { recursive: true });
    cpSync(join(root, ".ci"), join(this.repo, ".ci"), { recursive: true });
    cpSync(join(root, ".gitignore"), join(this.repo, ".gitignore"));
    // The clone's bin/flightdeck is the stand-in, so `.ci/flightdeck` calls it as it calls the real one.
    writeFileSync(
      join(this.repo, "bin", "flightdeck"),
      '#!/usr/bin/env bash\nexec "$STANDIN_BIN/flightdeck" "$@"\n',
    );
    chmodSync(join(this.repo, "bin", "flightdeck"), 0o755);
    writeFileSync(join(this.repo, "app.txt"), "older\n");
    git(this.repo, "init", "--quiet", "-b", "main");
    git(this.repo, "add", "-A");
    git(this.repo, "commit", "--quiet", "-m", "older");
    const older = git(this.repo, "rev-parse", "HEAD");
    writeFileSync(join(this.repo, "app.txt"), "head\n");
    git(this.repo, "commit", "--quiet", "-am", "head");
    this.commits = { older, head: git(this.repo, "rev-parse", "HEAD") };
  }

  /** Run one step of `pipeline` as Bitbucket would, with the stand-ins. */
  run(pipeline: Pipeline, step: Step, options: RunOptions = {}): StepRun {
    const n = ++this.runs;
    const runDir = join(this.dir, `run-${n}`);
    const clone = join(runDir, "clone");
    const home = join(runDir, "home");
    mkdirSync(home, { recursive: true });
    git(this.dir, "clone", "--quiet", this.repo, clone);
    const log = join(runDir, "calls.log");
    writeFileSync(log, "");
    const script = join(runDir, "script.sh");
    writeFileSync(script, bitbucketScript(step.script ?? []));

    const variables: Record<string, string> = {};
    for (const v of pipeline.variables) variables[v.name] = v.default ?? "sample";
    Object.assign(variables, options.variables);

    const env: Record<string, string | undefined> = {
      PATH: `${this.bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      HOME: home,
      LANG: "C.UTF-8",
      GIT_CONFIG_NOSYSTEM: "1",
      CI: "true",
      STANDIN_BIN: this.bin,
      STANDIN_LOG: log,
      FLIGHTDECK_EXITS: (options.flightdeckExits ?? [0]).join(" "),
      FLIGHTDECK_URL: options.flightdeckUrl ?? SAMPLE_URL,
      // What Bitbucket sets in every step (https://support.atlassian.com/bitbucket-cloud/docs/variables-and-secrets/).
      BITBUCKET_BUILD_NUMBER: String(n),
      BITBUCKET_CLONE_DIR: clone,
      BITBUCKET_COMMIT: this.commits.head,
      BITBUCKET_BRANCH: "feature/login",
      BITBUCKET_REPO_UUID: "{00000000-0000-4000-8000-000000000001}",
      BITBUCKET_STEP_TRIGGERER_UUID: "{00000000-0000-4000-8000-000000000002}",
      ...(step.deployment ? { BITBUCKET_DEPLOYMENT_ENVIRONMENT: step.deployment } : {}),
      // With `oidc: true` Bitbucket gives the step an identity token.
      ...(step.oidc ? { BITBUCKET_STEP_OIDC_TOKEN: "header.payload.signature" } : {}),
      // A repository variable (README, "Variables").
      AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/flightdeck-ci",
      ...variables,
      ...options.env,
    };
    for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];

    const result = spawnSync("bash", ["-e", script], { cwd: clone, env, encoding: "utf8", timeout: 20_000 });
    const calls = readFileSync(log, "utf8")
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => {
        const [tool = "", head = "", dirty = "0", ...args] = line.split("\t");
        return { tool, head, dirty: Number(dirty), args: args.join("\t") };
      });
    return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr, calls, clone };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

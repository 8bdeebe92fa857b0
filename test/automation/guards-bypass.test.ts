/**
 * Production's guards tried as a hostile user would (issue 12), through the
 * in-memory engine over real temp git repositories: every guard through every
 * way in (a flag, a variable, CI variables, an uncommitted or unmerged config
 * edit, a dirty tree, a renamed environment, an author or co-author deploying,
 * a terminal), each refused with its exit code and a message saying what to
 * do; and the allowed paths still allowed.
 *
 * Each case gets a fresh world where production runs c1 (released by Rita, the
 * release manager, from the pipeline) and staging runs c2 (Alice's, co-written
 * by Bob), so releasing c2 to production tests separation of duties.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FlightdeckEvent } from "../../automation/events.js";
import { ConfigError, GuardError, UserError } from "../../infra/errors.js";
import { ALICE, BOB, CAROL, DAVE, type Person } from "./helpers.js";
import {
  type Env,
  pipelineStepBy,
  RM,
  recorded,
  Setup,
  UUID,
  type World,
  world,
} from "./operations/world.js";

const RITA: Person = { name: "Rita", email: "rita@example.com" };
const MALLORY: Person = { name: "Mallory", email: "mallory@example.com" };
const PRODUCTION = "Pulumi.production.yaml";

/** A terminal whose git user.email is `who`'s (git's identity is whatever the person says). */
function terminalAs(w: World, who: Person, env: Env = {}): Env {
  w.repo.git("config", "user.email", who.email);
  return env;
}

function productionYaml(w: World): string {
  return readFileSync(join(w.repo.dir, PRODUCTION), "utf8");
}

/** The production config without its `flightdeck:protection` block. */
function withoutProtection(text: string): string {
  const out = text.replace(/^ {2}flightdeck:protection:\n(?: {4}.*\n| *#.*\n)*/m, "");
  assert.notEqual(out, text, "the protection block was removed");
  return out;
}

function withEnvironment(text: string, environment: string): string {
  return text.replace(/^ {2}flightdeck:environment: .*$/m, `  flightdeck:environment: ${environment}`);
}

function withTerminalDeploys(text: string): string {
  const out = text.replace("allowTerminalDeploys: false", "allowTerminalDeploys: true");
  assert.notEqual(out, text);
  return out;
}

/** Commit `text` as the production config on a new branch (not merged), and stay on it. */
function commitOnBranch(w: World, branch: string, text: string, author: Person): string {
  w.repo.git("checkout", "--quiet", "-b", branch, "main");
  w.repo.write(PRODUCTION, text);
  return w.repo.commit(author, `loosen production on ${branch}`);
}

type Button = "deploy" | "promote" | "rollback";

interface Case {
  /** The way in, as the issue lists them. */
  way: string;
  /** What the hostile user changes (the repository), returning the process environment the run has. */
  arrange: (w: World) => Env;
  button?: Button;
  /** deploy's stack (default production). */
  stack?: string;
  /** deploy's commit (default c2). */
  commit?: (w: World) => string;
  /** A `--actor` flag. */
  actor?: string;
  /** Refused: the exit code, the guard (exit 3), the reason and what to do. Absent: allowed. */
  refused?: { exit: 2 | 3; guard?: string; reason: RegExp; todo: RegExp };
  /** A warning the run must report (an ignored claim). */
  warns?: RegExp;
}

const STEP_REFUSES_AUTHORS = {
  exit: 3,
  guard: "separation-of-duties",
  todo: /who wrote none of these commits/,
} as const;
const TERMINAL_REFUSED = {
  exit: 3,
  guard: "actor-identity",
  reason: /at a terminal .* is only a claim/,
  todo: /pipeline's manual production step/,
} as const;

const cases: Case[] = [
  // --actor
  {
    way: "--actor naming an allowed non-author, by an author at a terminal",
    arrange: (w) => terminalAs(w, ALICE),
    actor: RM,
    refused: TERMINAL_REFUSED,
    warns:
      /--actor release-managers@example.com is ignored: at a terminal the actor is git's user.email, alice@example.com/,
  },
  {
    way: "--actor naming an allowed non-author, by an author in the pipeline",
    arrange: () => pipelineStepBy("alice"),
    actor: RM,
    refused: { ...STEP_REFUSES_AUTHORS, reason: /\(alice\) wrote or co-wrote/ },
    warns: /--actor release-managers@example.com is ignored: in CI the actor is the CI's verified identity/,
  },
  {
    way: "--actor naming an allowed deployer, by someone not allowed, in the pipeline",
    arrange: () => pipelineStepBy("mallory"),
    actor: "alice@example.com",
    commit: (w) => w.c1,
    refused: {
      exit: 3,
      guard: "allowed-deployer",
      reason: /bitbucket:\{3a110000-.*\} is not an allowed deployer/,
      todo: /Ask one of rita, alice, bob/,
    },
    warns: /--actor alice@example.com is ignored/,
  },
  // FLIGHTDECK_ACTOR
  {
    way: "FLIGHTDECK_ACTOR naming an allowed non-author, by an author in the pipeline",
    arrange: () => ({ ...pipelineStepBy("bob"), FLIGHTDECK_ACTOR: RM }),
    refused: { ...STEP_REFUSES_AUTHORS, reason: /\(bob\) wrote or co-wrote/ },
    warns: /FLIGHTDECK_ACTOR release-managers@example.com is ignored/,
  },
  {
    way: "FLIGHTDECK_ACTOR naming an allowed non-author, by an author at a terminal",
    arrange: (w) => terminalAs(w, BOB, { FLIGHTDECK_ACTOR: RM }),
    refused: TERMINAL_REFUSED,
    warns: /FLIGHTDECK_ACTOR release-managers@example.com is ignored/,
  },
  // CI variables
  {
    way: "CI=true with no CI identity and FLIGHTDECK_ACTOR naming an allowed deployer",
    arrange: () => ({ CI: "true", FLIGHTDECK_ACTOR: RM }),
    commit: (w) => w.c1,
    refused: {
      exit: 3,
      guard: "actor-identity",
      reason: /this CI run reports no identity of who started it/,
      todo: /pipeline's manual production step/,
    },
  },
  {
    way: "Bitbucket's triggerer variable set at a terminal (no build), naming the release manager",
    arrange: (w) => terminalAs(w, ALICE, { BITBUCKET_STEP_TRIGGERER_UUID: UUID.rita }),
    refused: TERMINAL_REFUSED,
  },
  {
    way: "GitHub's actor variable set outside Actions",
    arrange: (w) => terminalAs(w, ALICE, { GITHUB_ACTOR: "rita", GITHUB_TRIGGERING_ACTOR: "rita" }),
    refused: TERMINAL_REFUSED,
  },
  {
    way: "a pipeline step by someone in no people entry",
    arrange: () => pipelineStepBy("mallory"),
    commit: (w) => w.c1,
    refused: {
      exit: 3,
      guard: "allowed-deployer",
      reason: /is not an allowed deployer of production/,
      todo: /Ask one of rita, alice, bob/,
    },
  },
  // Config edits: uncommitted, committed but unmerged, merged-looking local commits
  {
    way: "an uncommitted edit deleting protection, by someone not allowed",
    arrange: (w) => {
      w.repo.write(PRODUCTION, withoutProtection(productionYaml(w)));
      return pipelineStepBy("mallory");
    },
    commit: (w) => w.c1,
    refused: {
      exit: 3,
      guard: "clean-tree",
      reason: /only from a clean work tree; .*Pulumi\.production\.yaml/,
      todo: /Commit or discard the changes/,
    },
  },
  {
    way: "an uncommitted edit deleting protection, by an author",
    arrange: (w) => {
      w.repo.write(PRODUCTION, withoutProtection(productionYaml(w)));
      return pipelineStepBy("alice");
    },
    refused: { exit: 3, guard: "clean-tree", reason: /clean work tree/, todo: /Commit or discard/ },
  },
  {
    way: "a committed but unmerged edit deleting protection, deploying that branch",
    arrange: (w) => {
      commitOnBranch(w, "loosen", withoutProtection(productionYaml(w)), MALLORY);
      return pipelineStepBy("mallory");
    },
    commit: () => "HEAD",
    refused: {
      exit: 3,
      guard: "allowed-branch",
      reason: /not reachable from main/,
      todo: /Merge the change into main first/,
    },
  },
  {
    way: "a committed but unmerged edit deleting protection, deploying a commit on main from that branch",
    arrange: (w) => {
      commitOnBranch(w, "loosen", withoutProtection(productionYaml(w)), MALLORY);
      return pipelineStepBy("mallory");
    },
    commit: (w) => w.c1,
    refused: { exit: 3, guard: "allowed-deployer", reason: /not an allowed deployer/, todo: /Ask one of/ },
  },
  {
    way: "an unmerged edit deleting protection committed on local main, while origin/main has the rules",
    arrange: (w) => {
      w.repo.git("update-ref", "refs/remotes/origin/main", "main");
      w.repo.write(PRODUCTION, withoutProtection(productionYaml(w)));
      w.repo.commit(MALLORY, "loosen production on local main");
      return pipelineStepBy("mallory");
    },
    commit: (w) => w.c1,
    refused: { exit: 3, guard: "allowed-deployer", reason: /not an allowed deployer/, todo: /Ask one of/ },
  },
  {
    way: "an unmerged edit allowing terminal deploys, by an allowed deployer at a terminal",
    arrange: (w) => {
      commitOnBranch(w, "terminal", withTerminalDeploys(productionYaml(w)), RITA);
      return terminalAs(w, RITA);
    },
    commit: (w) => w.c1,
    refused: TERMINAL_REFUSED,
  },
  // No committed rules to read
  {
    way: "a repository without main (nor origin/main) to read the rules from",
    arrange: (w) => {
      w.repo.git("branch", "-m", "main", "trunk");
      return pipelineStepBy("rita");
    },
    refused: {
      exit: 3,
      guard: "protection-rules",
      reason: /neither origin\/main nor main exists here/,
      todo: /git fetch origin main/,
    },
  },
  {
    way: "Pulumi.production.yaml deleted on main, deploying from a branch that still has it",
    arrange: (w) => {
      w.repo.git("rm", "--quiet", PRODUCTION);
      w.repo.commit(MALLORY, "no more rules");
      w.repo.git("checkout", "--quiet", "-b", "old", "main~1");
      return pipelineStepBy("mallory");
    },
    commit: (w) => w.c1,
    refused: {
      exit: 3,
      guard: "protection-rules",
      reason: /Pulumi\.production\.yaml is not committed on main/,
      todo: /merge it to main/,
    },
  },
  // A renamed environment
  {
    way: "environment: staging in Pulumi.production.yaml (uncommitted)",
    arrange: (w) => {
      w.repo.write(PRODUCTION, withEnvironment(productionYaml(w), "staging"));
      return pipelineStepBy("mallory");
    },
    refused: {
      exit: 2,
      reason:
        /Pulumi\.production\.yaml: flightdeck:environment: must be production: the stack named production is production/,
      todo: /Fix the (problem|\d+ problems) above in Pulumi\.production\.yaml/,
    },
  },
  {
    way: "environment: staging in Pulumi.production.yaml, committed on a branch and checked out",
    arrange: (w) => {
      commitOnBranch(w, "rename", withEnvironment(productionYaml(w), "staging"), MALLORY);
      return pipelineStepBy("mallory");
    },
    commit: (w) => w.c1,
    refused: { exit: 2, reason: /flightdeck:environment: must be production/, todo: /Fix the .* above/ },
  },
  {
    way: "environment: staging in Pulumi.production.yaml, merged to main (the work tree still says production)",
    arrange: (w) => {
      w.repo.write(PRODUCTION, withEnvironment(productionYaml(w), "staging"));
      w.repo.commit(MALLORY, "rename production");
      w.repo.git("checkout", "--quiet", "-b", "before-rename", "main~1");
      return pipelineStepBy("rita");
    },
    commit: (w) => w.c1,
    refused: {
      exit: 2,
      reason: /main:Pulumi\.production\.yaml: flightdeck:environment: must be production/,
      todo: /Fix the (problem|\d+ problems) above in main:Pulumi\.production\.yaml/,
    },
  },
  {
    way: "environment: production in another stack's file (a second 'production')",
    arrange: (w) => {
      const path = "Pulumi.testing.yaml";
      const text = readFileSync(join(w.repo.dir, path), "utf8");
      w.repo.write(path, withEnvironment(text, "production"));
      return pipelineStepBy("mallory");
    },
    stack: "testing",
    refused: {
      exit: 2,
      reason: /production is only for the stack named production \(this is testing\)/,
      todo: /Fix the (problem|\d+ problems) above in Pulumi\.testing\.yaml/,
    },
  },
  // A dirty tree
  {
    way: "an untracked file in the tree",
    arrange: (w) => {
      w.repo.write("stray.txt", "not committed\n");
      return pipelineStepBy("rita");
    },
    refused: { exit: 3, guard: "clean-tree", reason: /stray\.txt/, todo: /Commit or discard/ },
  },
  // Authors and co-authors
  {
    way: "the author deploying, from the pipeline",
    arrange: () => pipelineStepBy("alice"),
    refused: { ...STEP_REFUSES_AUTHORS, reason: /\(alice\) wrote or co-wrote 1 .*: [0-9a-f]{7}/ },
  },
  {
    way: "a co-author (Co-authored-by) deploying, from the pipeline",
    arrange: () => pipelineStepBy("bob"),
    refused: { ...STEP_REFUSES_AUTHORS, reason: /\(bob\) wrote or co-wrote 1/ },
  },
  {
    way: "an author who committed with another of their e-mails",
    arrange: (w) => {
      w.repo.commit({ name: "Bob", email: "bob@users.noreply.example.com" }, "bob from the web editor");
      return pipelineStepBy("bob");
    },
    commit: () => "HEAD",
    refused: { ...STEP_REFUSES_AUTHORS, reason: /\(bob\) wrote or co-wrote 2/ },
  },
  // Terminals
  {
    way: "an allowed deployer who wrote none of it, at a terminal",
    arrange: (w) => terminalAs(w, RITA),
    refused: TERMINAL_REFUSED,
  },
  // Every button: promote and rollback go through the same guards
  {
    way: "promote by an author, from the pipeline",
    arrange: () => pipelineStepBy("alice"),
    button: "promote",
    refused: { ...STEP_REFUSES_AUTHORS, reason: /\(alice\) wrote/ },
  },
  {
    way: "promote at a terminal with --actor",
    arrange: (w) => terminalAs(w, DAVE),
    actor: RM,
    button: "promote",
    refused: TERMINAL_REFUSED,
    warns: /--actor release-managers@example.com is ignored/,
  },
  {
    way: "rollback at a terminal",
    arrange: (w) => terminalAs(w, RITA),
    button: "rollback",
    refused: TERMINAL_REFUSED,
  },
  {
    way: "rollback by someone not allowed, in the pipeline",
    arrange: () => pipelineStepBy("mallory"),
    button: "rollback",
    refused: { exit: 3, guard: "allowed-deployer", reason: /not an allowed deployer/, todo: /Ask one of/ },
  },
  // Allowed paths
  {
    way: "allowed: the release manager's pipeline step, releasing c2",
    arrange: () => pipelineStepBy("rita"),
  },
  {
    way: "allowed: a rollback by the author of what runs now (going back releases no commit of hers)",
    arrange: () => pipelineStepBy("alice"),
    button: "rollback",
  },
  {
    way: "allowed: the release manager's pipeline step, with her own e-mail as --actor (ignored, same person)",
    arrange: () => pipelineStepBy("rita"),
    actor: RM,
    warns: /is ignored/,
  },
  {
    way: "allowed: promote from the pipeline by the release manager",
    arrange: () => pipelineStepBy("rita"),
    button: "promote",
  },
  {
    way: "allowed: a terminal deploy once allowTerminalDeploys is merged to main (recorded unverified)",
    arrange: (w) => {
      w.repo.write(PRODUCTION, withTerminalDeploys(productionYaml(w)));
      w.repo.commit(CAROL, "allow terminal deploys");
      return terminalAs(w, RITA);
    },
    commit: (w) => w.c2,
  },
];

async function press(s: Setup, w: World, c: Case): Promise<unknown> {
  const actor = c.actor === undefined ? {} : { actor: c.actor };
  switch (c.button ?? "deploy") {
    case "promote":
      return s.ops.promote({ from: "staging", to: "production", ...actor });
    case "rollback":
      return s.ops.rollback({ env: "production", commit: w.c1, ...actor });
    default:
      return s.ops.deploy({
        env: c.stack ?? "production",
        commit: (c.commit ?? ((x: World) => x.c2))(w),
        ...actor,
      });
  }
}

/** Production runs c2 before a rollback case (so there is something to roll back from), else c1. */
async function prepare(w: World, c: Case): Promise<Setup> {
  const s = new Setup(w).runAs(pipelineStepBy("rita"));
  await s.ops.deploy({ env: "production", commit: w.c1 });
  if (c.button === "rollback") await s.ops.deploy({ env: "production", commit: w.c2 });
  await s.ops.deploy({ env: "staging", commit: w.c2 });
  s.events.length = 0;
  return s;
}

function warnings(events: FlightdeckEvent[]): string[] {
  return events.flatMap((e) => (e.type === "diagnostic" && e.severity === "warning" ? [e.message] : []));
}

describe("guards: no way around production's rules (issue 12)", function () {
  this.timeout(120_000);

  for (const c of cases) {
    it(`${c.refused ? `refuses (exit ${c.refused.exit})` : "allows"}: ${c.way}`, async () => {
      const w = world();
      const s = await prepare(w, c);
      const before = (await s.engine.history("production")).length;
      const env = c.arrange(w);
      s.runAs(env);
      const run = press(s, w, c);

      if (c.refused) {
        const { exit, guard, reason, todo } = c.refused;
        await assert.rejects(run, (error: unknown) => {
          assert.ok(error instanceof UserError, `expected a user error, got ${String(error)}`);
          assert.equal(error.exitCode, exit, error.message);
          if (exit === 3) {
            assert.ok(error instanceof GuardError);
            assert.equal(error.guard, guard, error.message);
          } else {
            assert.ok(error instanceof ConfigError, error.message);
          }
          assert.match(error.message, reason);
          assert.match([error.tryMessage, ...error.nextSteps].join("\n"), todo);
          return true;
        });
        assert.equal(s.lastResult().exitCode, exit);
        if (exit === 3) {
          // One guard event per decision; the first refusal is the error.
          const refusal = s.events.find((e) => e.type === "guard" && !e.allowed);
          assert.equal(refusal?.type === "guard" && refusal.guard, guard);
        }
        assert.equal((await s.engine.history("production")).length, before, "production was not touched");
      } else {
        await run;
        assert.equal(s.lastResult().exitCode, 0);
        const guards = s.events.filter((e) => e.type === "guard");
        assert.ok(guards.length >= 6 && guards.every((g) => g.type === "guard" && g.allowed));
        const release = recorded((await s.engine.history("production"))[0]).release;
        const verified = env.BITBUCKET_BUILD_NUMBER !== undefined;
        assert.equal(release?.verified, verified);
        if (!verified) {
          const [entry] = await s.ops.history({ env: "production" });
          assert.equal(entry?.actorVerified, false, "history labels it unverified");
        }
      }
      if (c.warns) assert.match(warnings(s.events).join("\n"), c.warns);
    });
  }
});

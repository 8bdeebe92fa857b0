/** The operations' test world: a real git repository holding the project's configs, and the operations over the memory engine. */
import assert from "node:assert/strict";
import type { ImageResolver, OperationDeps, Operations } from "../../../automation/api.js";
import { recordedRelease } from "../../../automation/config-map.js";
import { MemoryCloud } from "../../../automation/cloud/memory.js";
import { MemoryEngine, type MemoryEngineOptions } from "../../../automation/engine/memory.js";
import type { UpdateRecord } from "../../../automation/engine.js";
import type { FlightdeckEvent, ResultEvent } from "../../../automation/events.js";
import { createOperations } from "../../../automation/operations.js";
import { GuardError } from "../../../infra/errors.js";
import { ALICE, DAVE, projectRepo, type TempRepo } from "../helpers.js";

/** Rita, the release manager: an allowed production deployer who writes no commits here (one of her e-mails). */
export const RM = "release-managers@example.com";

/** Bitbucket account UUIDs of the people in Pulumi.production.yaml's protection.people. */
export const UUID = {
  alice: "{a11ce000-0000-4000-8000-000000000001}",
  bob: "{b0b00000-0000-4000-8000-000000000002}",
  rita: "{0717a000-0000-4000-8000-000000000003}",
  /** Nobody in people. */
  mallory: "{3a110000-0000-4000-8000-000000000004}",
} as const;

export type Env = Record<string, string | undefined>;

/** A Bitbucket Pipelines step started by `who`: the CI's verified identity. */
export function pipelineStepBy(who: keyof typeof UUID): Env {
  return { CI: "true", BITBUCKET_BUILD_NUMBER: "42", BITBUCKET_STEP_TRIGGERER_UUID: UUID[who] };
}

/** Images by commit, counting lookups; `generation` changes every AMI id (a rebuilt image). */
export class FakeImages implements ImageResolver {
  calls: string[] = [];
  generation = 0;
  async imageFor(commit: string): Promise<string> {
    this.calls.push(commit);
    return `ami-0${this.generation}${commit.slice(0, 15)}`;
  }
}

export interface World {
  repo: TempRepo;
  c1: string;
  c2: string;
  feature: string;
}

export function world(): World {
  const repo = projectRepo();
  const c1 = repo.commit(DAVE, "feature A");
  const c2 = repo.commit(ALICE, "feature B", "Paired.\n\nCo-authored-by: Bob <Bob@Example.com>");
  repo.git("checkout", "--quiet", "-b", "feature");
  const feature = repo.commit(DAVE, "unmerged work");
  repo.git("checkout", "--quiet", "main");
  return { repo, c1, c2, feature };
}

export class Setup {
  readonly events: FlightdeckEvent[] = [];
  readonly images = new FakeImages();
  readonly engine: MemoryEngine;
  readonly cloud: MemoryCloud;
  /** Aborted by a test to cancel a wait. */
  abort?: AbortController;
  readonly ops: Operations;
  /** The operations' process environment (default: a terminal); change it with `runAs`. */
  readonly env: Env = {};
  clock = new Date("2026-11-21T12:00:00.000Z");

  constructor(
    readonly w: World,
    engineOptions: MemoryEngineOptions = {},
    extra: Partial<OperationDeps> = {},
  ) {
    this.engine = extra.engine instanceof MemoryEngine ? extra.engine : new MemoryEngine(engineOptions);
    this.cloud = extra.cloud instanceof MemoryCloud ? extra.cloud : new MemoryCloud(this.engine);
    this.ops = createOperations({
      engine: this.engine,
      cloud: this.cloud,
      // Waiting for the cloud moves the test clock instead of the real one.
      sleep: async (ms) => {
        this.clock = new Date(this.clock.getTime() + ms);
        if (this.abort?.signal.aborted) throw new Error("aborted");
      },
      projectDir: w.repo.dir,
      images: this.images,
      onEvent: (e) => this.events.push(e),
      now: () => this.clock,
      ...extra,
      env: this.env,
    });
    Object.assign(this.env, extra.env ?? {});
  }

  /** Run the next operations with this process environment (a pipeline step, a terminal: `{}`). */
  runAs(env: Env): this {
    for (const key of Object.keys(this.env)) delete this.env[key];
    Object.assign(this.env, env);
    return this;
  }

  results(): ResultEvent[] {
    return this.events.filter((e): e is ResultEvent => e.type === "result");
  }

  lastResult(): ResultEvent {
    const r = this.results().at(-1);
    assert.ok(r, "no result event");
    return r;
  }
}

export async function refusedBy(promise: Promise<unknown>, guard: string, pattern?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GuardError, `expected a GuardError, got ${String(error)}`);
    assert.equal(error.guard, guard);
    assert.equal(error.exitCode, 3);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

export function recorded(record: UpdateRecord | undefined) {
  assert.ok(record, "no history record");
  return recordedRelease(record.config);
}

/**
 * where QUERY: every stack whose running commit contains a change, by git
 * ancestry (`git merge-base --is-ancestor`), with since when and by whom.
 *
 * The query is read, in this order, as: an issue key (it matches, as a whole,
 * the `changes.issueKeyPattern` of an environment, or the default): every
 * commit mentioning it; a commit, branch or tag: its commit; a branch that no
 * longer exists: the commits its merges brought in. A stack has the change
 * (`yes`) only when what it runs contains EVERY commit of it, so "is ABC-1 in
 * production?" is yes only once all of ABC-1's work is there; `partial` says
 * how many, and which are missing.
 *
 * "Since" is the oldest update of the unbroken run of successful updates, up
 * to the one running now, that all contained the change; "by" is who ran it.
 * A query: no guards, nothing changes.
 */
import { loadStackConfig } from "../../infra/config.js";
import { issueKeyRegExp } from "../../infra/config/changes-section.js";
import { ExitCode, UserError } from "../../infra/errors.js";
import { isShaPrefix, shortSha } from "../../infra/naming.js";
import type { WhereInput, WhereResult, WhereStack } from "../api.js";
import { commitsOfIssue, commitsOfMergedBranch, isIssueKey, subjectOf } from "../changes.js";
import { recordedRelease } from "../config-map.js";
import type { EngineStackSummary, OutputMap, UpdateRecord } from "../engine.js";
import { knownEnvironments } from "../environments.js";
import { commitInfo, isAncestor, type LoggedCommit, resolveCommit } from "../git.js";
import { mapBounded } from "../pool.js";
import type { OperationContext } from "../run.js";
import type { Context } from "./context.js";
import { historyOrEmpty, readConcurrency, urlOf } from "./steps/read-stack.js";
import { ENVIRONMENT_ORDER, environmentOf } from "./status.js";

/** How far back each stack's history is read for "since". */
const HISTORY_LIMIT = 100;

type Change = Pick<WhereResult, "kind" | "commits">;

export function where(ctx: Context, input: WhereInput): Promise<WhereResult> {
  return ctx.run("where", {}, async (op) => {
    const query = checkedQuery(input.query);
    const stacks = await readStacks(ctx, op);
    const starts = stacks.flatMap((s) => (s.running ? [s.running.commit] : []));
    const change = await changeOf(ctx, query, starts);
    op.emit({
      type: "step",
      message: `${query} is ${describe(change)}`,
    });
    const contains = ancestry(ctx.projectDir);
    const rows = await mapBounded(stacks, 4, (s) => rowOf(s, change, contains));
    rows.sort(
      (a, b) =>
        ENVIRONMENT_ORDER.indexOf(a.environment) - ENVIRONMENT_ORDER.indexOf(b.environment) ||
        a.stack.localeCompare(b.stack),
    );
    for (const row of rows)
      op.emit({ type: "item", stack: row.stack, status: "done", message: stateText(row, change) });
    const result: WhereResult = { query, kind: change.kind, commits: change.commits, stacks: rows };
    return { data: result, summary: summaryOf(result) };
  });
}

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const CONTROL_OR_SPACE = /[\s\u0000-\u001f\u007f]/;

/** A query as git and the patterns may see it: no option-looking or control-character text. */
function checkedQuery(raw: string): string {
  const query = raw.trim();
  if (query.length === 0 || query.length > 255 || query.startsWith("-") || CONTROL_OR_SPACE.test(query)) {
    throw new UserError(`'${raw}' is not a commit, branch or issue key`, {
      tryMessage: "Give a commit SHA, a branch or tag name, or an issue key like ABC-123 (no spaces).",
      exitCode: ExitCode.usage,
    });
  }
  return query;
}

interface Running {
  record: UpdateRecord;
  commit: string;
}

interface StackRead {
  summary: EngineStackSummary;
  environment: WhereStack["environment"];
  /** Successful updates up to the one running now, newest first (a destroy ends the run). */
  run: Running[];
  running?: Running;
  url?: string;
}

async function readStacks(ctx: Context, op: OperationContext): Promise<StackRead[]> {
  const stacks = await ctx.engine.listStacks();
  return mapBounded(stacks, readConcurrency(ctx.engine.kind), async (summary) => {
    const [history, outputs] = await Promise.all([
      historyOrEmpty(ctx, summary.name, HISTORY_LIMIT).catch((error: Error) => {
        op.emit({ type: "item", stack: summary.name, status: "failed", message: error.message });
        return [] as UpdateRecord[];
      }),
      ctx.engine.outputs(summary.name).catch((): OutputMap => ({})),
    ]);
    const run = successfulRun(history);
    const url = urlOf(outputs);
    return {
      summary,
      environment: environmentOf(summary.name, history[0]?.config ?? {}),
      run,
      ...(run[0] ? { running: run[0] } : {}),
      ...(url ? { url } : {}),
    };
  });
}

/** The successful updates since the last destroy, newest first, each with the commit it ran. */
function successfulRun(history: UpdateRecord[]): Running[] {
  const out: Running[] = [];
  for (const record of history) {
    if (record.kind === "destroy" && record.result === "succeeded") break;
    if (record.kind !== "update" || record.result !== "succeeded") continue;
    const commit = recordedRelease(record.config).commit;
    if (commit) out.push({ record, commit });
  }
  return out;
}

/** The patterns an issue key is recognised by: each environment's, and the default. */
async function issuePatterns(projectDir: string): Promise<RegExp[]> {
  const patterns = new Map<string, RegExp>();
  const add = (re: RegExp) => patterns.set(re.source, re);
  add(issueKeyRegExp(undefined));
  for (const env of await knownEnvironments(projectDir).catch(() => [])) {
    const config = await loadStackConfig(projectDir, env).catch(() => undefined);
    if (config?.changes) add(issueKeyRegExp(config.changes));
  }
  return [...patterns.values()];
}

function listed(commits: LoggedCommit[]): Change["commits"] {
  return commits.map((c) => ({ sha: c.sha, shortSha: shortSha(c.sha), subject: subjectOf(c.message) }));
}

async function changeOf(ctx: Context, query: string, starts: string[]): Promise<Change> {
  const dir = ctx.projectDir;
  if (isIssueKey(query, await issuePatterns(dir))) {
    const commits = await commitsOfIssue(dir, query, starts);
    if (commits.length === 0) {
      throw new UserError(`no commit mentions ${query} in its message or its merged branch's name`, {
        tryMessage: "Run `git fetch --all --tags` if the work was pushed from elsewhere, and check the key.",
        exitCode: ExitCode.usage,
      });
    }
    return { kind: "issue", commits: listed(commits) };
  }
  let sha: string;
  try {
    sha = await resolveCommit(dir, query);
  } catch (error) {
    const merged = await commitsOfMergedBranch(dir, query, starts);
    if (merged.length > 0) return { kind: "merged-branch", commits: listed(merged) };
    throw error;
  }
  const info = await commitInfo(dir, sha);
  const kind = isShaPrefix(query) && sha.startsWith(query.toLowerCase()) ? "commit" : "ref";
  return { kind, commits: [{ sha, shortSha: info.shortSha, subject: info.subject }] };
}

/** `isAncestor`, each pair asked once. */
function ancestry(dir: string): (commit: string, running: string) => Promise<boolean | undefined> {
  const cache = new Map<string, Promise<boolean | undefined>>();
  return (commit, running) => {
    const key = `${commit}:${running}`;
    let answer = cache.get(key);
    if (!answer) {
      answer = isAncestor(dir, commit, running);
      cache.set(key, answer);
    }
    return answer;
  };
}

type Contains = ReturnType<typeof ancestry>;

async function containedIn(change: Change, running: string, contains: Contains) {
  const answers = await Promise.all(change.commits.map((c) => contains(c.sha, running)));
  return {
    unknown: answers.some((a) => a === undefined),
    count: answers.filter((a) => a === true).length,
    missing: change.commits.filter((_, i) => answers[i] === false).map((c) => c.sha),
  };
}

function updateOf(r: Running): Pick<WhereStack, "since" | "by" | "version"> {
  const actor = recordedRelease(r.record.config).release?.actor;
  return {
    since: r.record.endTime ?? r.record.startTime,
    version: r.record.version,
    ...(actor ? { by: actor } : {}),
  };
}

async function rowOf(s: StackRead, change: Change, contains: Contains): Promise<WhereStack> {
  const base = { stack: s.summary.name, environment: s.environment, ...(s.url ? { url: s.url } : {}) };
  if (!s.running) return { ...base, state: "not-deployed", contained: 0 };
  const now = await containedIn(change, s.running.commit, contains);
  const total = change.commits.length;
  const state: WhereStack["state"] = now.unknown
    ? "unknown"
    : now.count === total
      ? "yes"
      : now.count > 0
        ? "partial"
        : "no";
  let since = s.running;
  if (state === "yes") {
    for (const older of s.run.slice(1)) {
      const then = await containedIn(change, older.commit, contains);
      if (then.unknown || then.count < total) break;
      since = older;
    }
  }
  return {
    ...base,
    commit: s.running.commit,
    state,
    contained: now.count,
    ...updateOf(since),
    ...(state === "partial" ? { missing: now.missing } : {}),
  };
}

function describe(change: Change): string {
  const n = change.commits.length;
  const what = {
    commit: "a commit",
    ref: "a branch or tag",
    "merged-branch": "a merged branch",
    issue: "an issue key",
  }[change.kind];
  const first = change.commits[0];
  return n === 1 && first ? `${what}: ${first.shortSha} ${first.subject}` : `${what}: ${n} commits`;
}

function stateText(row: WhereStack, change: Change): string {
  const total = change.commits.length;
  const by = row.by ? ` by ${row.by}` : "";
  switch (row.state) {
    case "yes":
      return `has it since ${row.since}${by} (runs ${shortSha(row.commit ?? "")})`;
    case "partial":
      return `has ${row.contained} of ${total} commits (runs ${shortSha(row.commit ?? "")})`;
    case "no":
      return `does not have it (runs ${shortSha(row.commit ?? "")})`;
    case "unknown":
      return `runs ${shortSha(row.commit ?? "")}, which is not in this repository: run \`git fetch --all --tags\``;
    case "not-deployed":
      return "runs nothing";
  }
}

function summaryOf(r: WhereResult): string {
  const named = (state: WhereStack["state"]) => r.stacks.filter((s) => s.state === state).map((s) => s.stack);
  const yes = named("yes");
  const partial = named("partial");
  const parts = [yes.length > 0 ? `in ${yes.join(", ")}` : "in no stack"];
  if (partial.length > 0) parts.push(`partly in ${partial.join(", ")}`);
  return `${r.query}: ${parts.join("; ")}`;
}

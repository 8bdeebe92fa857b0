/**
 * What a release brings: the commits between what a stack runs and the new
 * commit, each with its short SHA, subject, authors and co-authors, and the
 * issue keys found in its message and in the name of the branch it was merged
 * from. One `git log` of the range (`git.ts` `logBetween`); the rest is pure.
 *
 * Branch names are read from the merge commits of the range, not from the
 * branches that exist now: a feature branch is usually deleted once merged,
 * while its merge commit keeps its name for good. A merge's subject names the
 * branch in the forms git, GitHub and Bitbucket write (`MERGE_SUBJECTS`); every
 * commit that merge brought in (reachable from its other parents, not from its
 * first) carries the branch and its issue keys. A squash or rebase merge keeps
 * no branch name: its keys come from the messages alone.
 */
import { issueKeyRegExp } from "../infra/config/changes-section.js";
import type { StackConfig } from "../infra/config.js";
import { shortSha } from "../infra/naming.js";
import type { ReleasedCommit, Releases } from "./events.js";
import { coAuthorsOf, commitsMentioning, commitsMergedBy, type LoggedCommit, logBetween } from "./git.js";

/** How many commits a release lists (a first deploy lists this many of the whole history, and says how many more). */
export const RELEASE_LIST_LIMIT = 50;

/** Only this much of a message is searched for keys (a pasted log must not make a slow pattern slower). */
const MAX_SEARCHED = 10_000;

/**
 * Merge subjects that name the merged branch: git's own (`fmt-merge-msg`:
 * "Merge branch 'x'", "... into y", "Merge remote-tracking branch 'origin/x'"),
 * GitHub's "Merge pull request #12 from owner/x", and Bitbucket Cloud's
 * "Merged in x (pull request #12)". The same forms git-graph reads
 * (mlange-42/git-graph, src/settings.rs `MergePatterns`).
 */
const MERGE_SUBJECTS: readonly RegExp[] = [
  /^Merge (?:remote-tracking )?branch '(?:origin\/)?([^']+)'/,
  /^Merge pull request #\d+ from [^/\s]+\/(\S+)/,
  /^Merged in (\S+) \(pull request #\d+\)/,
];

/** The branch a merge commit's subject names, or undefined. */
export function mergedBranchOf(subject: string): string | undefined {
  for (const pattern of MERGE_SUBJECTS) {
    const name = pattern.exec(subject)?.[1];
    if (name) return name;
  }
  return undefined;
}

/** The distinct issue keys in `text`, in order of appearance. */
export function issueKeysIn(text: string, pattern: RegExp): string[] {
  const re = new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`);
  const keys = new Set<string>();
  for (const match of text.slice(0, MAX_SEARCHED).matchAll(re)) {
    if (match[0].length > 0) keys.add(match[0]);
  }
  return [...keys];
}

/**
 * For each commit of the list, the branch a merge of the list brought it in
 * from: the commits reachable from the merge's second (and later) parents and
 * not from its first, within the listed commits. The newest merge wins.
 */
export function branchesOf(commits: readonly LoggedCommit[]): Map<string, string> {
  const bySha = new Map(commits.map((c) => [c.sha, c]));
  const reach = (starts: string[]): Set<string> => {
    const seen = new Set<string>();
    const todo = starts.filter((s) => bySha.has(s));
    while (todo.length > 0) {
      const sha = todo.pop() as string;
      if (seen.has(sha)) continue;
      seen.add(sha);
      for (const parent of bySha.get(sha)?.parents ?? []) if (bySha.has(parent)) todo.push(parent);
    }
    return seen;
  };
  const out = new Map<string, string>();
  for (const merge of commits) {
    if (merge.parents.length < 2) continue;
    const branch = mergedBranchOf(subjectOf(merge.message));
    if (!branch) continue;
    if (!out.has(merge.sha)) out.set(merge.sha, branch);
    const mainline = reach(merge.parents.slice(0, 1));
    for (const sha of reach(merge.parents.slice(1))) {
      if (!mainline.has(sha) && !out.has(sha)) out.set(sha, branch);
    }
  }
  return out;
}

export function subjectOf(message: string): string {
  return message.split("\n", 1)[0] ?? "";
}

/** The listed commits as a release shows them. */
export function releasedCommits(commits: readonly LoggedCommit[], pattern: RegExp): ReleasedCommit[] {
  const branches = branchesOf(commits);
  return commits.map((c) => {
    const branch = branches.get(c.sha);
    const keys = new Set([
      ...issueKeysIn(c.message, pattern),
      ...(branch ? issueKeysIn(branch, pattern) : []),
    ]);
    return {
      sha: c.sha,
      shortSha: shortSha(c.sha),
      subject: subjectOf(c.message),
      authorName: c.authorName,
      authorEmail: c.authorEmail,
      coAuthors: coAuthorsOf(c.message),
      issueKeys: [...keys],
      ...(branch ? { branch } : {}),
      direction: c.side === "from" ? "unrelease" : "release",
    };
  });
}

/** What releasing `to` on a stack that runs `from` (undefined: nothing yet) brings and takes away. */
export async function releasesBetween(
  dir: string,
  r: { stack: string; from?: string; to: string; config?: Pick<StackConfig, "changes">; limit?: number },
): Promise<Releases> {
  const limit = r.limit ?? RELEASE_LIST_LIMIT;
  const log = await logBetween(dir, r.from, r.to, limit);
  const commits = releasedCommits(log.commits, issueKeyRegExp(r.config?.changes));
  const sorted = (values: Iterable<string>) => [...new Set(values)].sort();
  return {
    stack: r.stack,
    ...(r.from ? { from: r.from } : {}),
    to: r.to,
    commits,
    released: log.toCount,
    unreleased: log.fromCount,
    more: Math.max(0, log.toCount + log.fromCount - commits.length),
    issueKeys: sorted(commits.flatMap((c) => c.issueKeys)),
    authors: sorted(commits.flatMap((c) => [c.authorEmail, ...c.coAuthors]).filter((e) => e.length > 0)),
  };
}

/** One line for a release: what it brings and takes away, and the issue keys. */
export function releasesSummary(r: Releases): string {
  const parts: string[] = [];
  if (r.from === undefined)
    parts.push(`first release: ${count(r.released, "commit")} up to ${shortSha(r.to)}`);
  else if (r.from === r.to) parts.push(`no new commits (${shortSha(r.to)} runs already)`);
  else {
    if (r.released > 0) parts.push(`releases ${count(r.released, "commit")}`);
    if (r.unreleased > 0) parts.push(`un-releases ${count(r.unreleased, "commit")}`);
    if (parts.length === 0) parts.push("no commits in between");
    parts[0] = `${parts[0]} (${shortSha(r.from)} -> ${shortSha(r.to)})`;
  }
  if (r.more > 0) parts.push(`${r.more} more not listed`);
  if (r.issueKeys.length > 0) parts.push(`issues ${r.issueKeys.join(", ")}`);
  return parts.join("; ");
}

/** One line for one commit: `+ 1a2b3c4 Subject (ABC-1) by a@x, co-author b@y`; `-` for an un-released one. */
export function releasedCommitLine(c: ReleasedCommit): string {
  const sign = c.direction === "release" ? "+" : "-";
  const keys = c.issueKeys.length > 0 ? ` [${c.issueKeys.join(", ")}]` : "";
  const co = c.coAuthors.length > 0 ? `, with ${c.coAuthors.join(", ")}` : "";
  return `${sign} ${c.shortSha} ${c.subject}${keys} by ${c.authorEmail}${co}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** A key (or branch name) as a whole word: `ABC-1` is not found in `ABC-12` or `XABC-1`. */
function wholeWord(text: string): RegExp {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])`, "i");
}

/** Whether `query` is, as a whole, an issue key by one of the patterns. */
export function isIssueKey(query: string, patterns: readonly RegExp[]): boolean {
  return patterns.some((p) => new RegExp(`^(?:${p.source})$`).test(query));
}

/**
 * The commits of an issue key: those whose message mentions it, and those a
 * merge brought in from a branch whose name mentions it; searched from every
 * branch, remote branch and tag, and from `starts` (what the stacks run).
 */
export async function commitsOfIssue(dir: string, key: string, starts: string[]): Promise<LoggedCommit[]> {
  const word = wholeWord(key);
  const found = new Map<string, LoggedCommit>();
  for (const c of await commitsMentioning(dir, key, starts)) {
    if (!word.test(c.message)) continue;
    found.set(c.sha, c);
    const branch = c.parents.length > 1 ? mergedBranchOf(subjectOf(c.message)) : undefined;
    if (branch && word.test(branch)) {
      for (const merged of await commitsMergedBy(dir, c.sha)) found.set(merged.sha, merged);
    }
  }
  return newestFirst(found);
}

/** The commits a branch that no longer exists brought in, found by the merge commits that name it. */
export async function commitsOfMergedBranch(
  dir: string,
  branch: string,
  starts: string[],
): Promise<LoggedCommit[]> {
  const found = new Map<string, LoggedCommit>();
  for (const c of await commitsMentioning(dir, branch, starts)) {
    if (c.parents.length < 2 || mergedBranchOf(subjectOf(c.message)) !== branch) continue;
    found.set(c.sha, c);
    for (const merged of await commitsMergedBy(dir, c.sha)) found.set(merged.sha, merged);
  }
  return newestFirst(found);
}

function newestFirst(commits: Map<string, LoggedCommit>): LoggedCommit[] {
  return [...commits.values()].sort((a, b) => Date.parse(b.date) - Date.parse(a.date));
}

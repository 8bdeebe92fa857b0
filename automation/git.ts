/**
 * What the operations ask git (through simple-git): which full SHA a ref
 * names, who wrote a range of commits, whether a commit is on a branch,
 * whether the tree is clean, the recent log for the dashboard, the commits
 * between what runs and what comes, and which commits contain which.
 */
import { execFile } from "node:child_process";
import { type SimpleGit, simpleGit } from "simple-git";
import { ExitCode, UserError } from "../infra/errors.js";
import { isFullSha } from "../infra/naming.js";

export interface CommitInfo {
  sha: string;
  shortSha: string;
  subject: string;
  authorName: string;
  authorEmail: string;
  /** ISO time the commit was authored. */
  date: string;
}

export function git(dir: string): SimpleGit {
  return simpleGit({ baseDir: dir, trimmed: true });
}

async function tryRaw(repo: SimpleGit, args: string[]): Promise<string | undefined> {
  try {
    return await repo.raw(args);
  } catch {
    return undefined;
  }
}

/** Resolve a SHA, short SHA, branch (local or `origin/<branch>`) or tag to a full SHA. */
export async function resolveCommit(dir: string, ref: string): Promise<string> {
  const repo = git(dir);
  const trimmed = ref.trim();
  if (trimmed.length === 0 || trimmed.startsWith("-")) throw unknownRef(ref);
  for (const candidate of [trimmed, `origin/${trimmed}`]) {
    const sha = await tryRaw(repo, ["rev-parse", "--verify", "--quiet", `${candidate}^{commit}`]);
    if (sha && isFullSha(sha.trim())) return sha.trim();
  }
  throw unknownRef(ref);
}

function unknownRef(ref: string): UserError {
  return new UserError(`'${ref}' is not a commit, branch or tag in this repository`, {
    tryMessage: "Check the spelling, or run `git fetch --all --tags` if it was pushed from elsewhere.",
    exitCode: ExitCode.usage,
  });
}

const CO_AUTHOR = /^co-authored-by:\s*(.*)$/gim;

/** The e-mail addresses (lower-cased) in `Co-authored-by:` trailers of a commit message. */
export function coAuthorsOf(message: string): string[] {
  const out: string[] = [];
  for (const match of message.matchAll(CO_AUTHOR)) {
    const value = (match[1] ?? "").trim();
    const email = /<([^>]+)>/.exec(value)?.[1] ?? (value.includes("@") ? value : undefined);
    if (email) out.push(email.trim().toLowerCase());
  }
  return out;
}

export interface RangeAuthors {
  /** Commits in the range (reachable from `to`, not from `from`), newest first. */
  commits: string[];
  /** Every author and co-author e-mail, lower-cased, sorted, once each. */
  emails: string[];
  /** Per e-mail, the commits it wrote or co-wrote. */
  byEmail: Record<string, string[]>;
}

const FIELD = "\x1f";
const RECORD = "\x1e";

/**
 * Authors and co-authors of the commits reachable from `to` but not from
 * `from` (every ancestor of `to` when `from` is undefined: nothing ran there yet).
 */
export async function authorsOfRange(
  dir: string,
  from: string | undefined,
  to: string,
): Promise<RangeAuthors> {
  const repo = git(dir);
  const range = from ? `${from}..${to}` : to;
  let text: string;
  try {
    text = await repo.raw(["log", `--format=%H${FIELD}%ae${FIELD}%B${RECORD}`, range]);
  } catch (error) {
    throw cannotList(from, to, error);
  }
  const byEmail: Record<string, string[]> = {};
  const commits: string[] = [];
  for (const record of text.split(RECORD)) {
    const [sha, author, body] = record.replace(/^\s+/, "").split(FIELD);
    if (!sha || author === undefined) continue;
    commits.push(sha);
    for (const email of new Set([author.toLowerCase(), ...coAuthorsOf(body ?? "")])) {
      if (email.length === 0) continue;
      byEmail[email] ??= [];
      byEmail[email].push(sha);
    }
  }
  return { commits, emails: Object.keys(byEmail).sort(), byEmail };
}

export interface Reachability {
  reachable: boolean;
  /** The refs that were checked (`main`, `origin/main`, whichever exist). */
  checked: string[];
}

/** Whether `commit` is reachable from `branch` (the local branch or `origin/<branch>`). */
export async function isReachableFrom(dir: string, commit: string, branch: string): Promise<Reachability> {
  const repo = git(dir);
  const checked: string[] = [];
  for (const ref of [branch, `origin/${branch}`]) {
    const exists = await tryRaw(repo, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
    if (!exists) continue;
    checked.push(ref);
    // The merge base of an ancestor and a descendant is the ancestor itself. (simple-git does not
    // reject on an exit code without stderr, so `merge-base --is-ancestor` cannot be read reliably.)
    const base = await tryRaw(repo, ["merge-base", commit, ref]);
    if (base?.trim() === commit) return { reachable: true, checked };
  }
  return { reachable: false, checked };
}

/** The full SHA a ref names (a branch, `origin/<branch>`, a tag), or undefined when it does not exist. */
export async function refCommit(dir: string, ref: string): Promise<string | undefined> {
  if (ref.startsWith("-")) return undefined;
  const sha = await tryRaw(git(dir), ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  return sha && isFullSha(sha.trim()) ? sha.trim() : undefined;
}

/** The text of `path` as committed at `commit` (`git show <commit>:<path>`), or undefined when it is not there. */
export async function committedFile(dir: string, commit: string, path: string): Promise<string | undefined> {
  if (commit.startsWith("-")) return undefined;
  // Not trimmed: a YAML file is read as committed.
  return tryRaw(simpleGit({ baseDir: dir }), ["show", `${commit}:${path}`]);
}

/**
 * The commit a branch's committed files are trusted from: `origin/<branch>` when
 * it exists (what was merged, not what a local branch was moved to), else `<branch>`.
 */
export async function trustedBranchCommit(
  dir: string,
  branch: string,
): Promise<{ ref: string; commit: string } | undefined> {
  for (const ref of [`origin/${branch}`, branch]) {
    const commit = await refCommit(dir, ref);
    if (commit) return { ref, commit };
  }
  return undefined;
}

export interface TreeState {
  clean: boolean;
  /** Paths that are modified, staged, deleted or untracked (ignored files do not count). */
  dirty: string[];
}

export async function treeState(dir: string): Promise<TreeState> {
  const status = await git(dir).status();
  const dirty = [...new Set(status.files.map((f) => f.path))].sort();
  return { clean: dirty.length === 0, dirty };
}

/** The checked-out branch, or undefined on a detached HEAD (CI checkouts often are). */
export async function currentBranch(dir: string): Promise<string | undefined> {
  const name = await tryRaw(git(dir), ["rev-parse", "--abbrev-ref", "HEAD"]);
  return name && name !== "HEAD" ? name : undefined;
}

/** git's `user.email`, when set. */
export async function gitUserEmail(dir: string): Promise<string | undefined> {
  const email = await tryRaw(git(dir), ["config", "user.email"]);
  return email && email.length > 0 ? email : undefined;
}

function parseCommitLines(text: string): CommitInfo[] {
  return text
    .split(RECORD)
    .map((r) => r.replace(/^\s+/, ""))
    .filter((r) => r.length > 0)
    .map((record) => {
      const [sha = "", subject = "", authorName = "", authorEmail = "", date = ""] = record.split(FIELD);
      return {
        sha,
        shortSha: sha.slice(0, 7),
        subject,
        authorName,
        authorEmail: authorEmail.toLowerCase(),
        date,
      };
    });
}

const INFO_FORMAT = `--format=%H${FIELD}%s${FIELD}%an${FIELD}%ae${FIELD}%aI${RECORD}`;

/** The most recent commits reachable from `ref` (default HEAD), newest first. */
export async function recentCommits(dir: string, limit = 20, ref = "HEAD"): Promise<CommitInfo[]> {
  const text = await tryRaw(git(dir), [
    "log",
    INFO_FORMAT,
    `--max-count=${Math.max(1, Math.floor(limit))}`,
    ref,
  ]);
  return text ? parseCommitLines(text) : [];
}

export async function commitInfo(dir: string, sha: string): Promise<CommitInfo> {
  const text = await git(dir).raw(["log", INFO_FORMAT, "--max-count=1", sha]);
  const [info] = parseCommitLines(text);
  if (!info) throw unknownRef(sha);
  return info;
}

/** One commit of a log: its parents, author and whole message. */
export interface LoggedCommit {
  sha: string;
  parents: string[];
  authorName: string;
  /** Lower-cased. */
  authorEmail: string;
  /** ISO time the commit was authored. */
  date: string;
  /** Subject and body. */
  message: string;
  /** In a log between two commits: `to` when only the new commit has it, `from` when only the old one does. */
  side: "from" | "to";
}

// %m is the side mark of a symmetric range (`<` left, `>` right): git-log(1), PRETTY FORMATS.
const LOG_FORMAT = `--format=%m%H${FIELD}%P${FIELD}%an${FIELD}%ae${FIELD}%aI${FIELD}%B${RECORD}`;

function parseLog(text: string): LoggedCommit[] {
  const out: LoggedCommit[] = [];
  for (const raw of text.split(RECORD)) {
    const record = raw.replace(/^\s+/, "");
    if (record.length === 0) continue;
    const [head = "", parents = "", authorName = "", authorEmail = "", date = "", message = ""] =
      record.split(FIELD);
    const mark = head.charAt(0);
    const sha = /^[0-9a-f]/.test(mark) ? head : head.slice(1);
    if (!isFullSha(sha)) continue;
    out.push({
      sha,
      parents: parents.split(" ").filter((p) => p.length > 0),
      authorName,
      authorEmail: authorEmail.toLowerCase(),
      date,
      message: message.trim(),
      side: mark === "<" ? "from" : "to",
    });
  }
  return out;
}

export interface LogBetween {
  /** Newest first, at most `limit`. */
  commits: LoggedCommit[];
  /** How many commits each side has in all (more than listed when the limit cut the list). */
  toCount: number;
  fromCount: number;
}

/**
 * The commits between what runs (`from`; undefined: nothing yet) and what
 * comes (`to`), in one `git log` of the symmetric range `from...to`: those only
 * `to` has (released) and those only `from` has (un-released: a rollback, or
 * a branch that diverged). When the limit cuts the list, `git rev-list --count`
 * tells how many there are in all.
 */
export async function logBetween(
  dir: string,
  from: string | undefined,
  to: string,
  limit: number,
): Promise<LogBetween> {
  if (!isFullSha(to) || (from !== undefined && !isFullSha(from))) throw unknownRef(from ?? to);
  const repo = git(dir);
  const max = `--max-count=${Math.max(1, Math.floor(limit))}`;
  const range = from ? ["--left-right", `${from}...${to}`] : [to];
  let commits: LoggedCommit[];
  try {
    commits = parseLog(await repo.raw(["log", LOG_FORMAT, max, ...range, "--"]));
  } catch (error) {
    throw cannotList(from, to, error);
  }
  const listed = (side: LoggedCommit["side"]) => commits.filter((c) => c.side === side).length;
  if (commits.length < limit) return { commits, toCount: listed("to"), fromCount: listed("from") };
  const counts = await tryRaw(repo, ["rev-list", "--count", ...range]);
  const [left, right] = (counts ?? "").split(/\s+/).map((n) => (/^\d+$/.test(n) ? Number(n) : undefined));
  return from
    ? { commits, fromCount: left ?? listed("from"), toCount: right ?? listed("to") }
    : { commits, fromCount: 0, toCount: left ?? listed("to") };
}

/**
 * Whether `ancestor` is `descendant` or one of its ancestors (`git merge-base
 * --is-ancestor`: exit 0 yes, 1 no, anything else an error such as an unknown
 * commit, reported as undefined). Run directly: simple-git does not reject on
 * an exit code without stderr.
 */
export function isAncestor(dir: string, ancestor: string, descendant: string): Promise<boolean | undefined> {
  if (!isFullSha(ancestor) || !isFullSha(descendant)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    execFile("git", ["merge-base", "--is-ancestor", ancestor, descendant], { cwd: dir }, (error) => {
      if (!error) return resolve(true);
      resolve((error as { code?: unknown }).code === 1 ? false : undefined);
    });
  });
}

/** The most commits a search by text lists (an issue key rarely has more). */
export const MAX_MENTIONING = 500;

/**
 * Commits whose message mentions `text` (case-insensitive, as a fixed string:
 * `git log -i -F --grep`), reachable from any branch, remote branch or tag, or
 * from `starts` (full SHAs, e.g. what stacks run); newest first.
 */
export async function commitsMentioning(
  dir: string,
  text: string,
  starts: string[],
): Promise<LoggedCommit[]> {
  const from = starts.filter(isFullSha);
  const out = await tryRaw(git(dir), [
    "log",
    LOG_FORMAT,
    `--max-count=${MAX_MENTIONING}`,
    "-i",
    "-F",
    `--grep=${text}`,
    "--branches",
    "--remotes",
    "--tags",
    ...from,
    "--",
  ]);
  return out ? parseLog(out) : [];
}

/** The commits a merge commit brought in: reachable from it but not from its first parent (the merge excluded). */
export async function commitsMergedBy(dir: string, merge: string): Promise<LoggedCommit[]> {
  if (!isFullSha(merge)) return [];
  const out = await tryRaw(git(dir), ["log", LOG_FORMAT, `${merge}^1..${merge}`, "--"]);
  return (out ? parseLog(out) : []).filter((c) => c.sha !== merge);
}

/** git could not list the commits from `from` to `to`: most often one of them is not fetched. */
function cannotList(from: string | undefined, to: string, cause: unknown): UserError {
  return new UserError(`cannot list the commits ${from ? `between ${from} and ${to}` : `up to ${to}`}`, {
    tryMessage:
      "Run `git fetch --all --tags` so both commits are in this repository (a shallow clone needs `--unshallow`).",
    exitCode: ExitCode.usage,
    cause,
  });
}

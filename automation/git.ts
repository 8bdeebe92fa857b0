/**
 * What the operations ask git (through simple-git): which full SHA a ref
 * names, who wrote a range of commits, whether a commit is on a branch,
 * whether the tree is clean, and the recent log for the dashboard.
 */
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
    throw new UserError(`cannot list the commits ${from ? `between ${from} and ${to}` : `up to ${to}`}`, {
      tryMessage:
        "Run `git fetch --all --tags` so both commits are in this repository (a shallow clone needs `--unshallow`).",
      exitCode: ExitCode.usage,
      cause: error,
    });
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

/** Real git repositories in temp folders, for the git logic and the operations. */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Person {
  name: string;
  email: string;
}

export const ALICE: Person = { name: "Alice", email: "alice@example.com" };
export const BOB: Person = { name: "Bob", email: "Bob@Example.com" };
export const CAROL: Person = { name: "Carol", email: "carol@example.com" };
export const DAVE: Person = { name: "Dave", email: "dave@example.com" };

export class TempRepo {
  readonly dir: string;

  constructor(prefix = "flightdeck-git-") {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    this.git("init", "--quiet", "--initial-branch=main");
    this.git("config", "user.email", "ci@example.com");
    this.git("config", "user.name", "CI");
    this.git("config", "commit.gpgsign", "false");
  }

  git(...args: string[]): string {
    return execFileSync("git", args, {
      cwd: this.dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  }

  write(path: string, text: string): void {
    writeFileSync(join(this.dir, path), text);
  }

  /** Commit everything as `author`, with an optional message body (trailers). Returns the full SHA. */
  commit(author: Person, subject: string, body = ""): string {
    this.write(`${subject.replace(/\W+/g, "-")}.txt`, `${subject}\n`);
    this.git("add", "-A");
    const env = {
      ...process.env,
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email,
    };
    execFileSync("git", ["commit", "--quiet", "-m", body ? `${subject}\n\n${body}` : subject], {
      cwd: this.dir,
      env,
      stdio: "ignore",
    });
    return this.git("rev-parse", "HEAD");
  }
}

const PROJECT = new URL("../../", import.meta.url).pathname;

/** A repository holding flightdeck's committed project files (Pulumi.yaml and the stack configs). */
export function projectRepo(): TempRepo {
  const repo = new TempRepo("flightdeck-project-");
  for (const file of [
    "Pulumi.yaml",
    "Pulumi.production.yaml",
    "Pulumi.staging.yaml",
    "Pulumi.testing.yaml",
    "Pulumi.previews.yaml",
  ]) {
    copyFileSync(join(PROJECT, file), join(repo.dir, file));
  }
  repo.write(".gitignore", ".flightdeck/\n");
  repo.commit(CAROL, "project files");
  return repo;
}

/**
 * Which stacks have an update running, on the DIY backends (a folder or an S3
 * bucket), where `pulumi stack ls` never says: it reports `updateInProgress`
 * only for backends that `SupportsProgress()` (pkg/cmd/pulumi/stack/stack_list.go),
 * and the DIY backend does not.
 *
 * A running update holds a lock file, `.pulumi/locks/organization/<project>/<stack>/<id>.json`
 * (`stackLockDir` and `lockPath` in pkg/backend/diy/lock.go, with the stack's
 * fully qualified name `organization/<project>/<stack>` as folders), deleted
 * when the update ends. A lock left by a process that died counts as running
 * too, which is right: nobody may update that stack until a person clears it.
 */
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Backend } from "./backend.js";

/** DIY backends name every project stack's organization this way. */
const DIY_ORGANIZATION = "organization";

function lockPrefix(project: string): string {
  return `.pulumi/locks/${DIY_ORGANIZATION}/${project}/`;
}

/** The stacks of `project` that hold a lock; empty for backends it cannot read (Pulumi Cloud reports its own). */
export async function runningUpdates(backend: Backend, project: string): Promise<Set<string>> {
  if (backend.url.startsWith("file://") && backend.localDir && !backend.localDir.startsWith("~")) {
    return lockedInFolder(join(backend.localDir, lockPrefix(project)));
  }
  if (backend.url.startsWith("s3://")) {
    // Best effort: a bucket that cannot be listed here leaves Pulumi's own answer standing.
    return lockedInBucket(backend.url, project).catch(() => new Set<string>());
  }
  return new Set();
}

async function lockedInFolder(dir: string): Promise<Set<string>> {
  const locked = new Set<string>();
  if (!existsSync(dir)) return locked;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const files = await readdir(join(dir, entry.name));
    if (files.some((f) => f.endsWith(".json"))) locked.add(entry.name);
  }
  return locked;
}

/** Lock keys `<prefix>.pulumi/locks/organization/<project>/<stack>/<id>.json` → stack names. */
export function stacksOfLockKeys(keys: string[], project: string): Set<string> {
  const locked = new Set<string>();
  const marker = lockPrefix(project);
  for (const key of keys) {
    const at = key.indexOf(marker);
    if (at < 0 || !key.endsWith(".json")) continue;
    const [stack, file] = key.slice(at + marker.length).split("/");
    if (stack && file) locked.add(stack);
  }
  return locked;
}

/**
 * The bucket's lock objects, through the AWS SDK with the same settings the
 * URL gives Pulumi (`region`, `endpoint`, and path style for an endpoint, as
 * gocloud's s3blob reads them).
 */
async function lockedInBucket(url: string, project: string): Promise<Set<string>> {
  const parsed = new URL(url);
  const bucket = parsed.hostname;
  const basePath = parsed.pathname.replace(/^\/+/, "").replace(/\/?$/, parsed.pathname.length > 1 ? "/" : "");
  const region = parsed.searchParams.get("region") ?? undefined;
  const endpoint = parsed.searchParams.get("endpoint") ?? undefined;
  const { S3Client, ListObjectsV2Command } = await import("@aws-sdk/client-s3");
  const client = new S3Client({
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  });
  const keys: string[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: `${basePath}${lockPrefix(project)}`,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } finally {
    client.destroy();
  }
  return stacksOfLockKeys(keys, project);
}

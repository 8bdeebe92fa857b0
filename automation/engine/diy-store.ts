/**
 * The files of a DIY state backend (a folder, `file://`, or an S3 bucket,
 * `s3://`), read the way Pulumi's `Bucket` reads them (pkg/backend/diy/bucket.go
 * over gocloud's fileblob and s3blob): object keys under the backend's root,
 * listed one folder at a time, read whole. Nothing here ever writes.
 */
import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type * as S3 from "@aws-sdk/client-s3";
import type { Backend } from "./backend.js";

export interface StoreEntry {
  /** The object's name inside the folder listed (no `/`). */
  name: string;
  /** Last modification, in milliseconds since the epoch. */
  modified: number;
}

export interface DiyStore {
  /** What the URL names, for messages. */
  readonly where: string;
  /** The objects directly inside `dir` (a key prefix without the trailing `/`), sorted by name. */
  list(dir: string): Promise<StoreEntry[]>;
  /** The object's bytes; undefined when there is no such object. */
  read(key: string): Promise<Buffer | undefined>;
}

function byName(a: StoreEntry, b: StoreEntry): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** A `file://` backend's folder. */
export function folderStore(root: string): DiyStore {
  return {
    where: root,
    async list(dir) {
      const path = join(root, dir);
      if (!existsSync(path)) return [];
      const entries: StoreEntry[] = [];
      for (const entry of await readdir(path, { withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const info = await stat(join(path, entry.name)).catch(() => undefined);
        if (info) entries.push({ name: entry.name, modified: info.mtimeMs });
      }
      return entries.sort(byName);
    },
    async read(key) {
      try {
        return await readFile(join(root, key));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    },
  };
}

/** Bucket, key prefix and client settings of an `s3://bucket/prefix?region=..&endpoint=..` URL. */
export function parseBucketUrl(url: string): {
  bucket: string;
  prefix: string;
  region?: string;
  endpoint?: string;
} {
  const parsed = new URL(url);
  const path = parsed.pathname.replace(/^\/+/, "").replace(/\/+$/, "");
  const region = parsed.searchParams.get("region") ?? undefined;
  const endpoint = parsed.searchParams.get("endpoint") ?? undefined;
  return {
    bucket: parsed.hostname,
    prefix: path ? `${path}/` : "",
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
  };
}

/**
 * An S3 backend, through the AWS SDK with the settings the URL gives Pulumi
 * (`region`, `endpoint`, and path-style addressing with an endpoint, as
 * gocloud's s3blob reads them; the same as `locks.ts`). One client, made on
 * first use and kept for the engine's life.
 */
export function bucketStore(url: string): DiyStore {
  const { bucket, prefix, region, endpoint } = parseBucketUrl(url);
  let sdk: Promise<{ s3: typeof S3; client: S3.S3Client }> | undefined;
  const connect = () =>
    (sdk ??= import("@aws-sdk/client-s3").then((s3) => ({
      s3,
      client: new s3.S3Client({
        ...(region ? { region } : {}),
        ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
      }),
    })));
  return {
    where: url,
    async list(dir) {
      const { s3, client } = await connect();
      const folder = `${prefix}${dir}/`;
      const entries: StoreEntry[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new s3.ListObjectsV2Command({
            Bucket: bucket,
            Prefix: folder,
            Delimiter: "/",
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const object of page.Contents ?? []) {
          if (!object.Key || object.Key.length === folder.length) continue;
          entries.push({
            name: object.Key.slice(folder.length),
            modified: object.LastModified?.getTime() ?? 0,
          });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return entries.sort(byName);
    },
    async read(key) {
      const { s3, client } = await connect();
      try {
        const object = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: `${prefix}${key}` }));
        const bytes = await object.Body?.transformToByteArray();
        return bytes ? Buffer.from(bytes) : Buffer.alloc(0);
      } catch (error) {
        if ((error as { name?: string }).name === "NoSuchKey") return undefined;
        throw error;
      }
    },
  };
}

/**
 * The store of a DIY backend flightdeck can read itself; undefined for the
 * others (Pulumi Cloud, Azure, GCS, Postgres, a `~` path Pulumi expands), whose
 * reads stay with the CLI.
 */
export function storeFor(backend: Backend): DiyStore | undefined {
  if (backend.url.startsWith("file://") && backend.localDir && !backend.localDir.startsWith("~")) {
    return folderStore(backend.localDir);
  }
  if (backend.url.startsWith("s3://")) return bucketStore(backend.url);
  return undefined;
}

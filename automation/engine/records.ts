/**
 * flightdeck's own records about a stack, kept in the same state backend as
 * the stack (so every machine and CI run sees the same ones): the verdict of
 * each rollout, the last drift check. Pulumi's update history cannot be
 * amended after an update ends, and an update that Pulumi calls "succeeded"
 * is not yet a deploy that served: these records hold what flightdeck
 * verified afterwards.
 *
 * Layout: `<backend>/.flightdeck/records/<project>/<stack>/<kind>/<id>.json`.
 * Pulumi's DIY backend keeps everything it owns under `.pulumi/` (the
 * `StateDir` constant in pkg/backend/diy/backend.go, "where the Pulumi state
 * is kept"), so a sibling `.flightdeck/` folder is never read or removed by it.
 * One object per record: writers of different records never race on one file.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { RecordStore } from "../engine.js";
import type { Backend } from "./backend.js";

export type { RecordStore };

const ROOT = ".flightdeck/records";
const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function checkName(what: string, value: string): string {
  if (!SAFE.test(value) || value.length > 200) throw new Error(`invalid record ${what}: '${value}'`);
  return value;
}

function folderOf(project: string, stack: string, kind: string): string {
  return `${ROOT}/${checkName("project", project)}/${checkName("stack", stack)}/${checkName("kind", kind)}`;
}

/** Records in a folder (a file backend, or the per-user folder when the backend cannot hold them). */
export function folderRecords(baseDir: string, project: string): RecordStore {
  return {
    async list(stack, kind) {
      const dir = join(baseDir, folderOf(project, stack, kind));
      const out: Record<string, unknown> = {};
      if (!existsSync(dir)) return out;
      for (const name of await readdir(dir)) {
        if (!name.endsWith(".json")) continue;
        out[name.slice(0, -".json".length)] = JSON.parse(await readFile(join(dir, name), "utf8"));
      }
      return out;
    },
    async write(stack, kind, id, value) {
      const file = join(baseDir, folderOf(project, stack, kind), `${checkName("id", id)}.json`);
      await mkdir(dirname(file), { recursive: true });
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`);
      await rename(temp, file);
    },
  };
}

/** Records in an S3 bucket, with the settings the backend URL gives Pulumi (see `locks.ts`). */
export function bucketRecords(url: string, project: string): RecordStore {
  const parsed = new URL(url);
  const bucket = parsed.hostname;
  const basePath = parsed.pathname.replace(/^\/+/, "").replace(/\/?$/, parsed.pathname.length > 1 ? "/" : "");
  const region = parsed.searchParams.get("region") ?? undefined;
  const endpoint = parsed.searchParams.get("endpoint") ?? undefined;
  const client = async () => {
    const s3 = await import("@aws-sdk/client-s3");
    return {
      s3,
      client: new s3.S3Client({
        ...(region ? { region } : {}),
        ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
      }),
    };
  };
  return {
    async list(stack, kind) {
      const { s3, client: c } = await client();
      const prefix = `${basePath}${folderOf(project, stack, kind)}/`;
      const out: Record<string, unknown> = {};
      try {
        let token: string | undefined;
        do {
          const page = await c.send(
            new s3.ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix,
              ...(token ? { ContinuationToken: token } : {}),
            }),
          );
          for (const object of page.Contents ?? []) {
            if (!object.Key?.endsWith(".json")) continue;
            const body = await c.send(new s3.GetObjectCommand({ Bucket: bucket, Key: object.Key }));
            const text = (await body.Body?.transformToString()) ?? "null";
            out[object.Key.slice(prefix.length, -".json".length)] = JSON.parse(text);
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      } finally {
        c.destroy();
      }
      return out;
    },
    async write(stack, kind, id, value) {
      const { s3, client: c } = await client();
      try {
        await c.send(
          new s3.PutObjectCommand({
            Bucket: bucket,
            Key: `${basePath}${folderOf(project, stack, kind)}/${checkName("id", id)}.json`,
            Body: `${JSON.stringify(value, null, 2)}\n`,
            ContentType: "application/json",
          }),
        );
      } finally {
        c.destroy();
      }
    },
  };
}

/**
 * The record store of a backend: its folder, its bucket, or (Pulumi Cloud and
 * other backends, which hold no files of ours) `fallbackDir`, a folder on this
 * machine only; the README says so.
 */
export function recordStoreFor(backend: Backend, project: string, fallbackDir: string): RecordStore {
  if (backend.url.startsWith("file://") && backend.localDir && !backend.localDir.startsWith("~")) {
    return folderRecords(backend.localDir, project);
  }
  if (backend.url.startsWith("s3://")) return bucketRecords(backend.url, project);
  return folderRecords(fallbackDir, project);
}

/** Records in memory (the in-memory engine). */
export function memoryRecords(): RecordStore {
  const all = new Map<string, Record<string, unknown>>();
  return {
    async list(stack, kind) {
      return structuredClone(all.get(`${stack}/${kind}`) ?? {});
    },
    async write(stack, kind, id, value) {
      checkName("id", id);
      const key = `${stack}/${kind}`;
      all.set(key, { ...(all.get(key) ?? {}), [id]: structuredClone(value) });
    },
  };
}

/** A store made on first use (the engine learns its project's name lazily). */
export function lazyRecords(make: () => Promise<RecordStore>): RecordStore {
  let store: Promise<RecordStore> | undefined;
  const get = () => (store ??= make());
  return {
    list: async (stack, kind) => (await get()).list(stack, kind),
    write: async (stack, kind, id, value) => (await get()).write(stack, kind, id, value),
  };
}

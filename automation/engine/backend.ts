/**
 * The state backend and the secrets of the Automation API engine: where state
 * lives, what encrypts secrets, and how a person clears a stale lock.
 *
 * Every stack runs from its own work directory, so anything the user gave as
 * a relative path would resolve per stack (Pulumi makes a `file://` path
 * absolute against its own working directory: `massageBlobPath` in
 * pkg/backend/diy/backend.go): flightdeck resolves such paths once, against
 * the directory flightdeck was started in.
 */
import { homedir } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { ExitCode, UserError } from "../../infra/errors.js";
import type { StackFile } from "./workdir.js";

type Env = Record<string, string | undefined>;

export interface Backend {
  url: string;
  /** The folder of a file backend (created on first use). */
  localDir?: string;
}

const FILE_PREFIX = "file://";

/** `PULUMI_BACKEND_URL` (a relative `file://` path made absolute), else the per-user file backend. */
export function backendUrlFor(env: Env, home: string = homedir(), cwd: string = process.cwd()): Backend {
  const configured = env.PULUMI_BACKEND_URL?.trim();
  if (!configured) {
    const localDir = resolve(home, ".flightdeck", "state");
    return { url: `${FILE_PREFIX}${localDir}`, localDir };
  }
  if (!configured.startsWith(FILE_PREFIX)) return { url: configured };
  const [rawPath = "", query] = configured.slice(FILE_PREFIX.length).split("?", 2);
  // `~` is Pulumi's to expand (it does, in massageBlobPath); only plain relative paths move.
  if (rawPath.startsWith("~") || isAbsolute(rawPath)) return { url: configured, localDir: rawPath };
  const localDir = resolve(cwd, rawPath);
  return { url: `${FILE_PREFIX}${localDir}${query === undefined ? "" : `?${query}`}`, localDir };
}

/** The passphrase variables Pulumi reads, with a relative passphrase file made absolute. */
export function passphraseEnv(env: Env, cwd: string = process.cwd()): Record<string, string> {
  const out: Record<string, string> = {};
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) out.PULUMI_CONFIG_PASSPHRASE = env.PULUMI_CONFIG_PASSPHRASE;
  const file = env.PULUMI_CONFIG_PASSPHRASE_FILE?.trim();
  if (file) out.PULUMI_CONFIG_PASSPHRASE_FILE = resolve(cwd, file);
  return out;
}

/**
 * The environment of every `pulumi` process: the engine's whole environment
 * (credentials, PATH with any ambient plugins, which Pulumi passes on to the
 * plugins it starts), with the backend and the passphrase resolved.
 */
export function pulumiEnv(env: Env, backend: Backend): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return { ...out, ...passphraseEnv(env), PULUMI_BACKEND_URL: backend.url, PULUMI_SKIP_UPDATE_CHECK: "true" };
}

const KMS_PROVIDER = /^(awskms|gcpkms|azurekeyvault|hashivault):\/\//;

export type SecretsSource = { kind: "passphrase" } | { kind: "provider"; provider: string };

/** Where a stack's secrets are encrypted with, or a UserError saying what to set. */
export function secretsSourceFor(stack: string, env: Env, stackFile?: StackFile): SecretsSource {
  const provider = stackFile?.secretsprovider;
  if (typeof provider === "string" && KMS_PROVIDER.test(provider)) return { kind: "provider", provider };
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined || env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    return { kind: "passphrase" };
  }
  throw new UserError(`no way to encrypt the secrets of stack '${stack}'`, {
    tryMessage:
      "Set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE, a file holding it), or set `secretsprovider: awskms://<key>` in the stack's Pulumi.<stack>.yaml.",
    nextSteps: ["In CI, keep the passphrase in a secured repository variable."],
    exitCode: ExitCode.usage,
  });
}

/**
 * The stack file's encryption settings from a stack's exported deployment
 * (`pulumi stack export`: `deployment.secrets_providers`), for a machine that
 * has no stack file yet. Without them Pulumi would make a new salt or data key
 * and the stack's secret config could no longer be read.
 */
export function encryptionFromDeployment(exported: unknown): Partial<StackFile> {
  const providers = (exported as { deployment?: { secrets_providers?: unknown } } | undefined)?.deployment
    ?.secrets_providers as { type?: string; state?: Record<string, unknown> } | undefined;
  const state = providers?.state ?? {};
  if (providers?.type === "passphrase" && typeof state.salt === "string") {
    return { encryptionsalt: state.salt };
  }
  if (providers?.type === "cloud" && typeof state.url === "string") {
    return {
      secretsprovider: state.url,
      ...(typeof state.encryptedkey === "string" ? { encryptedkey: state.encryptedkey } : {}),
    };
  }
  return {};
}

/**
 * What to run to clear a stale lock, with the backend flightdeck uses (a bare
 * `pulumi cancel` would look in another backend). On a DIY backend `pulumi
 * cancel` deletes the stack's lock files (`CancelCurrentUpdate` in
 * pkg/backend/diy/backend.go).
 */
export function cancelCommand(stack: string, backendUrl: string, workDir: string): string {
  return `PULUMI_BACKEND_URL='${displayUrl(backendUrl)}' pulumi cancel --yes --stack ${stack} --cwd '${workDir}'`;
}

/** A backend URL fit to print: a password in it (a Postgres backend's) is masked, as Pulumi masks it. */
export function displayUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@?#]*):[^@/?#]*@/i, "$1:****@");
}

/**
 * Resolving what a button acts on, each announced as a step: the committed
 * environment config, the actor, the commit and the commit's image.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { parseStackConfigYaml, type StackConfig, stackConfigFileName } from "../../../infra/config.js";
import { stackNameProblems } from "../../../infra/config/cross-field-rules.js";
import { ConfigError } from "../../../infra/errors.js";
import { shortSha } from "../../../infra/naming.js";
import { resolveActor } from "../../actor.js";
import type { Actor } from "../../api.js";
import { requireEnvironmentFile } from "../../environments.js";
import { gitUserEmail, resolveCommit } from "../../git.js";
import type { OperationContext } from "../../run.js";
import type { Context } from "../context.js";

/** Who runs the operation (see `actor.ts`); a `--actor` or `FLIGHTDECK_ACTOR` naming someone else is reported, and ignored. */
export async function actorOf(ctx: Context, op: OperationContext, flag: string | undefined): Promise<Actor> {
  const { actor, warnings } = await resolveActor(flag, ctx.env, () => gitUserEmail(ctx.projectDir));
  for (const message of warnings) op.emit({ type: "diagnostic", severity: "warning", message });
  return actor;
}

/** A ref (default HEAD) as the full SHA. */
export async function commitOf(ctx: Context, op: OperationContext, ref: string | undefined): Promise<string> {
  const sha = await resolveCommit(ctx.projectDir, ref ?? "HEAD");
  const named = ref ?? "HEAD";
  op.emit({ type: "step", message: named === sha ? `commit ${sha}` : `commit ${named} is ${sha}` });
  return sha;
}

/** The environment's `Pulumi.<stack>.yaml`, validated by the one schema and against the stack's name. */
export async function environmentConfig(
  ctx: Context,
  op: OperationContext,
  stack: string,
): Promise<StackConfig> {
  await requireEnvironmentFile(ctx.projectDir, stack);
  const source = stackConfigFileName(stack);
  const config = stackConfigOf(stack, await readFile(join(ctx.projectDir, source), "utf8"), source);
  op.emit({
    type: "step",
    message: `${source} is valid (${config.environment}, ${config.region})`,
  });
  return config;
}

/**
 * A stack's config text validated by the one schema and by the rule between
 * the stack's name and its `environment` (`stackNameProblems`): every problem
 * in one `ConfigError` (exit 2), the name rule's first.
 */
export function stackConfigOf(stack: string, text: string, source: string): StackConfig {
  let config: StackConfig;
  try {
    config = parseStackConfigYaml(text, source);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const named = stackNameProblems(stack, environmentIn(text), source);
    if (named.length === 0) throw error;
    throw new ConfigError(source, [...named, ...error.problems]);
  }
  const problems = stackNameProblems(stack, config.environment, source);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return config;
}

/** The `flightdeck:environment` a config text says, read leniently ("" when it says none). */
function environmentIn(text: string): string {
  try {
    const doc = parse(text, { logLevel: "silent", uniqueKeys: false }) as {
      config?: Record<string, unknown>;
    } | null;
    const value = doc?.config?.["flightdeck:environment"];
    return typeof value === "string" ? value : "";
  } catch {
    return "";
  }
}

/** The universal image built for the commit, in the stack's region. */
export async function imageFor(
  ctx: Context,
  op: OperationContext,
  commit: string,
  region: string,
): Promise<string> {
  const imageId = await ctx.images.imageFor(commit, region);
  op.emit({ type: "step", message: `image for ${shortSha(commit)} in ${region}: ${imageId}` });
  return imageId;
}

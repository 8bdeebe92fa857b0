/**
 * Which environments a project has: one committed `Pulumi.<env>.yaml` each.
 * Light on purpose (no engine, no Pulumi), so the CLI can tell a person about
 * a mistyped environment before it loads anything heavy.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { stacksWithConfig } from "../infra/config.js";
import { UserError } from "../infra/errors.js";
import { isPreviewStackName } from "../infra/naming.js";

/** The environments of a project: every `Pulumi.<env>.yaml` but previews', sorted. */
export async function knownEnvironments(projectDir: string): Promise<string[]> {
  return (await stacksWithConfig(projectDir)).filter((s) => !isPreviewStackName(s));
}

/** Throws the user error for a name that is not an environment of this project (exit 2). */
export async function requireEnvironmentFile(projectDir: string, stack: string): Promise<void> {
  if (isPreviewStackName(stack)) {
    throw new UserError(`'${stack}' is a preview stack, not an environment`, {
      tryMessage: "Use `flightdeck preview up --commit <ref>` for previews.",
    });
  }
  const file = `Pulumi.${stack}.yaml`;
  if (existsSync(join(projectDir, file))) return;
  const known = await knownEnvironments(projectDir);
  throw new UserError(`unknown environment '${stack}': there is no ${file} in ${projectDir}`, {
    tryMessage:
      known.length > 0
        ? `Known environments: ${known.join(", ")}.`
        : "No Pulumi.<env>.yaml files exist here.",
    nextSteps: ["An environment is a committed Pulumi.<env>.yaml validated by flightdeck's schema."],
  });
}

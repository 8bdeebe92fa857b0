/**
 * Production's rules (`flightdeck:protection`, with its people), read from
 * `Pulumi.production.yaml` as committed on the rules branch (`origin/main`,
 * else `main`), never from the work tree or the commit being deployed: nobody
 * switches a rule off with an edit they have not merged. Other stacks' rules
 * are their own config's.
 */
import { type ProtectionConfig, type StackConfig, stackConfigFileName } from "../../../infra/config.js";
import { isProductionStack } from "../../../infra/config/cross-field-rules.js";
import { committedFile, trustedBranchCommit } from "../../git.js";
import type { RulesSource } from "../../guards.js";
import type { Context } from "../context.js";
import { stackConfigOf } from "./resolve.js";

/** The branch production's rules are read from. */
export const RULES_BRANCH = "main";

export interface ProtectionRules {
  protection: ProtectionConfig;
  /** Production only: where the rules came from (not found: refused by the `protection-rules` guard). */
  rules?: { branch: string; source: RulesSource };
}

/** The rules that guard a release to `stack`; `config` is the stack's own (work tree) config. */
export async function protectionRulesOf(
  ctx: Context,
  stack: string,
  config: StackConfig,
): Promise<ProtectionRules> {
  if (!isProductionStack(stack)) return { protection: config.protection };
  const file = stackConfigFileName(stack);
  const branch = RULES_BRANCH;
  const trusted = await trustedBranchCommit(ctx.projectDir, branch);
  if (!trusted) return { protection: config.protection, rules: { branch, source: { found: false, file } } };
  const text = await committedFile(ctx.projectDir, trusted.commit, file);
  if (text === undefined) {
    return {
      protection: config.protection,
      rules: { branch, source: { found: false, file, ref: trusted.ref } },
    };
  }
  const committed = stackConfigOf(stack, text, `${trusted.ref}:${file}`);
  return {
    protection: committed.protection,
    rules: { branch, source: { found: true, ref: trusted.ref, commit: trusted.commit, file } },
  };
}

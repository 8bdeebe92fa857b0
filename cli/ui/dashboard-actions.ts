/**
 * What the dashboard's keys start, as pure functions: the actions, the
 * promotion order, and each action's title and stack for the confirmation.
 */
import type { ReleasesInput, StackStatus } from "../../automation/api.js";
import { short } from "../format.js";

export type DashboardAction =
  | { kind: "deploy"; env: string; commit: string }
  | { kind: "promote"; from: string; to: string }
  | { kind: "rollback"; env: string; commit: string }
  | { kind: "preview up"; commit: string }
  | { kind: "preview down"; ref: string };

/** The environments in promotion order: `p` promotes the selected one to the next. */
export const PROMOTION_CHAIN = ["testing", "staging", "production"] as const;

export function promotionTarget(stack: string): string | undefined {
  const i = (PROMOTION_CHAIN as readonly string[]).indexOf(stack);
  return i >= 0 && i < PROMOTION_CHAIN.length - 1 ? PROMOTION_CHAIN[i + 1] : undefined;
}

export const HELP_LINE =
  "↑/↓ move · enter history · c commits · d deploy · p promote · r roll back · n new preview · x destroy preview · g refresh · q quit";

/**
 * What `c` lists for a row: the commits its next release brings. An environment
 * after another in the promotion order gets that one's commit (the promotion
 * that closes its BEHIND); any other environment, HEAD (a deploy). Previews: none.
 */
export function releasesRequest(row: StackStatus): { title: string; input: ReleasesInput } | undefined {
  if (row.environment === "preview" || row.environment === "previews") return undefined;
  const i = (PROMOTION_CHAIN as readonly string[]).indexOf(row.stack);
  const from = i > 0 ? PROMOTION_CHAIN[i - 1] : undefined;
  if (from) {
    return {
      title: `What promoting ${from} to ${row.stack} releases`,
      input: { operation: "promote", from, stack: row.stack },
    };
  }
  return {
    title: `What deploying HEAD to ${row.stack} releases`,
    input: { operation: "deploy", stack: row.stack },
  };
}

export function isProduction(row: StackStatus | undefined, stack: string): boolean {
  return row?.environment === "production" || stack === "production";
}

export function actionTitle(action: DashboardAction): string {
  switch (action.kind) {
    case "deploy":
      return `deploy ${short(action.commit)} to ${action.env}`;
    case "promote":
      return `promote ${action.from} to ${action.to}`;
    case "rollback":
      return `roll ${action.env} back to ${short(action.commit)}`;
    case "preview up":
      return `open a preview of ${short(action.commit)}`;
    case "preview down":
      return `destroy ${action.ref}`;
  }
}

export function actionStack(action: DashboardAction): string | undefined {
  switch (action.kind) {
    case "deploy":
    case "rollback":
      return action.env;
    case "promote":
      return action.to;
    case "preview down":
      return action.ref;
    case "preview up":
      return undefined;
  }
}

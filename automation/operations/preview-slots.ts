/**
 * A preview's place on the shared load balancer: its listener rule priority,
 * allocated once and kept for the life of the stack, and the refusal of a
 * preview past the load balancer's target group quota.
 */
import { GuardError } from "../../infra/errors.js";
import { previewRulePriority } from "../../infra/naming.js";
import { allocateRulePriority, MAX_LIVE_PREVIEWS, preferredRulePriority } from "../../infra/preview-names.js";

/** What `preview up` knows of the previews that live now (other than the one it makes). */
export interface LivePreviews {
  /** Every preview stack, readable or not (each holds a target group on the shared load balancer). */
  stacks: string[];
  /** The listener rule priority each readable preview holds. */
  priorities: Record<string, number>;
}

/**
 * The priority a preview's rule holds: the one recorded when it was made, else (a
 * commit preview made before priorities were recorded) the one its SHA gives.
 */
export function heldPriority(
  stack: string,
  meta: { rulePriority?: unknown; commit?: string },
): number | undefined {
  if (typeof meta.rulePriority === "number") return meta.rulePriority;
  if (!stack.startsWith("preview-b-") && meta.commit) return previewRulePriority(meta.commit);
  return undefined;
}

/**
 * The rule priority of `stack`: the one it already has, else the first free one from
 * where its name (or a commit preview's SHA, as before) points. Refuses (exit 3) a new
 * preview when the shared load balancer already serves `MAX_LIVE_PREVIEWS`.
 */
export function previewSlot(
  stack: string,
  commit: string,
  recorded: number | undefined,
  live: LivePreviews,
): number {
  const others = live.stacks.filter((s) => s !== stack);
  const isNew = others.length === live.stacks.length;
  if (isNew && others.length >= MAX_LIVE_PREVIEWS) {
    throw new GuardError(
      "preview-capacity",
      `${stack} would be preview number ${others.length + 1}: the shared load balancer serves at most ` +
        `${MAX_LIVE_PREVIEWS} previews (one target group each; AWS quota "Target groups per Application Load Balancer" = 100)`,
      {
        tryMessage:
          "Make room first: `flightdeck reap --dry-run` lists the previews that can go, `flightdeck reap` removes them, " +
          "or `flightdeck preview down <stack>` removes one you no longer need.",
        nextSteps: ["`flightdeck preview list` shows every preview with its branch, author and expiry."],
      },
    );
  }
  const taken = new Set(others.map((s) => live.priorities[s]).filter((p): p is number => p !== undefined));
  if (recorded !== undefined && !taken.has(recorded)) return recorded;
  const preferred = stack.startsWith("preview-b-")
    ? preferredRulePriority(stack)
    : previewRulePriority(commit);
  return allocateRulePriority(preferred, taken);
}

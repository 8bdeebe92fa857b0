/**
 * Cost per day for the status matrix and the dashboard, from the offline plan
 * (flightdeck's own price table over the resources the real program would
 * create under Pulumi's mock runtime).
 *
 * - Cached by what the cost depends on: the environment's config without the
 *   release, image and preview metadata (every preview of one base config
 *   costs the same, whatever its commit), so a backend of many previews
 *   plans a handful of times, not once per stack.
 * - One plan at a time: the mock runtime is process-wide state, and status
 *   reads many stacks at once.
 * - `costWhenKnown` never waits for a plan (the dashboard's refreshes).
 */
import { type StackConfig, withoutReleaseFields } from "../infra/config.js";
import type { OfflinePlanner } from "./wiring.js";

export type CostPerDay = (stack: string, config: StackConfig) => Promise<number | undefined>;

/** The part of a config the cost depends on, as a cache key. */
export function costKey(config: StackConfig): string {
  return JSON.stringify(withoutReleaseFields(config));
}

export function createCostPerDay(planner: OfflinePlanner, projectDir: string, now: () => Date): CostPerDay {
  const cache = new Map<string, Promise<number | undefined>>();
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task, task);
    queue = next.catch(() => undefined);
    return next;
  };
  return (stack, config) => {
    const key = costKey(config);
    const hit = cache.get(key);
    if (hit) return hit;
    const commit = config.image.commit;
    // A preview is planned as `plan preview --commit`, from the previews base config.
    const target = config.environment === "preview" ? "preview" : stack;
    if (target === "preview" && commit === undefined) return Promise.resolve(undefined);
    const estimate = serial(async () => {
      const plan = await planner({ projectDir, stack: target, now: now(), ...(commit ? { commit } : {}) });
      return plan.cost.daily;
    }).catch(() => undefined);
    cache.set(key, estimate);
    return estimate;
  };
}

/**
 * The cost when it is already estimated, else `undefined` at once while the
 * estimate goes on (it is there for a later call). The dashboard's refreshes
 * never wait for an offline plan: costs join the screen as they are ready.
 */
export function costWhenKnown(cost: CostPerDay): CostPerDay {
  // A settled estimate wins the race (its reaction runs first); a pending one loses to `undefined`.
  return (stack, config) => Promise.race([cost(stack, config), Promise.resolve(undefined)]);
}

/**
 * plan STACK [--commit REF]: a real `pulumi preview` through the engine, with
 * the offline plan's cost and policy results for the same stack. No guards;
 * it fails on a mandatory policy violation and leaves no planned image behind.
 */
import { withoutReleaseFields } from "../../infra/config.js";
import { isPreviewStackName } from "../../infra/naming.js";
import type { PlanInput } from "../api.js";
import { configMapOf, IMAGE_KEY, recordedRelease, stackConfigOf } from "../config-map.js";
import type { ConfigMap } from "../engine.js";
import { OperationFailedError } from "../errors.js";
import type { Context } from "./context.js";
import { commitOf, environmentConfig, imageFor } from "./steps/resolve.js";
import { runUpdate } from "./steps/run-update.js";

export function plan(ctx: Context, input: PlanInput): Promise<unknown> {
  const { engine } = ctx;
  return ctx.run("plan", { stack: input.stack }, async (op) => {
    const stack = input.stack;
    const preview = isPreviewStackName(stack);
    // A preview's config lives only in its stack; an environment's is the committed file.
    const previewConfig = preview ? await engine.getConfig(stack) : undefined;
    const config = previewConfig
      ? stackConfigOf(previewConfig, `stack ${stack}`)
      : await environmentConfig(ctx, op, stack);
    const commit = input.commit ? await commitOf(ctx, op, input.commit) : undefined;
    if (!preview) {
      // The committed config, without flightdeck's own keys (they keep what the stack runs).
      await engine.ensureStack(stack);
      await engine.setConfig(stack, configMapOf(withoutReleaseFields(config)));
    }
    // What the stack records before this plan (setting the committed config left flightdeck's keys as
    // they were). A plan must not leave another image there, or `status` of a stack never deployed
    // would show the planned commit as if it ran.
    const recorded = previewConfig ?? (await engine.getConfig(stack).catch((): ConfigMap => ({})));
    const recordedImage = recorded[IMAGE_KEY];
    if (commit) {
      // Plan the commit's image, not the running one.
      const imageId = await imageFor(ctx, op, commit, config.region);
      await engine.setConfig(stack, configMapOf({ image: { commit, amiId: imageId } }));
    }
    const planned = commit ?? recordedRelease(recorded).commit ?? config.image.commit;
    const restoreImage = async () => {
      if (commit) await engine.setConfig(stack, { [IMAGE_KEY]: recordedImage ?? { value: "{}" } });
    };
    const engineResult = await runUpdate(ctx, op, stack, `flightdeck plan ${stack}`, (o) =>
      engine.preview(stack, o),
    ).finally(restoreImage);
    // The offline plan evaluates the same program under mocks: its cost and policy results apply to this stack.
    const { planOffline, mandatoryViolations, PREVIEW_PLAN } = await import("../../infra/plan.js");
    const offline = await planOffline({
      projectDir: ctx.projectDir,
      stack: preview ? PREVIEW_PLAN : stack,
      ...(planned ? { commit: planned } : {}),
    });
    const data = {
      ...offline,
      stack,
      offline: false as const,
      engine: { changes: engineResult.changes },
    };
    const changed = Object.entries(engineResult.changes)
      .filter(([kind]) => kind !== "same")
      .reduce((n, [, c]) => n + (c ?? 0), 0);
    const violations = mandatoryViolations(offline);
    if (violations.length > 0) {
      throw new OperationFailedError(`${stack}: ${violations.length} mandatory policy violation(s)`, data, {
        tryMessage: "Fix the stack config so every mandatory policy passes; the plan lists each violation.",
      });
    }
    return {
      data,
      summary: `${stack}: ${changed} change(s) planned`,
      stack,
      changes: engineResult.changes,
    };
  });
}

/**
 * preview sleep / wake REF: record a sleep or wake by hand on a preview
 * (`previewMeta.power`, which wins over the working-hours schedule) and run
 * `up` through the release step, so the stack's history says who did it.
 * Asleep: capacity 0 and the sleeping page until woken. Awake: capacity 1
 * until the schedule's next sleep (always, when the schedule is off).
 */
import type { PreviewMeta } from "../../infra/config.js";
import { UserError } from "../../infra/errors.js";
import { shortSha } from "../../infra/naming.js";
import type { DeployResult, PreviewPowerInput } from "../api.js";
import { recordedRelease, stackConfigOf } from "../config-map.js";
import { StackNotFoundError } from "../engine.js";
import type { OperationName } from "../events.js";
import { wakeUntil } from "../preview-power.js";
import type { Context } from "./context.js";
import { noSuchPreview, previewStackOf } from "./previews.js";
import { release } from "./steps/release.js";
import { runUpdate } from "./steps/run-update.js";
import { actorOf } from "./steps/resolve.js";

export function previewSleep(ctx: Context, input: PreviewPowerInput): Promise<DeployResult> {
  return setPower(ctx, "previewSleep", input, "asleep");
}

export function previewWake(ctx: Context, input: PreviewPowerInput): Promise<DeployResult> {
  return setPower(ctx, "previewWake", input, "awake");
}

function setPower(
  ctx: Context,
  operation: OperationName,
  input: PreviewPowerInput,
  state: "asleep" | "awake",
): Promise<DeployResult> {
  return ctx.run(operation, {}, async (op) => {
    const stack = await previewStackOf(ctx, input.ref);
    const actor = await actorOf(ctx, op, input.actor);
    const current = await ctx.engine.getConfig(stack).catch((error: unknown) => {
      if (error instanceof StackNotFoundError) throw noSuchPreview(stack, input.ref);
      throw error;
    });
    const recorded = recordedRelease(current);
    if (!recorded.previewMeta?.commit || !recorded.imageId) {
      throw new UserError(
        `${stack} has no recorded commit and image to run: it cannot be put to sleep or woken`,
        {
          tryMessage: "Run `flightdeck preview up` for it first.",
        },
      );
    }
    const config = stackConfigOf(current, `stack ${stack}`);
    if (config.environment !== "preview" || !config.previewMeta) {
      throw new UserError(`${stack} is not a preview stack (its config says ${config.environment})`);
    }
    const until = state === "awake" ? wakeUntil(config.preview.schedule, ctx.now()) : undefined;
    const power: NonNullable<PreviewMeta["power"]> = { state, ...(until ? { until } : {}) };
    op.emit({
      type: "step",
      message:
        state === "asleep"
          ? `${stack}: asleep by hand (capacity 0, the sleeping page) until \`flightdeck preview wake ${stack}\``
          : `${stack}: awake by hand ${until ? `until ${until}, the next scheduled sleep` : "(no sleep schedule)"}`,
    });
    const commit = recorded.previewMeta.commit;
    // The schedules change the group's capacity and the rule's action outside Pulumi: refresh
    // first, so `up` compares against what AWS has now (else a wake after a scheduled sleep
    // finds "forward" in the state and changes nothing, and the page stays).
    await runUpdate(
      ctx,
      op,
      stack,
      `flightdeck preview ${state === "asleep" ? "sleep" : "wake"}: refresh`,
      (o) => ctx.engine.refresh(stack, o),
    );
    const result = await release(ctx, op, {
      stack,
      config: { ...config, previewMeta: { ...config.previewMeta, power } },
      commit,
      imageId: recorded.imageId,
      actor,
      operation: "preview",
    });
    const word = state === "asleep" ? "asleep" : `awake${until ? ` until ${until}` : ""}`;
    return { ...result, summary: `${stack} (${shortSha(commit)}) is ${word}` };
  });
}

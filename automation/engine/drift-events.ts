/**
 * What a refresh preview and an exported state say, as the engine port's
 * types: pure functions, tested without a CLI.
 *
 * Drift: in a refresh, the engine reports each resource's step under its
 * *result* op, not `refresh`: `OnResourceOutputs` in pkg/engine/update.go
 * (Pulumi 3.248.0, for both the preview and the update path: "Refreshes are
 * handled specially") emits the resource-outputs event with
 * `RefreshStep.ResultOp()` (pkg/resource/deploy/step.go), which is `delete`
 * when the resource is gone, `same` when the read state does not differ, and
 * `update` otherwise. So every `update` or `delete` outputs event of a refresh
 * preview is a resource changed outside flightdeck; its `diffs` name the
 * properties.
 */
import type * as Auto from "@pulumi/pulumi/automation/index.js";
import type { DriftedResource, DriftResult, StateResource } from "../engine.js";
import { changesOf } from "./pulumi-records.js";

export type { DriftResult, StateResource };

function nameOfUrn(urn: string): string {
  const parts = urn.split("::");
  return parts[parts.length - 1] ?? urn;
}

/** The drifted resource an engine event reports, if it reports one. */
export function driftedOf(event: Auto.EngineEvent): DriftedResource | undefined {
  const meta = event.resOutputsEvent?.metadata;
  if (!meta || (meta.op !== "update" && meta.op !== "delete")) return undefined;
  // The stack itself and providers are not cloud resources that can drift.
  if (meta.type === "pulumi:pulumi:Stack" || meta.type.startsWith("pulumi:providers:")) return undefined;
  const properties = meta.op === "update" ? changedProperties(meta) : [];
  return {
    urn: meta.urn,
    type: meta.type,
    name: nameOfUrn(meta.urn),
    change: meta.op,
    ...(properties.length > 0 ? { properties } : {}),
  };
}

/**
 * The properties a refresh found changed: the provider's changed keys (`diffs`)
 * and detailed diff (top-level names of its paths); when the provider names
 * none, the top-level outputs that differ between the state (`old`) and what
 * was read (`new`). Names only: values, secrets among them, never leave here.
 */
function changedProperties(meta: Auto.StepEventMetadata): string[] {
  const names = new Set<string>(meta.diffs ?? []);
  for (const path of Object.keys(meta.detailedDiff ?? {})) names.add(path.split(/[.[]/)[0] ?? path);
  if (names.size === 0) {
    const before = meta.old?.outputs ?? {};
    const after = meta.new?.outputs ?? {};
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) names.add(key);
    }
  }
  return [...names].filter(Boolean).sort();
}

type Start = (
  s: Auto.Stack,
  o: Auto.UpOptions & Auto.PreviewOptions & Auto.DestroyOptions,
) => Promise<Auto.PreviewResult>;

/**
 * A refresh preview run through `run` (the engine's update runner, which
 * supplies the options: events, cancellation), with the drifted resources
 * collected from its events.
 */
export async function refreshPreviewOf(
  run: (start: Start) => Promise<Auto.PreviewResult>,
): Promise<DriftResult> {
  const drifted = new Map<string, DriftedResource>();
  const result = await run((s, o) =>
    s.previewRefresh({
      ...o,
      onEvent: (event) => {
        const found = driftedOf(event);
        if (found) drifted.set(found.urn, found);
        o.onEvent?.(event);
      },
    }),
  );
  return {
    changes: changesOf(result.changeSummary),
    drifted: [...drifted.values()].sort((a, b) => a.urn.localeCompare(b.urn)),
  };
}

interface ExportedResource {
  urn?: unknown;
  type?: unknown;
  id?: unknown;
  custom?: unknown;
  delete?: unknown;
  outputs?: Record<string, unknown>;
}

/**
 * The custom resources of an exported state (`pulumi stack export`: the
 * `deployment.resources` array of apitype.DeploymentV3), with their IDs and
 * ARNs; a resource pending deletion is left out (it is already gone).
 */
export function stateResourcesOf(exported: { deployment?: unknown }): StateResource[] {
  const deployment = exported.deployment as { resources?: ExportedResource[] } | undefined;
  const out: StateResource[] = [];
  for (const r of deployment?.resources ?? []) {
    if (r.custom !== true || r.delete === true || typeof r.urn !== "string" || typeof r.type !== "string")
      continue;
    if (r.type.startsWith("pulumi:providers:")) continue;
    const arn = r.outputs?.arn;
    out.push({
      urn: r.urn,
      type: r.type,
      ...(typeof r.id === "string" && r.id ? { id: r.id } : {}),
      ...(typeof arn === "string" && arn ? { arn } : {}),
    });
  }
  return out;
}

/**
 * A scripted cloud for fast tests and benchmarks (no AWS, no network): the
 * release machine "runs" when started and reports what the script says; the
 * groups' refreshes, target health and the commit served are what the script
 * says, or by default a healthy cloud: no refresh pending, every target
 * healthy, and each URL serving the commit its stack was last released with
 * (read from the linked engine).
 */
import type { Cloud, GroupRefresh, ReleaseLaunch, ReleaseStatus, TargetHealth } from "../cloud.js";
import { recordedRelease } from "../config-map.js";
import type { Engine } from "../engine.js";

export interface MemoryCloudScript {
  /** How the release of `commit` ends (default: succeeded, exit 0). `"never"`: it never finishes. */
  release?: (commit: string, stack: string) => Partial<ReleaseStatus> | "never";
  /** The refresh of `group` at the n-th look (0-based); undefined: no refresh. */
  refresh?: (group: string, look: number) => Omit<GroupRefresh, "group"> | undefined;
  health?: (targetGroupArn: string, look: number) => TargetHealth;
  /** The commit `url` serves (default: its stack's released commit). */
  served?: (url: string, look: number) => { commit?: string; problem?: string };
  /** Starting the release machine fails with this. */
  launchError?: string;
}

export class MemoryCloud implements Cloud {
  readonly parameters = new Map<string, ReleaseStatus>();
  readonly machines: { imageId: string; userData: string; tags: Record<string, string> }[] = [];
  private readonly looks = new Map<string, number>();

  constructor(
    private readonly engine?: Engine,
    readonly script: MemoryCloudScript = {},
  ) {}

  private look(key: string): number {
    const n = this.looks.get(key) ?? 0;
    this.looks.set(key, n + 1);
    return n;
  }

  async releaseStatus(_region: string, parameter: string): Promise<ReleaseStatus | undefined> {
    const status = this.parameters.get(parameter);
    return status ? structuredClone(status) : undefined;
  }

  async claimRelease(_region: string, parameter: string, status: ReleaseStatus): Promise<boolean> {
    if (this.parameters.has(parameter)) return false;
    this.parameters.set(parameter, structuredClone(status));
    return true;
  }

  async putReleaseStatus(_region: string, parameter: string, status: ReleaseStatus): Promise<void> {
    this.parameters.set(parameter, structuredClone(status));
  }

  async startReleaseMachine(
    _launch: ReleaseLaunch,
    imageId: string,
    userData: string,
    tags: Record<string, string>,
  ): Promise<string> {
    if (this.script.launchError) throw new Error(this.script.launchError);
    this.machines.push({ imageId, userData, tags });
    const id = `i-memory${String(this.machines.length).padStart(9, "0")}`;
    const parameter = /^release_status_parameter=(.*)$/m.exec(userData)?.[1] ?? "";
    const commit = /^commit=(.*)$/m.exec(userData)?.[1] ?? "";
    const stack = /^stack=(.*)$/m.exec(userData)?.[1] ?? "";
    const outcome = this.script.release?.(commit, stack) ?? {};
    if (outcome === "never") {
      this.parameters.set(parameter, { commit, stack, status: "running", instanceId: id });
    } else {
      this.parameters.set(parameter, {
        commit,
        stack,
        status: "succeeded",
        exitCode: 0,
        logTail: ["Operations to perform: Apply all migrations", "No migrations to apply."],
        instanceId: id,
        ...outcome,
      });
    }
    return id;
  }

  async instanceRefreshes(_region: string, groups: string[]): Promise<GroupRefresh[]> {
    const out: GroupRefresh[] = [];
    for (const group of groups) {
      const refresh = this.script.refresh?.(group, this.look(`refresh:${group}`));
      if (refresh) out.push({ group, ...refresh });
    }
    return out;
  }

  async targetHealth(_region: string, targetGroupArn: string): Promise<TargetHealth> {
    return (
      this.script.health?.(targetGroupArn, this.look(`health:${targetGroupArn}`)) ?? {
        healthy: 1,
        total: 1,
        reasons: [],
      }
    );
  }

  async servedCommit(url: string): Promise<{ commit?: string; problem?: string }> {
    if (this.script.served) return this.script.served(url, this.look(`served:${url}`));
    if (!this.engine) return { problem: "no engine to read the served commit from" };
    for (const summary of await this.engine.listStacks()) {
      const outputs = await this.engine.outputs(summary.name);
      const stackUrl = outputs.url?.value;
      if (typeof stackUrl === "string" && url.startsWith(stackUrl)) {
        return { commit: recordedRelease(await this.engine.getConfig(summary.name)).commit };
      }
    }
    return { problem: `nothing answers at ${url}` };
  }
}

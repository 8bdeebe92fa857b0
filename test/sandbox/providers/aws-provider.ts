/**
 * TEST DOUBLE standing in for AWS: the sandbox's stand-in for the `aws`
 * resource provider plugin (what `pulumi-resource-aws` does for @pulumi/aws).
 * It creates nothing in AWS and calls no AWS API; it remembers nothing either:
 * each resource's state lives in the Pulumi state the engine keeps.
 *
 * - create: a new id (`<name>-<8 hex>`), the inputs plus the outputs the fake
 *   account computes for the type (infra/fake-aws.ts, shared with the offline plan);
 * - diff: a real diff of the old state against the new inputs, a replacement
 *   when an input of replace-on-change.ts changed;
 * - update: the same id, outputs computed again; read: the state as it is;
 * - delete: nothing to delete, except that a DB instance with deletion
 *   protection is refused as AWS refuses it;
 * - invoke: the fake account's lookups (an unknown one fails with
 *   `Mock not implemented: <token>`);
 * - the faults and images switches of switches.ts, on every call (a `drift`
 *   fault changes what a read finds);
 * - what the stand-in fleet needs (launch templates, groups and their instance
 *   refreshes, host names), recorded by fleet-records.ts when
 *   FLIGHTDECK_SANDBOX_FLEET names a folder.
 */
import type * as provider from "@pulumi/pulumi/provider/index.js";
import { FakeAwsAccount } from "../../../infra/fake-aws.js";
import { diffOf, parseUrn, plainProps } from "./diff.js";
import { recordFleet } from "./fleet-records.js";
import { newId, packageVersion, regionOf } from "./plugin-env.js";
import { applyFaults, Cancellation, imageForFromEnv, readFaults } from "./switches.js";

type Env = Record<string, string | undefined>;
type Props = Record<string, unknown>;

const RDS_INSTANCE = "aws:rds/instance:Instance";

/** The stand-in `aws` provider, for `main()` of @pulumi/pulumi/provider. */
export function awsStandIn(env: Env = process.env): provider.Provider {
  const cancellation = new Cancellation();
  const region = regionOf(env);
  // A new account per call: the images switch is read every time.
  const account = () => new FakeAwsAccount({ region, imageFor: imageForFromEnv(env) });
  const computedKeys = (type: string, name: string) =>
    new Set(Object.keys(account().outputsOf(type, name, {}, "", {})));
  const outputs = (urn: string, inputs: Props, id: string, previous?: Props): Props => {
    const { type, name } = parseUrn(urn);
    const computed = account().outputsOf(
      type,
      name,
      plainProps(inputs),
      id,
      previous && plainProps(previous),
    );
    return { ...inputs, ...computed };
  };
  const faults = (operation: string, urn: string) => {
    const { type, name } = parseUrn(urn);
    return applyFaults(operation, [name, type], cancellation, env);
  };

  return {
    version: packageVersion("@pulumi/aws"),

    async check(_urn: string, _olds: Props, news: Props): Promise<provider.CheckResult> {
      return { inputs: news };
    },

    async diff(_id: string, urn: string, olds: Props, news: Props): Promise<provider.DiffResult> {
      const { type, name } = parseUrn(urn);
      const diff = diffOf(type, olds, news, computedKeys(type, name));
      return { changes: diff.changes, replaces: diff.replaces };
    },

    async create(urn: string, inputs: Props): Promise<provider.CreateResult> {
      await faults("create", urn);
      const id = newId(parseUrn(urn).name);
      const outs = outputs(urn, inputs, id);
      recordFleet("create", urn, id, plainProps(outs), undefined, env);
      return { id, outs };
    },

    async read(id: string, urn: string, props: Props = {}): Promise<provider.ReadResult> {
      // A resource read without state (`Resource.get`) gets what the account would have made.
      const read = Object.keys(props).length > 0 ? props : outputs(urn, {}, id);
      // A change made outside Pulumi (the faults file's `drift`): what a refresh then finds.
      const { type, name } = parseUrn(urn);
      const drift = readFaults(env).drift;
      const changed = drift[name] ?? drift[type];
      if (changed === "deleted") return { id: "", props: {} };
      return { id, props: changed ? { ...read, ...changed } : read };
    },

    async update(id: string, urn: string, olds: Props, news: Props): Promise<provider.UpdateResult> {
      await faults("update", urn);
      const outs = outputs(urn, news, id, olds);
      recordFleet("update", urn, id, plainProps(outs), plainProps(olds), env);
      return { outs };
    },

    async delete(id: string, urn: string, props: Props): Promise<void> {
      await faults("delete", urn);
      if (parseUrn(urn).type === RDS_INSTANCE && plainProps(props).deletionProtection === true) {
        throw new Error(
          `deleting RDS DB Instance (${id}): InvalidParameterCombination: Cannot delete protected DB Instance, please disable deletion protection and try again.`,
        );
      }
      recordFleet("delete", urn, id, plainProps(props), undefined, env);
    },

    async invoke(token: string, inputs: Props): Promise<provider.InvokeResult> {
      await applyFaults("invoke", [token], cancellation, env);
      return { outputs: account().invoke(token, inputs) };
    },

    async cancel(): Promise<void> {
      cancellation.cancel();
    },
  };
}

/**
 * TEST DOUBLE: part of the sandbox's stand-in `aws`/`awsx` provider plugins,
 * which stand in for AWS and create nothing in AWS.
 *
 * Pure helpers of the stand-ins: reading a URN, the values inside Pulumi's wire
 * encoding, and the diff of a resource's old state against its new inputs.
 */
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc.js";
import { replaceOnChange } from "./replace-on-change.js";

type Props = Record<string, unknown>;

/**
 * The type and name of a resource from its URN
 * (`urn:pulumi:<stack>::<project>::<parent types$>type::name`).
 */
export function parseUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const qualifiedType = parts[2] ?? "";
  const name = parts.slice(3).join("::");
  return { type: qualifiedType.split("$").pop() ?? qualifiedType, name };
}

function isRecord(value: unknown): value is Props {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The plain value inside Pulumi's wire encoding: secrets unwrapped
 * (`{ <sig>: <secret sig>, value }`, node_modules/@pulumi/pulumi/runtime/rpc.js),
 * everything else as is. The provider server hands inputs over in that encoding
 * because it accepts secrets (`configure` answers acceptSecrets: true,
 * node_modules/@pulumi/pulumi/provider/server.js).
 */
export function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (!isRecord(value)) return value;
  if (value[specialSigKey] === specialSecretSig) return plain(value.value);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
}

export function plainProps(props: Props): Props {
  return plain(props) as Props;
}

/** Deep equality of plain values, ignoring key order. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameValue(v, b[i]))
    );
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => sameValue(a[k], b[k]));
  }
  return a === b;
}

/** Whether a value is, or holds, a value the engine does not know yet (a preview). */
export function holdsUnknown(value: unknown): boolean {
  if (value === unknownValue) return true;
  if (Array.isArray(value)) return value.some(holdsUnknown);
  return isRecord(value) && Object.values(value).some(holdsUnknown);
}

/**
 * The inputs that changed. `olds` is the resource's last state (its inputs plus
 * what the provider computed: the Node provider server passes the request's
 * `olds`, which the engine fills with the old outputs, not `old_inputs`;
 * sdk/go/common/resource/plugin/provider_plugin.go, `Diff`). So an input the
 * program dropped is told from a computed output by `computed`, the names of
 * the properties the fake account computes for this type.
 */
export function changedKeys(olds: Props, news: Props, computed: ReadonlySet<string>): string[] {
  const old = plainProps(olds);
  const next = plainProps(news);
  const changed = Object.keys(next).filter((k) => holdsUnknown(next[k]) || !sameValue(old[k], next[k]));
  const dropped = Object.keys(old).filter(
    (k) => !(k in next) && !computed.has(k) && old[k] !== undefined && old[k] !== null,
  );
  return [...changed, ...dropped].sort();
}

export interface StandInDiff {
  changes: boolean;
  /** Changed inputs that replace the resource (see replace-on-change.ts). */
  replaces: string[];
  /** Every changed input, for messages and tests. */
  changed: string[];
}

/**
 * The diff the stand-in answers: no changes, an update, or a replacement when a
 * changed input is one AWS cannot change in place. The engine takes a `changes:
 * false` answer as "same" and a non-empty `replaces` as a replacement
 * (pkg/resource/deploy/step_generator.go, `continueStepsFromDiff`;
 * sdk/go/common/resource/plugin/provider.go, `DiffResult.Replace`). The Node
 * provider server maps `changes` to DIFF_SOME / DIFF_NONE.
 */
export function diffOf(type: string, olds: Props, news: Props, computed: ReadonlySet<string>): StandInDiff {
  const changed = changedKeys(olds, news, computed);
  const forceNew = new Set(replaceOnChange(type));
  return { changes: changed.length > 0, replaces: changed.filter((k) => forceNew.has(k)), changed };
}

/**
 * A resource as the offline plan records it: what the program asked the engine
 * to create. Cost and policy are pure functions over a list of these.
 */
export interface ResourceRecord {
  /** Pulumi type token, e.g. `aws:rds/instance:Instance`. */
  type: string;
  /** Logical name given to the resource. */
  name: string;
  urn: string;
  /** URN of the parent component, when there is one. */
  parent?: string;
  /** The inputs the program gave (unknown values as `undefined`, secrets still wrapped until masked). */
  inputs: Record<string, unknown>;
  /** The physical id the mock runtime answered with (`<name>_id`), so records can refer to each other. */
  id: string;
}

/** A marker that replaces every secret value in a record shown to people. */
export const SECRET_MASK = "[secret]";

/**
 * The Pulumi program (`Pulumi.yaml` main: `dist/infra/main.js`, compiled by `npm run build`).
 *
 * Reads the stack's whole config once, validates it with the one schema (a bad
 * config fails before anything is touched, every problem listed by key), builds
 * the stack and returns its outputs. The default export is the program: the
 * Pulumi Node.js runtime calls it and exports what it returns (ESM default export).
 * Nothing else may be exported from this module: Pulumi refuses a default export
 * next to named ones.
 */
import * as pulumi from "@pulumi/pulumi";
import { decodeConfigValues, fromPulumiConfig, parseStackConfig, stackConfigFileName } from "./config.js";
import { defineStack, type StackOutputs } from "./stack.js";

export default async function program(): Promise<StackOutputs> {
  const stack = pulumi.getStack();
  const values = fromPulumiConfig(decodeConfigValues(pulumi.runtime.allConfig()));
  const config = parseStackConfig(values, stackConfigFileName(stack));
  return defineStack(config, stack);
}

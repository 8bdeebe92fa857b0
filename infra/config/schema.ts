/**
 * The one schema of a stack's configuration: its sections (`sections.ts`),
 * the region (`region.ts`) and the rules across sections
 * (`cross-field-rules.ts`).
 */
import type { z } from "zod";
import { crossFieldRules } from "./cross-field-rules.js";
import { stackConfigObject } from "./shape.js";

export const stackConfigSchema = stackConfigObject.superRefine(crossFieldRules);

export type StackConfig = z.output<typeof stackConfigSchema>;
export type StackConfigInput = z.input<typeof stackConfigSchema>;

/**
 * The kinds of environment a stack can be, and the roles a machine can play.
 * No dependencies, so modules that only need the names (redaction, the CLI's
 * argument parsing) can import them without the schema.
 */

export const ENVIRONMENT_KINDS = ["production", "staging", "testing", "previews", "preview"] as const;
export type EnvironmentKind = (typeof ENVIRONMENT_KINDS)[number];

export const ROLES = ["app", "worker", "scheduler", "content"] as const;
export type Role = (typeof ROLES)[number];

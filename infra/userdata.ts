/**
 * The user-data every machine boots with: which role it plays and where its
 * environment's services are. The universal image's bootstrap script
 * (`images/files/flightdeck-bootstrap`) parses exactly this format; a test
 * renders it here and runs the real script over it.
 *
 * Format (plain text, so cloud-init leaves it alone):
 *
 *     #flightdeck-userdata v1
 *     role=app
 *     environment=staging
 *     ...
 *
 * One `key=value` per line; keys are lower-case `[a-z][a-z0-9_]*`; values are
 * single-line and never secrets (secrets are referenced by ARN and fetched at
 * boot with the instance role).
 */

export const USERDATA_HEADER = "#flightdeck-userdata v1";

/** Roles the universal image can play; the first four are fleet tiers. */
export const BOOT_ROLES = ["app", "worker", "scheduler", "content", "release", "all-in-one"] as const;
export type BootRole = (typeof BOOT_ROLES)[number];

export interface UserData {
  role: BootRole;
  environment: string;
  stack: string;
  commit: string;
  region: string;
  /** Further settings (database host, cache endpoint, secret ARNs, drain seconds, ...). */
  settings?: Record<string, string | number | boolean | undefined>;
}

const KEY = /^[a-z][a-z0-9_]*$/;
const RESERVED = new Set(["role", "environment", "stack", "commit", "region"]);

function line(key: string, value: string | number | boolean): string {
  if (!KEY.test(key)) throw new Error(`user-data key '${key}' must match ${KEY}`);
  const text = String(value);
  if (/[\r\n\0]/.test(text)) throw new Error(`user-data value of '${key}' must be a single line`);
  return `${key}=${text}`;
}

/** Render user-data; settings are written in key order so the text is stable across runs. */
export function renderUserData(data: UserData): string {
  const lines = [
    USERDATA_HEADER,
    line("role", data.role),
    line("environment", data.environment),
    line("stack", data.stack),
    line("commit", data.commit),
    line("region", data.region),
  ];
  const settings = data.settings ?? {};
  for (const key of Object.keys(settings).sort()) {
    const value = settings[key];
    if (value === undefined) continue;
    if (RESERVED.has(key)) throw new Error(`user-data setting '${key}' is reserved`);
    lines.push(line(key, value));
  }
  return `${lines.join("\n")}\n`;
}

/** Parse user-data (the same rules the bootstrap script applies). Throws naming the bad line. */
export function parseUserData(text: string): Record<string, string> {
  const [header, ...rest] = text.split("\n");
  if (header !== USERDATA_HEADER) throw new Error(`user-data must start with '${USERDATA_HEADER}'`);
  const out: Record<string, string> = {};
  rest.forEach((raw, index) => {
    if (raw === "" || raw.startsWith("#")) return;
    const eq = raw.indexOf("=");
    const key = eq > 0 ? raw.slice(0, eq) : "";
    if (!KEY.test(key)) throw new Error(`user-data line ${index + 2} is not key=value: ${raw}`);
    out[key] = raw.slice(eq + 1);
  });
  return out;
}

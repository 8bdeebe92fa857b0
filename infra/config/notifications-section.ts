/**
 * `flightdeck:notifications`: who is told about releases. Each target is a
 * Slack incoming webhook or a generic JSON webhook (a release marker for
 * monitoring), the NAME of the environment variable holding its URL (and, for
 * a webhook, optionally of one holding a bearer token), and the events it
 * hears. A webhook URL is a secret (whoever has it can post), so a URL written
 * in the config is refused with where to put it instead.
 */
import { z } from "zod";

/** What a target can hear: a success of each button, and any failure of them. */
export const NOTIFICATION_EVENTS = ["deployed", "promoted", "rolledBack", "reaped", "failed"] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

const SECRET_ADVICE =
  "a webhook URL is a secret (anyone holding it can post): set it in an environment variable (a CI secured variable) and give that variable's NAME in urlEnv, e.g. urlEnv: SLACK_DEPLOYS_WEBHOOK_URL";

function envName(what: string) {
  return z.string().superRefine((name, ctx) => {
    if (URL_LIKE.test(name)) ctx.addIssue({ code: "custom", message: `is a URL: ${SECRET_ADVICE}` });
    else if (!ENV_NAME.test(name)) {
      ctx.addIssue({
        code: "custom",
        message: `must be the name of the environment variable holding ${what} (letters, digits and _, like SLACK_DEPLOYS_WEBHOOK_URL)`,
      });
    }
  });
}

const targetShape = z
  .object({
    type: z.enum(["slack", "webhook"]),
    /** A label for reports (default: `<type> <urlEnv>`). */
    name: z
      .string()
      .regex(/^[A-Za-z0-9 _.:-]{1,64}$/, { message: "must be a short label (letters, digits, ' _.:-')" })
      .optional(),
    /** The environment variable holding the webhook URL. */
    urlEnv: envName("the webhook URL"),
    /** `webhook` only: the environment variable holding a token sent as `Authorization: Bearer <token>`. */
    tokenEnv: envName("the token").optional(),
    events: z
      .array(z.enum(NOTIFICATION_EVENTS))
      .min(1)
      .default(() => [...NOTIFICATION_EVENTS]),
  })
  .strict()
  .superRefine((target, ctx) => {
    if (target.tokenEnv !== undefined && target.type === "slack") {
      ctx.addIssue({
        code: "custom",
        path: ["tokenEnv"],
        message: "is for a 'webhook' target only: a Slack incoming webhook's URL is its only credential",
      });
    }
  });

/** A literal URL anywhere in a target (under any key) is refused before the shape is checked. */
const notificationTarget = z.preprocess((value, ctx) => {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (key !== "urlEnv" && key !== "tokenEnv" && typeof v === "string" && URL_LIKE.test(v)) {
        ctx.addIssue({ code: "custom", path: [key], message: `holds a URL: ${SECRET_ADVICE}`, input: value });
      }
    }
  }
  return value;
}, targetShape);

export const notificationsSchema = z.array(notificationTarget).max(10);

export type NotificationTarget = z.output<typeof targetShape>;

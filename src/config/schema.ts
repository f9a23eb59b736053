/**
 * The configuration schema: every key, its type and its default. The
 * documentation of each key for operators is `config/scepgate.example.yaml`.
 *
 * Durations are written `30s`, `5m`, `1h`, `7d` (or a number of ms) and come
 * out as whole milliseconds.
 *
 * @module
 */
import * as z from "zod";
import { duration, flag, integer, mapping, oneOf, regexSource, sha256Fingerprint, text, url } from "./fields.js";
import { raSchema } from "./identity.js";
import { redisSchema } from "./redis.js";
import { checkUpstreamTls, listenTlsSchema, upstreamTlsSchema } from "./tls.js";
import { approvalSchema, checkAdmin, operatorsSchema } from "./operators.js";
import { CHALLENGE_WEBHOOK_KEYS, CHALLENGE_WEBHOOK_REQUIRED, challengeWebhookShape, notifySchema } from "./webhooks.js";

/** The shortest retention: a device told PENDING must still find its result when it polls. */
const MIN_RETENTION_MS = 86_400_000;

/**
 * How long a transaction is kept after it reached issued, rejected or failed
 * (at least one day); then the workers export its audit trail to `audit.file`
 * and remove it from Redis. Pending transactions are never removed.
 */
function retention() {
  return duration(MIN_RETENTION_MS, "1d");
}

/** What a profile name looks like: it appears in URLs (`/scep/NAME`) and Redis keys. */
export const PROFILE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Log levels (pino's). */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/** Log line formats: JSON lines, readable lines, or readable on a terminal and JSON otherwise. */
export const LOG_FORMATS = ["auto", "json", "pretty"] as const;

/** The upstream SCEP CA of a profile. */
const upstreamSchema = mapping({
  url: url(["http:", "https:"], "an http(s) URL"),
  caFingerprint: sha256Fingerprint().optional(),
  challenge: z.string({ error: "expected a string" }).optional(),
  maxConcurrent: integer(1).default(4),
  timeout: duration(1).prefault("30s"),
  retryFor: duration().prefault("24h"),
  maxPendingAge: duration().prefault("7d"),
  pollInterval: duration(1).prefault("1m"),
  capsRefresh: duration().prefault("1h"),
  tls: upstreamTlsSchema.optional(),
}).superRefine(checkUpstreamTls);

/** How a profile checks the challenge password of a request. */
const challengeSchema = mapping({
  mode: oneOf(["none", "static", "otp", "webhook"]).default("none"),
  value: text().optional(),
  ...challengeWebhookShape,
}).superRefine((value, ctx) => {
  for (const key of CHALLENGE_WEBHOOK_KEYS) {
    if (value.mode === "webhook" && value[key] === undefined && CHALLENGE_WEBHOOK_REQUIRED.includes(key)) {
      ctx.addIssue({ code: "custom", path: [key], message: "required when mode is webhook" });
    }
    if (value.mode !== "webhook" && value[key] !== undefined) {
      ctx.addIssue({ code: "custom", path: [key], message: "only allowed when mode is webhook" });
    }
  }
  if (value.mode === "static" && value.value === undefined) {
    ctx.addIssue({ code: "custom", path: ["value"], message: "required when mode is static" });
  }
  if (value.mode !== "static" && value.value !== undefined) {
    ctx.addIssue({ code: "custom", path: ["value"], message: "only allowed when mode is static" });
  }
});

const rulesSchema = mapping({
  subjectCn: regexSource().optional(),
  rsaMinBits: integer(1024, 16384).default(2048),
  ecCurves: z.array(oneOf(["P-256", "P-384", "P-521"]), { error: "expected a list" }).default(["P-256", "P-384"]),
});

const cryptoSchema = mapping({
  cipher: oneOf(["mirror", "aes128", "aes192", "aes256", "des3"]).default("mirror"),
  digest: oneOf(["mirror", "sha1", "sha256", "sha384", "sha512"]).default("mirror"),
});

const compatSchema = mapping({
  legacyDes: flag().default(false),
  legacyDigest: flag().default(false),
  caCertInCertRep: flag().default(true),
});

/** One SCEP profile, served at `/scep/NAME` (and `/scep` for `default`). */
export const profileSchema = mapping({
  ra: raSchema.optional(),
  upstream: upstreamSchema.optional(),
  /** `auto`, `manual`, or `{ mode: manual, approvals: 2 }` (four eyes); see operators.ts. */
  approval: approvalSchema().default("auto"),
  challenge: challengeSchema.prefault({}),
  syncWaitMs: integer(0).default(5000),
  resendWindow: duration().prefault("1h"),
  rules: rulesSchema.prefault({}),
  crypto: cryptoSchema.prefault({}),
  compat: compatSchema.prefault({}),
  issuance: mapping({ validityDays: integer(1, 36500).default(365) }).prefault({}),
  /** How long a finished record is kept (overrides the global `retention`); see {@link retention}. */
  retention: retention().optional(),
  /** Notification targets of this profile's requests, in addition to the global `notify`. */
  notify: notifySchema,
});

const profileName = z.string().regex(PROFILE_NAME, {
  error: `expected a profile name matching ${PROFILE_NAME.source}`,
});

/** The whole configuration file. */
export const configSchema = mapping({
  listen: mapping({
    host: text().default("127.0.0.1"),
    port: integer(0, 65535).default(8080),
    tls: listenTlsSchema.optional(),
    /** `scepgate serve` processes sharing the port (`--processes`); unset: one per core; 1: a single process. */
    processes: integer(1, 1024).optional(),
  }).prefault({}),
  dataDir: text().default("./data"),
  /** A URL, `sentinel: {name, sentinels}`, or neither (the private redis-server); see config/redis.ts. */
  redis: redisSchema.prefault({}),
  admin: mapping({ token: text(16).optional(), operators: operatorsSchema.optional() }).superRefine(checkAdmin).prefault({}),
  log: mapping({ level: oneOf(LOG_LEVELS).default("info"), format: oneOf(LOG_FORMATS).default("auto") }).prefault({}),
  http: mapping({
    bodyLimitBytes: integer(1).default(65536),
    trustProxy: flag().default(false),
  }).prefault({}),
  replayWindow: duration().prefault("10m"),
  retention: retention().prefault("90d"),
  audit: mapping({ file: text().optional() }).prefault({}),
  /** Notification targets of every profile's requests (webhooks; see config/webhooks.ts). */
  notify: notifySchema,
  workers: mapping({
    concurrency: integer(1).default(4),
    /** `scepgate worker`'s own /metrics listener (on listen.host); unset: none. */
    metricsPort: integer(0, 65535).optional(),
  }).prefault({}),
  profiles: z.record(profileName, profileSchema, { error: "expected a mapping of profile names" })
    .refine((profiles) => Object.keys(profiles).length > 0, { error: "expected at least one profile" })
    .prefault({ default: {} }),
});

/** The validated configuration, defaults filled in, durations in ms, paths absolute. */
export type Config = z.infer<typeof configSchema>;
/** One profile of {@link Config}. */
export type ProfileConfig = z.infer<typeof profileSchema>;
/** The `ra` key of a profile (cert+key or p12, optional encryption identity). */
export type RaConfig = z.infer<typeof raSchema>;
/** The `upstream` key of a profile; absent means the embedded development CA. */
export type UpstreamConfig = NonNullable<ProfileConfig["upstream"]>;
/** What the schema accepts (a parsed YAML document before validation). */
export type ConfigInput = z.input<typeof configSchema>;

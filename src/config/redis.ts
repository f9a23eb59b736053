/**
 * The `redis` key: where scepgate's Redis is (a URL, a Sentinel-monitored
 * primary, or, with neither, the private redis-server child), and how many
 * replicas must hold a write before its answer is sent (`waitReplicas`).
 *
 * @module
 */
import * as z from "zod";
import { duration, flag, integer, mapping, text, url } from "./fields.js";

const HOST_PORT_HINT = "expected host:port (e.g. 10.0.0.7:26379 or [fd00::7]:26379)";

/** One Sentinel's address. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `host:port` or `[ipv6]:port`, port 1–65535. */
function hostPort() {
  return z.string({ error: HOST_PORT_HINT }).transform((value, ctx): HostPort => {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]/]+)):(\d{1,5})$/.exec(value.trim());
    const port = Number(m?.[3]);
    if (!m || port < 1 || port > 65535) {
      ctx.issues.push({ code: "custom", message: HOST_PORT_HINT, input: value });
      return z.NEVER;
    }
    return { host: (m[1] ?? m[2])!, port };
  });
}

/**
 * `redis.sentinel`: the primary named `name` as the Sentinels report it.
 * `password` / `username` authenticate to the Redis servers, `sentinelPassword`
 * / `sentinelUsername` to the Sentinels (secrets: never logged; set them from
 * `SCEPGATE_REDIS_SENTINEL_PASSWORD(_FILE)`).
 */
export const redisSentinelSchema = mapping({
  name: text(),
  sentinels: z.array(hostPort(), { error: "expected a list of host:port" }).min(1, { error: "expected at least one host:port" }),
  username: text().optional(),
  password: text().optional(),
  sentinelUsername: text().optional(),
  sentinelPassword: text().optional(),
  db: integer(0).default(0),
  /** TLS to the Sentinels and the Redis servers (the system's CA store verifies them). */
  tls: flag().default(false),
});

/** The `redis` key of the configuration. */
export const redisSchema = mapping({
  url: url(["redis:", "rediss:"], "a redis:// or rediss:// URL").optional(),
  sentinel: redisSentinelSchema.optional(),
  keyPrefix: text().default("scepgate:"),
  /**
   * Replicas that must acknowledge a store write (Redis WAIT) before the
   * answer reporting it is sent; unset: 1 with `sentinel`, else 0 (no wait).
   */
  waitReplicas: integer(0, 16).optional(),
  /** How long a write waits for those replicas (default {@link DEFAULT_WAIT_TIMEOUT_MS}); then it fails (the device sees HTTP 500 and retries). */
  waitTimeout: duration(1).optional(),
}).superRefine((value, ctx) => {
  if (value.url !== undefined && value.sentinel !== undefined) {
    ctx.addIssue({ code: "custom", path: ["sentinel"], message: "give either redis.url or redis.sentinel, not both" });
  }
});

/** `redis.waitTimeout` when not given: 1 s. */
export const DEFAULT_WAIT_TIMEOUT_MS = 1_000;

/** The validated `redis` key. */
export type RedisConfig = z.infer<typeof redisSchema>;
/** The validated `redis.sentinel` key. */
export type RedisSentinelConfig = z.infer<typeof redisSentinelSchema>;

/** Replicas a write must reach: `waitReplicas`, else 1 behind Sentinel and 0 otherwise. */
export function waitReplicasOf(redis: RedisConfig): number {
  return redis.waitReplicas ?? (redis.sentinel ? 1 : 0);
}

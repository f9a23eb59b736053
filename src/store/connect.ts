/**
 * Connecting to Redis and checking it is fit to hold enrollments: the only
 * place the store module makes a command connection (from a RedisEndpoint).
 */
import type { Redis } from "ioredis";
import { RedisPolicyError, StoreError } from "./errors.js";
import { openEndpoint, type RedisEndpoint } from "./redis-endpoint.js";

/** Options of {@link connectRedis}. */
export interface ConnectRedisOptions {
  /** Connect on the first command instead of at once (default false). */
  lazy?: boolean;
}

/**
 * A command connection to `endpoint` (a URL or a Sentinel-monitored primary,
 * see redis-endpoint.ts; a string is a URL). Options are ioredis's defaults otherwise; a BullMQ
 * worker needs its own connection with `maxRetriesPerRequest: null`.
 */
export function connectRedis(endpoint: RedisEndpoint | string, opts: ConnectRedisOptions = {}): Redis {
  // Auto-pipelining batches the commands of concurrent requests into one write: fewer syscalls under load.
  return openEndpoint(typeof endpoint === "string" ? { url: endpoint } : endpoint, { lazyConnect: opts.lazy ?? false, enableAutoPipelining: true });
}

/**
 * Throws a {@link RedisPolicyError} unless Redis runs with
 * `maxmemory-policy noeviction` (DESIGN.md: nothing a device was told PENDING
 * about may be lost, and BullMQ needs it too). Reads `INFO memory`, which
 * works where CONFIG is disabled (most managed Redis services).
 */
export async function checkRedisPolicy(redis: Redis): Promise<void> {
  let info: string;
  try {
    info = await redis.info("memory");
  } catch (err) {
    throw new StoreError("redis: cannot read INFO memory to check maxmemory-policy", { cause: err });
  }
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  if (policy === undefined) {
    throw new RedisPolicyError("redis: INFO memory does not report maxmemory_policy; scepgate needs maxmemory-policy noeviction");
  }
  if (policy !== "noeviction") {
    throw new RedisPolicyError(
      `redis: maxmemory-policy is ${policy}, scepgate needs noeviction (an evicted key is a lost enrollment); ` +
        "set `maxmemory-policy noeviction` in redis.conf or run `CONFIG SET maxmemory-policy noeviction`",
    );
  }
}

/**
 * Readiness probe (`/readyz`): true when Redis answers PING within
 * `timeoutMs`, false on an error or timeout. Never throws.
 */
export async function pingRedis(redis: Redis, timeoutMs = 1_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const ping = redis.ping().then(
    (reply) => reply === "PONG",
    () => false,
  );
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The connection type, for code outside the store that holds one without using ioredis itself. */
export type RedisClient = Redis;

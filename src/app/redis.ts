/**
 * The Redis of a process: where it is (the configured URL, the primary the
 * Sentinels name, or the private redis-server of dataDir) as the one
 * RedisEndpoint every connection of the process is made from, and the
 * process's command connection to it.
 */
import { DEFAULT_WAIT_TIMEOUT_MS, waitReplicasOf, type Config } from "../config/index.js";
import { checkRedisPolicy, connectRedis, describeEndpoint, type Durability, type RedisClient, type RedisEndpoint } from "../store/index.js";
import { ensurePrivateRedis } from "../store/redis-child.js";

/**
 * The command connection and where it goes. The handle is itself the
 * endpoint (`{url}` or `{sentinel}`), so it can be handed to whatever opens
 * more connections (BullMQ, subscribers, the retention sweep).
 */
export type RedisHandle = RedisEndpoint & {
  redis: RedisClient;
  /** Where it is, for logs: the URL with its password masked, the Sentinels, or the private socket. */
  description: string;
  /** What a write must reach before its answer is sent (redis.waitReplicas); undefined: no wait. */
  durability: Durability | undefined;
  /** Closes the connection, and stops the private redis-server when this process started it. */
  close(opts?: { stopPrivate?: boolean }): Promise<void>;
};

/** The endpoint the configuration names; undefined when neither `redis.url` nor `redis.sentinel` is set (the private child). */
export function configuredEndpoint(config: Config): RedisEndpoint | undefined {
  const { url, sentinel } = config.redis;
  if (sentinel) return { sentinel };
  return url === undefined ? undefined : { url };
}

/** The durability the configuration asks for (undefined when no replica is required). */
export function durabilityOf(config: Config): Durability | undefined {
  const replicas = waitReplicasOf(config.redis);
  return replicas > 0 ? { replicas, timeoutMs: config.redis.waitTimeout ?? DEFAULT_WAIT_TIMEOUT_MS } : undefined;
}

export async function openRedis(config: Config): Promise<RedisHandle> {
  const configured = configuredEndpoint(config);
  const child = configured ? undefined : await ensurePrivateRedis(config.dataDir);
  const endpoint: RedisEndpoint = configured ?? { url: child!.socketPath };
  const redis = connectRedis(endpoint);
  redis.on("error", () => undefined); // reconnects by itself; readiness reports it
  try {
    await checkRedisPolicy(redis);
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  return {
    ...endpoint,
    redis,
    description: describeEndpoint(endpoint),
    durability: durabilityOf(config),
    close: async (opts) => {
      await redis.quit().catch(() => redis.disconnect());
      if (child?.owned && opts?.stopPrivate !== false) await child.stop();
    },
  };
}

/** The Redis connection of a process: the configured URL, or the private redis-server of dataDir. */
import type { Config } from "../config/index.js";
import { checkRedisPolicy, connectRedis, type RedisClient } from "../store/index.js";
import { ensurePrivateRedis } from "../store/redis-child.js";

export interface RedisHandle {
  redis: RedisClient;
  /** The URL (or socket path) for logs and for more connections (BullMQ, subscribers). */
  url: string;
  /** Closes the connection, and stops the private redis-server when this process started it. */
  close(opts?: { stopPrivate?: boolean }): Promise<void>;
}

export async function openRedis(config: Config): Promise<RedisHandle> {
  const child = config.redis.url ? undefined : await ensurePrivateRedis(config.dataDir);
  const url = config.redis.url ?? child!.socketPath;
  const redis = connectRedis(url);
  redis.on("error", () => undefined); // reconnects by itself; readiness reports it
  try {
    await checkRedisPolicy(redis);
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  return {
    redis,
    url,
    close: async (opts) => {
      await redis.quit().catch(() => redis.disconnect());
      if (child?.owned && opts?.stopPrivate !== false) await child.stop();
    },
  };
}

/**
 * The Redis connections of the queue adapter. BullMQ needs connections of
 * its own with `maxRetriesPerRequest: null` (a Worker refuses ioredis's
 * default of 20), so they are separate from the store's connection.
 */
import { Redis } from "ioredis";

/** The ioredis connection type BullMQ queues and workers are given. */
export type QueueConnection = Redis;

/** Makes a fresh queue connection; each call is a new TCP (or unix) connection. */
export type QueueConnectionFactory = () => QueueConnection;

/**
 * A connection for BullMQ to `url`, which is what the store accepts too:
 * `redis://…`, `rediss://…`, an absolute unix socket path (`/run/redis.sock?db=0`)
 * or `unix:/run/redis.sock` (see store/connect.ts).
 */
export function connectQueueRedis(url: string): QueueConnection {
  const m = /^unix:(?:\/\/)?(\/.*)$/i.exec(url);
  const redis = new Redis(m?.[1] ?? url, { maxRetriesPerRequest: null, connectionName: "scepgate-queue" });
  redis.on("error", () => undefined); // reconnects by itself; BullMQ reports what fails
  return redis;
}

/** Closes a connection politely, or drops it when Redis does not answer. */
export async function closeQueueRedis(redis: QueueConnection): Promise<void> {
  if (redis.status === "end") return;
  await redis.quit().catch(() => redis.disconnect());
}

/**
 * The Redis connections of the queue adapter. BullMQ needs connections of
 * its own with `maxRetriesPerRequest: null` (a Worker refuses ioredis's
 * default of 20), so they are separate from the store's connection.
 */
import type { Redis } from "ioredis";
import { openEndpoint, type RedisEndpoint } from "../store/redis-endpoint.js";

/** The ioredis connection type BullMQ queues and workers are given. */
export type QueueConnection = Redis;

/** Makes a fresh queue connection; each call is a new TCP (or unix) connection. */
export type QueueConnectionFactory = () => QueueConnection;

/**
 * A connection for BullMQ to `endpoint`, the same the store connects to (a
 * URL, a unix socket path, or a Sentinel-monitored primary: see
 * store/redis-endpoint.ts; a string is a URL). BullMQ's duplicates of it
 * (blocking reads) follow a failover the same way.
 */
export function connectQueueRedis(endpoint: RedisEndpoint | string): QueueConnection {
  const target = typeof endpoint === "string" ? { url: endpoint } : endpoint;
  const redis = openEndpoint(target, { maxRetriesPerRequest: null, connectionName: "scepgate-queue" });
  redis.on("error", () => undefined); // reconnects by itself; BullMQ reports what fails
  return redis;
}

/** Closes a connection politely, or drops it when Redis does not answer. */
export async function closeQueueRedis(redis: QueueConnection): Promise<void> {
  if (redis.status === "end") return;
  await redis.quit().catch(() => redis.disconnect());
}

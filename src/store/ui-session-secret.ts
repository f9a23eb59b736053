/**
 * The secret the operator web page signs its session cookies with when
 * operators sign in with their own tokens (the config holds only their
 * digests, which are no secret). Made once, at random, and kept in Redis,
 * so every front sharing the Redis accepts every front's cookies.
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { StoreError } from "./errors.js";
import { StoreKeys } from "./keys.js";

/** The shared session secret (32 random bytes), made on first use (SET NX: of racing fronts, one wins). */
export async function uiSessionSecret(redis: Redis, prefix: string): Promise<Buffer> {
  const key = new StoreKeys(prefix).uiSessionSecret();
  await redis.set(key, randomBytes(32).toString("base64"), "NX");
  const value = await redis.get(key);
  if (value === null) throw new StoreError("the web page's session secret vanished from Redis");
  return Buffer.from(value, "base64");
}

/**
 * Self-test of test/harness/redis.ts: a private redis-server, key-prefix
 * isolation, and AOF surviving a crash (SIGKILL) and restart.
 */
import { existsSync } from "node:fs";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { pingRedis, startRedis, uniquePrefix, type RedisHandle } from "../harness/redis.js";

describe("harness: startRedis", () => {
  let redis: RedisHandle | undefined;
  let client: Redis | undefined;

  afterEach(async () => {
    client?.disconnect();
    client = undefined;
    await redis?.stop();
    redis = undefined;
  });

  it("ok/starts a private server that answers PING and runs noeviction", async () => {
    redis = await startRedis();
    expect(redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+\/0$/);
    expect(await pingRedis(redis.host, redis.port)).toBe(true);
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
    const policy = (await client.config("GET", "maxmemory-policy")) as string[];
    expect(policy[1]).toBe("noeviction");
    const save = (await client.config("GET", "save")) as string[];
    expect(save[1]).toBe("");
  });

  it("ok/uniquePrefix gives distinct prefixes", () => {
    const a = uniquePrefix();
    const b = uniquePrefix();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^t:\d+:[0-9a-f]{8}:$/);
  });

  it("ok/with AOF (appendfsync always) data survives SIGKILL + restart", async () => {
    if (process.env["REDIS_URL"]) return; // cannot crash an external server
    redis = await startRedis({ appendonly: true, appendfsync: "always" });
    const key = `${uniquePrefix()}k`;
    client = new Redis(redis.url, { maxRetriesPerRequest: null, lazyConnect: true });
    await client.connect();
    await client.set(key, "kept");
    client.disconnect();
    await redis.restart({ hard: true });
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
    expect(await client.get(key)).toBe("kept");
  });

  it("fail/without AOF the data is gone after a crash", async () => {
    if (process.env["REDIS_URL"]) return;
    redis = await startRedis();
    const key = `${uniquePrefix()}k`;
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
    await client.set(key, "lost");
    client.disconnect();
    await redis.restart({ hard: true });
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
    expect(await client.get(key)).toBeNull();
  });

  it("ok/stop() ends the server and removes its dir", async () => {
    const r = await startRedis();
    const dir = r.dir;
    await r.stop();
    expect(await pingRedis(r.host, r.port)).toBe(false);
    if (dir !== undefined && process.env["KEEP_TMP"] !== "1") expect(existsSync(dir)).toBe(false);
  });
});

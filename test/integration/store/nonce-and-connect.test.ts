/** checkNonce, connectRedis, checkRedisPolicy and pingRedis on a real Redis. */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkRedisPolicy, connectRedis, pingRedis, RedisPolicyError } from "../../../src/store/index.js";
import { freePort } from "../../harness/ports.js";
import { sleep } from "../../harness/process.js";
import { StoreEnv } from "./store-fixtures.js";

let env: StoreEnv;
beforeAll(async () => {
  env = await StoreEnv.start();
});
afterAll(async () => {
  await env?.stop();
});

describe("checkNonce", () => {
  it("ok/fresh, then resent for the same message, replay for another", async () => {
    const store = env.store();
    const nonce = randomBytes(16);
    expect(await store.checkNonce("default", nonce, "digest-1", 60_000)).toBe("fresh");
    expect(await store.checkNonce("default", nonce, "digest-1", 60_000)).toBe("resent");
    expect(await store.checkNonce("default", nonce, "digest-2", 60_000)).toBe("replay");
    expect(await store.checkNonce("other", nonce, "digest-2", 60_000)).toBe("fresh");
  });

  it("ok/fresh again once the window has passed", async () => {
    const store = env.store();
    const nonce = randomBytes(16);
    expect(await store.checkNonce("default", nonce, "d1", 150)).toBe("fresh");
    expect(await store.checkNonce("default", nonce, "d2", 150)).toBe("replay");
    await sleep(250);
    expect(await store.checkNonce("default", nonce, "d2", 150)).toBe("fresh");
  });

  it("ok/concurrent checks of one new nonce: exactly one fresh", async () => {
    const store = env.store();
    const nonce = randomBytes(16);
    const results = await Promise.all(Array.from({ length: 20 }, () => store.checkNonce("default", nonce, "d", 60_000)));
    expect(results.filter((r) => r === "fresh")).toHaveLength(1);
    expect(results.filter((r) => r === "resent")).toHaveLength(19);
  });

  it("ok/the key expires with the window (PX)", async () => {
    const store = env.store();
    const nonce = randomBytes(8);
    await store.checkNonce("default", nonce, "d", 10_000);
    const ttl = await env.connection().pttl(store.keys.nonce("default", nonce.toString("hex")));
    expect(ttl).toBeGreaterThan(9_000);
    expect(ttl).toBeLessThanOrEqual(10_000);
  });
});

describe("connect", () => {
  it("ok/connectRedis connects; lazy waits for the first command", async () => {
    const eager = connectRedis(env.server.url);
    const lazy = connectRedis(env.server.url, { lazy: true });
    try {
      expect(await eager.ping()).toBe("PONG");
      expect(lazy.status).toBe("wait");
      expect(await lazy.ping()).toBe("PONG");
    } finally {
      eager.disconnect();
      lazy.disconnect();
    }
  });

  it("ok/checkRedisPolicy accepts noeviction", async () => {
    await expect(checkRedisPolicy(env.connection())).resolves.toBeUndefined();
  });

  it("fail/checkRedisPolicy rejects allkeys-lru", async () => {
    const redis = env.connection();
    const [, before] = (await redis.config("GET", "maxmemory-policy")) as [string, string];
    await redis.config("SET", "maxmemory-policy", "allkeys-lru");
    try {
      const err = await checkRedisPolicy(redis).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RedisPolicyError);
      expect((err as Error).message).toMatch(/maxmemory-policy is allkeys-lru.*noeviction/);
    } finally {
      await redis.config("SET", "maxmemory-policy", before);
    }
  });

  it("ok/pingRedis is true on a live server", async () => {
    expect(await pingRedis(env.connection())).toBe(true);
  });

  it("fail/pingRedis is false, not an error, when nothing listens", async () => {
    const dead = connectRedis(`redis://127.0.0.1:${await freePort()}/0`, { lazy: true });
    dead.on("error", () => undefined);
    try {
      const t0 = Date.now();
      expect(await pingRedis(dead, 300)).toBe(false);
      expect(Date.now() - t0).toBeLessThan(2_000);
    } finally {
      dead.disconnect();
    }
  });
});

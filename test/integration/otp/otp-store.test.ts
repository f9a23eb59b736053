/** RedisOneTimePasswords on a real Redis: once only, expiry, subject binding, atomic under concurrency, nothing secret stored. */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisOneTimePasswords } from "../../../src/store/index.js";
import { startRedis, uniquePrefix, type RedisHandle } from "../../harness/redis.js";
import { sleep } from "../../harness/process.js";

let server: RedisHandle;
const connections: Redis[] = [];

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
  await server?.stop();
});

function connection(): Redis {
  const r = new Redis(server.url);
  connections.push(r);
  return r;
}

function store(prefix = uniquePrefix("otp"), redis = connection()): RedisOneTimePasswords {
  return new RedisOneTimePasswords({ redis, prefix });
}

const HOUR = 3_600_000;
const password = (): string => randomBytes(18).toString("base64url");
const inAnHour = (): Date => new Date(Date.now() + HOUR);

describe("RedisOneTimePasswords", () => {
  it("ok/valid exactly once", async () => {
    const otp = store();
    const pw = password();
    await otp.issue("default", pw, inAnHour(), undefined);
    expect(await otp.consume("default", pw, "any-device", new Date())).toBe(true);
    expect(await otp.consume("default", pw, "any-device", new Date())).toBe(false);
    expect(await otp.attempt("default", pw, "any-device", new Date())).toBe("unknown");
  });

  it("fail/a password never issued, or issued for another profile", async () => {
    const otp = store();
    const pw = password();
    await otp.issue("vpn", pw, inAnHour(), undefined);
    expect(await otp.consume("default", pw, undefined, new Date())).toBe(false);
    expect(await otp.consume("default", password(), undefined, new Date())).toBe(false);
    expect(await otp.consume("vpn", pw, undefined, new Date())).toBe(true);
  });

  it("fail/expired by the caller's clock → rejected (and not consumed)", async () => {
    const otp = store();
    const pw = password();
    const expiresAt = inAnHour();
    await otp.issue("default", pw, expiresAt, undefined);
    expect(await otp.attempt("default", pw, undefined, new Date(expiresAt.getTime() + 1))).toBe("expired");
    expect(await otp.attempt("default", pw, undefined, expiresAt)).toBe("expired");
    expect(await otp.consume("default", pw, undefined, new Date())).toBe(true);
  });

  it("fail/expired → Redis drops the key at the expiry (PEXPIREAT)", async () => {
    const redis = connection();
    const otp = store(uniquePrefix("otp"), redis);
    const pw = password();
    const expiresAt = new Date(Date.now() + 300);
    await otp.issue("default", pw, expiresAt, undefined);
    const key = otp.keys.otp("default", pw);
    expect(await redis.pexpiretime(key)).toBe(expiresAt.getTime());
    await sleep(450);
    expect(await redis.exists(key)).toBe(0);
    expect(await otp.consume("default", pw, undefined, new Date())).toBe(false);
  });

  it("fail/wrong subject → rejected and NOT consumed; the right one (any case) then works", async () => {
    const otp = store();
    const pw = password();
    await otp.issue("default", pw, inAnHour(), "Router-7.Example.NET");
    expect(await otp.attempt("default", pw, "router-8.example.net", new Date())).toBe("wrong-subject");
    expect(await otp.attempt("default", pw, undefined, new Date())).toBe("wrong-subject");
    expect(await otp.attempt("default", pw, "router-7.example.net ", new Date())).toBe("wrong-subject");
    expect(await otp.attempt("default", pw, "router-7", new Date())).toBe("wrong-subject");
    expect(await otp.consume("default", pw, "ROUTER-7.example.net", new Date())).toBe(true);
    expect(await otp.consume("default", pw, "router-7.example.net", new Date())).toBe(false);
  });

  it("ok/no subject bound → any subject, or none", async () => {
    const otp = store();
    const pw = password();
    await otp.issue("default", pw, inAnHour(), undefined);
    expect(await otp.consume("default", pw, undefined, new Date())).toBe(true);
  });

  it("ok/20 concurrent consumes of one password on 20 connections → exactly one true", async () => {
    const prefix = uniquePrefix("otp");
    const pw = password();
    await store(prefix).issue("default", pw, inAnHour(), "device-1");
    const links = Array.from({ length: 20 }, () => connection());
    await Promise.all(links.map((r) => r.ping())); // all connected, so the consumes really race
    const stores = links.map((r) => store(prefix, r));
    const results = await Promise.all(stores.map((s) => s.consume("default", pw, "device-1", new Date())));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("ok/the password is nowhere in Redis: not in the key, not in the value", async () => {
    const redis = connection();
    const prefix = uniquePrefix("otp");
    const otp = store(prefix, redis);
    const pw = password();
    await otp.issue("default", pw, inAnHour(), "device-2");
    const keys = await redis.keys(`${prefix}*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}otp:default:[0-9a-f]{64}$`));
    expect(keys[0]).not.toContain(pw);
    const value = await redis.hgetall(keys[0]!);
    expect(Object.keys(value).sort()).toEqual(["expiresAt", "subjectCn"]);
    expect(JSON.stringify(value)).not.toContain(pw);
    expect(value["subjectCn"]).toBe("device-2");
  });

  it("fail/an empty password or subject cannot be issued", async () => {
    const otp = store();
    await expect(otp.issue("default", "", inAnHour(), undefined)).rejects.toThrow(/must not be empty/);
    await expect(otp.issue("default", password(), inAnHour(), "")).rejects.toThrow(/subject CN must not be empty/);
  });
});

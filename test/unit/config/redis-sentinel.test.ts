/** `redis.sentinel`, `redis.waitReplicas` and `redis.waitTimeout`: validation, environment, secrets. */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { redactConfig, waitReplicasOf } from "../../../src/config/index.js";
import { durabilityOf } from "../../../src/app/redis.js";
import { configError, loadEnv, loadText, tempDir } from "./helpers.js";

const SECRET = "Sentinel-S3cret-Value-77";
const SENTINEL = `redis:\n  sentinel:\n    name: mymaster\n    sentinels: ["10.0.0.1:26379", "sentinel-2.internal:26380", "[fd00::3]:26379"]\n`;

describe("redis.sentinel", () => {
  it("ok/name and host:port list (IPv4, names, bracketed IPv6) with defaults; one replica by default", async () => {
    const { config } = await loadText(SENTINEL);
    expect(config.redis.url).toBeUndefined();
    expect(config.redis.sentinel).toEqual({
      name: "mymaster",
      sentinels: [{ host: "10.0.0.1", port: 26379 }, { host: "sentinel-2.internal", port: 26380 }, { host: "fd00::3", port: 26379 }],
      db: 0,
      tls: false,
    });
    expect(waitReplicasOf(config.redis)).toBe(1);
    expect(durabilityOf(config)).toEqual({ replicas: 1, timeoutMs: 1000 });
  });

  it("ok/without sentinel no replica is waited for unless redis.waitReplicas says so", async () => {
    expect(durabilityOf((await loadEnv({})).config)).toBeUndefined();
    const { config } = await loadText("redis: { url: redis://10.0.0.5:6379/0, waitReplicas: 2, waitTimeout: 250ms }\n");
    expect(durabilityOf(config)).toEqual({ replicas: 2, timeoutMs: 250 });
    expect(durabilityOf((await loadText(`${SENTINEL}  waitReplicas: 0\n`)).config)).toBeUndefined();
  });

  it("ok/every key from the environment, the password from a _FILE", async () => {
    const dir = await tempDir();
    const file = path.join(dir, "redis-password");
    await writeFile(file, `${SECRET}\n`);
    const { config } = await loadEnv({
      SCEPGATE_REDIS_SENTINEL_NAME: "mymaster",
      SCEPGATE_REDIS_SENTINEL_SENTINELS: "127.0.0.1:26379, 127.0.0.1:26380",
      SCEPGATE_REDIS_SENTINEL_PASSWORD_FILE: file,
      SCEPGATE_REDIS_SENTINEL_SENTINEL_PASSWORD: `${SECRET}-s`,
      SCEPGATE_REDIS_SENTINEL_DB: "3",
      SCEPGATE_REDIS_WAIT_REPLICAS: "2",
      SCEPGATE_REDIS_WAIT_TIMEOUT: "2s",
    });
    expect(config.redis.sentinel).toMatchObject({
      name: "mymaster",
      sentinels: [{ host: "127.0.0.1", port: 26379 }, { host: "127.0.0.1", port: 26380 }],
      password: SECRET,
      sentinelPassword: `${SECRET}-s`,
      db: 3,
    });
    expect(config.redis.waitReplicas).toBe(2);
    expect(config.redis.waitTimeout).toBe(2000);
  });

  it("ok/both passwords are redacted", async () => {
    const { config } = await loadText(`${SENTINEL}    password: "${SECRET}"\n    sentinelPassword: "${SECRET}-s"\n`);
    const redacted = redactConfig(config);
    expect(JSON.stringify(redacted)).not.toContain(SECRET);
    expect(redacted.redis.sentinel).toMatchObject({ password: "***", sentinelPassword: "***", name: "mymaster" });
  });

  it("fail/url and sentinel together: one line naming redis.sentinel", async () => {
    const err = await configError(loadText(`${SENTINEL}  url: redis://10.0.0.5:6379/0\n`));
    expect(err.message).toMatch(/^config: redis\.sentinel: give either redis\.url or redis\.sentinel, not both/);
    expect(err.message).not.toContain("\n");
  });

  it("fail/url from the environment over a file with sentinel names the variable", async () => {
    const err = await configError(loadText(SENTINEL, { SCEPGATE_REDIS_URL: "redis://10.0.0.5:6379/0" }));
    expect(err.message).toMatch(/^config: redis\.sentinel: give either redis\.url or redis\.sentinel, not both/);
  });

  it.each([
    ["10.0.0.1", "a host without a port"],
    ["10.0.0.1:0", "port 0"],
    ["10.0.0.1:65536", "a port above 65535"],
    ["10.0.0.1:26379x", "a port that is not a number"],
    ["fd00::3:26379", "an IPv6 address without brackets"],
    ["redis://10.0.0.1:26379", "a URL"],
  ])("fail/bad host:port (%s: %s) names the list entry", async (bad) => {
    const err = await configError(loadText(`redis:\n  sentinel: { name: m, sentinels: ["127.0.0.1:26379", "${bad}"] }\n`));
    expect(err.message).toMatch(/^config: redis\.sentinel\.sentinels\[1\]: expected host:port/);
  });

  it("fail/no name, an empty list, an unknown key", async () => {
    expect((await configError(loadText('redis: { sentinel: { sentinels: ["h:1"] } }\n'))).message).toMatch(/^config: redis\.sentinel\.name: /);
    expect((await configError(loadText("redis: { sentinel: { name: m, sentinels: [] } }\n"))).message).toMatch(/^config: redis\.sentinel\.sentinels: expected at least one host:port/);
    expect((await configError(loadText('redis: { sentinel: { name: m, sentinels: ["h:1"], master: x } }\n'))).message).toMatch(/redis\.sentinel\.master/);
  });

  it("fail/a bad password is (hidden) in the error", async () => {
    const err = await configError(loadText(`${SENTINEL}    password: 12345678901\n`));
    expect(err.message).toMatch(/^config: redis\.sentinel\.password: expected a non-empty string, got \(hidden\)/);
    expect(err.message).not.toContain("12345678901");
  });

  it("fail/waitReplicas and waitTimeout out of range", async () => {
    expect((await configError(loadText("redis: { waitReplicas: -1 }\n"))).message).toMatch(/^config: redis\.waitReplicas: expected an integer from 0 to 16/);
    expect((await configError(loadText("redis: { waitTimeout: 0 }\n"))).message).toMatch(/^config: redis\.waitTimeout: /);
  });
});

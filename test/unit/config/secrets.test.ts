import { describe, expect, it } from "vitest";
import { redactConfig } from "../../../src/config/index.js";
import { configError, loadEnv, loadText } from "./helpers.js";

const SECRET = "Sup3r-S3cret-Value-42";

const FULL = `
admin: { token: "${SECRET}-admin" }
redis: { url: "redis://user:${SECRET}@redis.internal:6379/0" }
profiles:
  default:
    ra:
      cert: ra.crt
      key: ra.key
      keyPassphrase: "${SECRET}-key"
      encryption: { p12: enc.p12, p12Passphrase: "${SECRET}-p12" }
    upstream: { url: "https://ca.example/scep", challenge: "${SECRET}-up" }
    challenge: { mode: static, value: "${SECRET}-challenge" }
`;

describe("secrets", () => {
  it("ok/redactConfig replaces every secret and URL password with ***", async () => {
    const { config } = await loadText(FULL);
    const redacted = redactConfig(config);
    expect(JSON.stringify(redacted)).not.toContain(SECRET);
    expect(redacted.admin.token).toBe("***");
    expect(redacted.redis.url).toBe("redis://user:***@redis.internal:6379/0");
    const profile = redacted.profiles.default;
    expect(profile?.ra?.keyPassphrase).toBe("***");
    expect(profile?.ra?.encryption?.p12Passphrase).toBe("***");
    expect(profile?.upstream?.challenge).toBe("***");
    expect(profile?.challenge.value).toBe("***");
    expect(profile?.ra?.cert).toBe(config.profiles.default?.ra?.cert);
  });

  it("ok/redactConfig copies: the original keeps its secrets; unset secrets stay unset", async () => {
    const { config } = await loadText(FULL);
    redactConfig(config);
    expect(config.admin.token).toBe(`${SECRET}-admin`);
    const { config: plain } = await loadEnv({});
    const redacted = redactConfig(plain);
    expect(redacted.admin.token).toBeUndefined();
    expect(redacted).toEqual(plain);
    expect(redacted).not.toBe(plain);
  });

  it("ok/only the secret keys are redacted, even in a profile named like a section", async () => {
    const { config } = await loadText("profiles:\n  upstream:\n    challenge: { mode: otp }\n");
    expect(redactConfig(config).profiles.upstream?.challenge).toEqual({ mode: "otp" });
  });

  it("fail/a bad secret from YAML is shown as (hidden)", async () => {
    const err = await configError(loadText(`admin: { token: "short-${SECRET.slice(0, 4)}" }\n`));
    expect(err.message).toMatch(/^config: admin\.token: expected a string of at least 16 characters, got \(hidden\)/);
    expect(err.message).not.toContain(SECRET.slice(0, 4));
  });

  it("fail/a secret of the wrong type is (hidden), also in nested identities", async () => {
    const yaml = "profiles:\n  default:\n    ra: { p12: a.p12, p12Passphrase: 987654321 }\n";
    const err = await configError(loadText(yaml));
    expect(err.message).toMatch(/^config: profiles\.default\.ra\.p12Passphrase: expected a string, got \(hidden\)/);
    expect(err.message).not.toContain("987654321");
  });

  it("fail/a bad secret from the environment is (hidden) but names the variable", async () => {
    const err = await configError(loadEnv({ SCEPGATE_ADMIN_TOKEN: "tiny-secret" }));
    expect(err.message).toBe(
      "config: admin.token: expected a string of at least 16 characters, got (hidden) (from SCEPGATE_ADMIN_TOKEN)",
    );
  });

  it("fail/a mapping given where a secret's parent belongs shows no content", async () => {
    const err = await configError(loadText(`admin: "${SECRET}"\nprofiles:\n  default:\n    challenge: [${SECRET}]\n`));
    expect(err.message).not.toContain(SECRET);
    expect(err.message).toMatch(/got a (string|list)|got "/);
  });

  it("fail/a YAML syntax error never quotes the offending line", async () => {
    const err = await configError(loadText(`admin:\n  token: "${SECRET}\n  other: [\n`));
    expect(err.message).toMatch(/YAML syntax error/);
    expect(err.message).not.toContain(SECRET);
  });

  it("fail/an error elsewhere does not print the redis URL password", async () => {
    const err = await configError(loadText(`redis: { url: "http://u:${SECRET}@h/" }\n`));
    expect(err.message).toBe(err.message.replace(SECRET, ""));
    expect(err.message).toContain("***");
    const fromEnv = await configError(loadEnv({ SCEPGATE_REDIS_URL: `http://u:${SECRET}@h/` }));
    expect(fromEnv.message).toBe(
      'config: redis.url: expected a redis:// or rediss:// URL, got "http://u:***@h/" (from SCEPGATE_REDIS_URL)',
    );
  });
});

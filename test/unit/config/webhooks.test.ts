/** Config validation of the challenge webhook and the notification targets. */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { redactConfig } from "../../../src/config/index.js";
import { configError, loadText, tempDir } from "./helpers.js";

const SECRET = "hook-secret-0123456789";

describe("config: challenge webhook", () => {
  it("ok/mode webhook with url and secret; timeout and onError optional", async () => {
    const { config } = await loadText(`profiles:\n  default:\n    challenge: { mode: webhook, url: "https://hook.example/check", secret: "${SECRET}", timeout: 2s, onError: manual }\n`);
    expect(config.profiles.default?.challenge).toEqual({ mode: "webhook", url: "https://hook.example/check", secret: SECRET, timeout: 2000, onError: "manual" });
    expect(JSON.stringify(redactConfig(config))).not.toContain(SECRET);
  });

  it("ok/the secret from a file: SCEPGATE_PROFILES_DEFAULT_CHALLENGE_SECRET_FILE", async () => {
    const file = path.join(await tempDir(), "secret");
    await writeFile(file, `${SECRET}\n`);
    const { config } = await loadText(`profiles:\n  default:\n    challenge: { mode: webhook, url: "http://127.0.0.1:1/x" }\n`, { SCEPGATE_PROFILES_DEFAULT_CHALLENGE_SECRET_FILE: file });
    expect(config.profiles.default?.challenge.secret).toBe(SECRET);
  });

  it("fail/mode webhook without url or secret", async () => {
    const err = await configError(loadText(`profiles:\n  default:\n    challenge: { mode: webhook, secret: "${SECRET}" }\n`));
    expect(err.message).toMatch(/profiles\.default\.challenge\.url.*required when mode is webhook/);
    const err2 = await configError(loadText(`profiles:\n  default:\n    challenge: { mode: webhook, url: "http://h/x" }\n`));
    expect(err2.message).toMatch(/challenge\.secret.*required when mode is webhook/);
  });

  it("fail/webhook keys with another mode, a short secret, a bad onError", async () => {
    expect((await configError(loadText(`profiles:\n  default:\n    challenge: { mode: static, value: x, url: "http://h/x" }\n`))).message).toMatch(/challenge\.url.*only allowed when mode is webhook/);
    expect((await configError(loadText(`profiles:\n  default:\n    challenge: { mode: webhook, url: "http://h/x", secret: short }\n`))).message).toMatch(/challenge\.secret.*at least 16/);
    expect((await configError(loadText(`profiles:\n  default:\n    challenge: { mode: webhook, url: "http://h/x", secret: "${SECRET}", onError: retry }\n`))).message).toMatch(/onError.*fail\|manual/);
  });
});

describe("config: notify", () => {
  it("ok/global and per-profile targets; events default to all four; secrets redacted", async () => {
    const { config } = await loadText([
      "notify:", `  - { url: "https://hooks.example/all", secret: "${SECRET}" }`,
      "profiles:", "  default:", "    notify:", `      - { url: "http://127.0.0.1:9/x", secret: "${SECRET}", events: [issued], timeout: 3s }`, "",
    ].join("\n"));
    expect(config.notify).toEqual([{ url: "https://hooks.example/all", secret: SECRET, events: ["pending", "issued", "rejected", "failed"], timeout: 10_000 }]);
    expect(config.profiles.default?.notify).toEqual([{ url: "http://127.0.0.1:9/x", secret: SECRET, events: ["issued"], timeout: 3000 }]);
    expect(JSON.stringify(redactConfig(config))).not.toContain(SECRET);
  });

  it("fail/an unknown event, no secret, an ftp URL, an empty event list", async () => {
    expect((await configError(loadText(`notify:\n  - { url: "http://h/x", secret: "${SECRET}", events: [approved] }\n`))).message).toMatch(/notify\[?\.?0\]?\.?events.*pending\|issued\|rejected\|failed/);
    expect((await configError(loadText(`notify:\n  - { url: "http://h/x" }\n`))).message).toMatch(/secret/);
    expect((await configError(loadText(`notify:\n  - { url: "ftp://h/x", secret: "${SECRET}" }\n`))).message).toMatch(/http\(s\) URL/);
    expect((await configError(loadText(`notify:\n  - { url: "http://h/x", secret: "${SECRET}", events: [] }\n`))).message).toMatch(/at least one event/);
  });
});

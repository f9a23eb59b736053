import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/config/index.js";
import { configError, loadText, writeConfig } from "./helpers.js";

const profile = (body: string) => `profiles:\n  default:\n${body.replace(/^/gm, "    ")}\n`;

describe("config validation errors", () => {
  it("fail/an unknown key in YAML is named, with a suggestion and its line", async () => {
    const file = await writeConfig(profile("approval: auto\naproval: manual"));
    const err = await configError(import("../../../src/config/index.js").then((m) => m.loadConfig({ file, env: {} })));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe(`config: profiles.default.aproval: unknown key (did you mean approval?) (in ${file}:4)`);
    expect(err.key).toBe("profiles.default.aproval");
  });

  it("fail/an unknown top-level key", async () => {
    const err = await configError(loadText("listen: { port: 1 }\nredsi: {}\n"));
    expect(err.message).toMatch(/^config: redsi: unknown key \(did you mean redis\?\)/);
  });

  it("fail/unknown keys are reported before the errors they cause", async () => {
    const err = await configError(loadText(profile("upstream:\n  ulr: http://ca/scep")));
    expect(err.message).toMatch(/^config: profiles\.default\.upstream\.ulr: unknown key \(did you mean url\?\)/);
    expect(err.message).toMatch(/\(and 1 more problem\)$/);
  });

  it("fail/bad types name the key, the expectation and the value", async () => {
    const cases: [string, string][] = [
      ["listen: { port: 70000 }", 'listen.port: expected an integer from 0 to 65535, got 70000'],
      ["listen: { port: eighty }", 'listen.port: expected an integer from 0 to 65535, got "eighty"'],
      ["http: { trustProxy: yes }", 'http.trustProxy: expected true or false, got "yes"'],
      ["log: { level: loud }", 'log.level: expected one of trace|debug|info|warn|error|fatal|silent, got "loud"'],
      ["replayWindow: 10 minutes", 'replayWindow: expected a duration like 250ms, 30s, 5m, 1h, 7d or a number of ms, got "10 minutes"'],
      ["redis: { url: http://x }", 'redis.url: expected a redis:// or rediss:// URL, got "http://x"'],
      ["listen: [a, b]", "listen: expected a mapping of keys, got a list"],
      [profile("syncWaitMs: 1.5"), "profiles.default.syncWaitMs: expected an integer >= 0, got 1.5"],
      [profile("approval: maybe"), 'profiles.default.approval: expected one of auto|manual, got "maybe"'],
      [profile("rules: { ecCurves: P-256 }"), 'profiles.default.rules.ecCurves: expected a list, got "P-256"'],
      [profile("upstream: { url: ftp://ca/scep }"), 'profiles.default.upstream.url: expected an http(s) URL, got "ftp://ca/scep"'],
      [profile("upstream: { url: http://ca, maxConcurrent: 0 }"), "profiles.default.upstream.maxConcurrent: expected an integer >= 1, got 0"],
    ];
    for (const [yaml, message] of cases) {
      const err = await configError(loadText(yaml));
      const [text, location] = err.message.split(" (in ");
      expect(text).toBe(`config: ${message}`);
      expect(location).toMatch(/scepgate\.yaml:\d+\)$/);
    }
  });

  it("fail/upstream without a url", async () => {
    const err = await configError(loadText(profile("upstream: { maxConcurrent: 2 }")));
    expect(err.message).toBe("config: profiles.default.upstream.url: required (expected an http(s) URL)");
  });

  it("fail/ra with both cert+key and p12", async () => {
    const err = await configError(loadText(profile("ra: { cert: ra.crt, key: ra.key, p12: ra.p12 }")));
    expect(err.message).toMatch(/^config: profiles\.default\.ra\.p12: give either cert\+key or p12, not both/);
  });

  it("fail/ra incomplete: empty, cert without key, passphrase without its file", async () => {
    const empty = await configError(loadText(profile("ra: { keyPassphrase: x }")));
    expect(empty.message).toMatch(/^config: profiles\.default\.ra: expected cert\+key or p12/);
    const noKey = await configError(loadText(profile("ra: { cert: ra.crt }")));
    expect(noKey.message).toMatch(/^config: profiles\.default\.ra\.key: required with cert/);
    const enc = await configError(loadText(profile("ra:\n  p12: ra.p12\n  encryption: { key: enc.key }")));
    expect(enc.message).toMatch(/^config: profiles\.default\.ra\.encryption\.cert: required with key/);
  });

  it("fail/challenge static without a value, and a value without static", async () => {
    const missing = await configError(loadText(profile("challenge: { mode: static }")));
    expect(missing.message).toBe("config: profiles.default.challenge.value: required when mode is static");
    const extra = await configError(loadText(profile("challenge: { mode: otp, value: abc }")));
    expect(extra.message).toMatch(/^config: profiles\.default\.challenge\.value: only allowed when mode is static, got \(hidden\)/);
  });

  it("fail/a subjectCn regex that does not compile", async () => {
    const err = await configError(loadText(profile('rules: { subjectCn: "^(ab" }')));
    expect(err.message).toMatch(/^config: profiles\.default\.rules\.subjectCn: expected a valid regular expression \(.*\), got "\^\(ab"/);
  });

  it("fail/a bad caFingerprint; ok/a good one is normalised", async () => {
    const hex = "AB".repeat(32);
    const err = await configError(loadText(profile(`upstream: { url: http://ca, caFingerprint: "sha256:${hex.slice(2)}" }`)));
    expect(err.message).toMatch(/^config: profiles\.default\.upstream\.caFingerprint: expected "sha256:" followed by 64 hex digits/);
    const colons = hex.match(/../g)?.join(":") ?? "";
    for (const pin of [`sha256:${hex}`, `SHA256:${colons}`]) {
      const { config } = await loadText(profile(`upstream: { url: http://ca, caFingerprint: "${pin}" }`));
      expect(config.profiles.default?.upstream?.caFingerprint).toBe("ab".repeat(32));
    }
  });

  it("fail/a bad profile name; no profiles at all", async () => {
    const bad = await configError(loadText("profiles:\n  Edge_1: {}\n"));
    expect(bad.message).toMatch(/^config: profiles\.Edge_1: expected a profile name matching/);
    const none = await configError(loadText("profiles: {}\n"));
    expect(none.message).toMatch(/^config: profiles: expected at least one profile/);
  });

  it("fail/a YAML syntax error names the file, line and column", async () => {
    const file = await writeConfig("listen:\n  port: 1\n\thost: x\n");
    const err = await configError(import("../../../src/config/index.js").then((m) => m.loadConfig({ file, env: {} })));
    expect(err.message).toBe(`config: ${file}:3:1: YAML syntax error: Tabs are not allowed as indentation`);
    expect(err.message).not.toContain("\n");
  });

  it("fail/duplicate keys and a non-mapping document", async () => {
    const dup = await configError(loadText("listen: {}\nlisten: {}\n"));
    expect(dup.message).toMatch(/:2:1: YAML syntax error: Map keys must be unique$/);
    const list = await configError(loadText("- a\n- b\n"));
    expect(list.message).toMatch(/: expected a mapping of keys at the top level$/);
  });
});

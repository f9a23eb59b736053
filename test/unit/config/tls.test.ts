import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/index.js";
import { configError, loadEnv, loadText, tempDir, writeConfig } from "./helpers.js";

describe("listen.tls and upstream.tls", () => {
  it("ok/files resolve against the config file's directory", async () => {
    const file = await writeConfig(
      "listen: { tls: { cert: tls/server.crt, key: /etc/tls/server.key } }\n" +
        "profiles:\n  default:\n    upstream: { url: https://ca.example/scep, tls: { ca: ca.pem, cert: c.crt, key: c.key } }\n",
      "conf/scepgate.yaml",
    );
    const dir = path.dirname(file);
    const { config } = await loadConfig({ file, env: {}, cwd: await tempDir() });
    expect(config.listen.tls).toEqual({ cert: path.join(dir, "tls/server.crt"), key: "/etc/tls/server.key" });
    expect(config.profiles.default?.upstream?.tls).toEqual({ ca: path.join(dir, "ca.pem"), cert: path.join(dir, "c.crt"), key: path.join(dir, "c.key") });
  });

  it("ok/unset by default; the environment sets them", async () => {
    expect((await loadText("listen: { port: 1 }\n")).config.listen.tls).toBeUndefined();
    const { config } = await loadEnv({ SCEPGATE_LISTEN_TLS_CERT: "/t/s.crt", SCEPGATE_LISTEN_TLS_KEY: "/t/s.key" });
    expect(config.listen.tls).toEqual({ cert: "/t/s.crt", key: "/t/s.key" });
  });

  it("fail/listen.tls needs both files", async () => {
    const err = await configError(loadText("listen: { tls: { cert: a.crt } }\n"));
    expect(err.message).toMatch(/^config: listen\.tls\.key: /);
  });

  it("fail/upstream.tls: cert without key, key without cert, or on an http:// url", async () => {
    const upstream = (tls: string, url = "https://ca.example/scep") => `profiles:\n  default:\n    upstream: { url: ${url}, tls: ${tls} }\n`;
    expect((await configError(loadText(upstream("{ cert: c.crt }")))).message).toMatch(/^config: profiles\.default\.upstream\.tls\.key: required with cert/);
    expect((await configError(loadText(upstream("{ key: c.key }")))).message).toMatch(/^config: profiles\.default\.upstream\.tls\.cert: required with key/);
    expect((await configError(loadText(upstream("{ ca: ca.pem }", "http://ca.example/scep")))).message)
      .toMatch(/^config: profiles\.default\.upstream\.tls: only used with an https:\/\/ url/);
  });
});

import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/index.js";
import { configError, tempDir, writeConfig } from "./helpers.js";

describe("config defaults and file selection", () => {
  it("ok/no file gives the zero-config development defaults", async () => {
    const cwd = await tempDir();
    const { config, source, baseDir } = await loadConfig({ env: {}, cwd });
    expect(source).toBe("defaults");
    expect(baseDir).toBe(cwd);
    expect(config.listen).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(config.dataDir).toBe(path.join(cwd, "data"));
    expect(config.redis).toEqual({ keyPrefix: "scepgate:" });
    expect(config.admin.token).toBeUndefined();
    expect(config.log.level).toBe("info");
    expect(config.http).toEqual({ bodyLimitBytes: 65536, trustProxy: false });
    expect(config.replayWindow).toBe(600_000);
    expect(config.workers.concurrency).toBe(4);
    expect(Object.keys(config.profiles)).toEqual(["default"]);
  });

  it("ok/the default profile has every default filled in", async () => {
    const { config } = await loadConfig({ env: {}, cwd: await tempDir() });
    expect(config.profiles.default).toEqual({
      approval: "auto",
      challenge: { mode: "none" },
      syncWaitMs: 5000,
      resendWindow: 3_600_000,
      rules: { rsaMinBits: 2048, ecCurves: ["P-256", "P-384"] },
      crypto: { cipher: "mirror", digest: "mirror" },
      compat: { legacyDes: false, legacyDigest: false, caCertInCertRep: true },
      issuance: { validityDays: 365 },
    });
  });

  it("ok/upstream given with only a url gets its defaults", async () => {
    const file = await writeConfig("profiles:\n  default:\n    upstream: { url: https://ca.example/scep }\n");
    const { config } = await loadConfig({ file, env: {} });
    expect(config.profiles.default?.upstream).toEqual({
      url: "https://ca.example/scep",
      maxConcurrent: 4,
      timeout: 30_000,
      retryFor: 86_400_000,
      maxPendingAge: 604_800_000,
      pollInterval: 60_000,
      capsRefresh: 3_600_000,
    });
  });

  it("ok/./scepgate.yaml in cwd is used when no file is named", async () => {
    const file = await writeConfig("listen: { port: 9001 }\n");
    const { config, source } = await loadConfig({ env: {}, cwd: path.dirname(file) });
    expect(source).toBe(file);
    expect(config.listen.port).toBe(9001);
  });

  it("ok/SCEPGATE_CONFIG names the file, relative to cwd", async () => {
    const file = await writeConfig("listen: { port: 9002 }\n", "etc/custom.yaml");
    const cwd = path.dirname(path.dirname(file));
    const { config, source } = await loadConfig({ env: { SCEPGATE_CONFIG: "etc/custom.yaml" }, cwd });
    expect(source).toBe(file);
    expect(config.listen.port).toBe(9002);
  });

  it("ok/an explicit file wins over ./scepgate.yaml", async () => {
    const implicit = await writeConfig("listen: { port: 1 }\n");
    const explicit = await writeConfig("listen: { port: 2 }\n", "other.yaml");
    const { config } = await loadConfig({ file: explicit, env: {}, cwd: path.dirname(implicit) });
    expect(config.listen.port).toBe(2);
  });

  it("ok/an empty file and empty sections mean defaults", async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, "scepgate.yaml"), "# nothing\nredis:\n  # url: redis://x\nadmin:\n");
    const { config } = await loadConfig({ env: {}, cwd: dir });
    expect(config.redis).toEqual({ keyPrefix: "scepgate:" });
    expect(config.admin).toEqual({});
  });

  it("fail/a named file that does not exist is named in the error", async () => {
    const missing = path.join(await tempDir(), "nope.yaml");
    const err = await configError(loadConfig({ file: missing, env: {} }));
    expect(err.name).toBe("ConfigError");
    expect(err.message).toBe(`config: cannot read ${missing}: no such file`);
    expect(err.file).toBe(missing);
  });

  it("fail/SCEPGATE_CONFIG naming a missing file is an error, not defaults", async () => {
    const cwd = await tempDir();
    const err = await configError(loadConfig({ env: { SCEPGATE_CONFIG: "gone.yaml" }, cwd }));
    expect(err.message).toContain(path.join(cwd, "gone.yaml"));
  });

  it("fail/a directory given as the file", async () => {
    const dir = await tempDir();
    const err = await configError(loadConfig({ file: dir, env: {} }));
    expect(err.message).toBe(`config: cannot read ${dir}: is a directory`);
  });
});

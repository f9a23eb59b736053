/** The retention keys: `retention`, `profiles.NAME.retention`, `audit.file` (issue 10, part 4). */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { auditFilePath, retentionPolicy } from "../../../src/app/workers.js";
import { envVarName, loadConfig, resolveEnvVar } from "../../../src/config/index.js";
import { configError, loadEnv, loadText, writeConfig } from "./helpers.js";

const DAY = 86_400_000;

describe("retention config", () => {
  it("ok/defaults: 90 days globally, none per profile, audit file in dataDir", async () => {
    const { config } = await loadEnv({});
    expect(config.retention).toBe(90 * DAY);
    expect(config.profiles.default?.retention).toBeUndefined();
    expect(config.audit).toEqual({});
    expect(auditFilePath(config)).toBe(path.join(config.dataDir, "audit.jsonl"));
    expect(retentionPolicy(config)).toEqual({ profiles: { default: 90 * DAY }, defaultMs: 90 * DAY });
  });

  it("ok/a profile's retention overrides the global one, others inherit it", async () => {
    const { config } = await loadText("retention: 30d\nprofiles:\n  default: {}\n  routers:\n    retention: 400d\n");
    expect(config.retention).toBe(30 * DAY);
    expect(config.profiles.routers?.retention).toBe(400 * DAY);
    expect(retentionPolicy(config)).toEqual({ profiles: { default: 30 * DAY, routers: 400 * DAY }, defaultMs: 30 * DAY });
  });

  it("ok/audit.file resolves against the config file's directory", async () => {
    const file = await writeConfig("audit:\n  file: logs/audit.jsonl\n", "etc/scepgate.yaml");
    const { config } = await loadConfig({ file, env: {} });
    expect(config.audit.file).toBe(path.join(path.dirname(file), "logs/audit.jsonl"));
    expect(auditFilePath(config)).toBe(config.audit.file);
  });

  it("ok/environment overrides: SCEPGATE_RETENTION, SCEPGATE_PROFILES_X_RETENTION, SCEPGATE_AUDIT_FILE", async () => {
    expect(resolveEnvVar("SCEPGATE_RETENTION")).toEqual(["retention"]);
    expect(resolveEnvVar("SCEPGATE_PROFILES_EDGE_ROUTER_RETENTION", ["edge-router"])).toEqual(["profiles", "edge-router", "retention"]);
    expect(resolveEnvVar("SCEPGATE_AUDIT_FILE")).toEqual(["audit", "file"]);
    expect(envVarName(["profiles", "x", "retention"])).toBe("SCEPGATE_PROFILES_X_RETENTION");
    const { config } = await loadText("retention: 30d\nprofiles:\n  x: { retention: 2d }\n", {
      SCEPGATE_RETENTION: "7d",
      SCEPGATE_PROFILES_X_RETENTION: "180d",
      SCEPGATE_PROFILES_Y_RETENTION: "172800000",
      SCEPGATE_AUDIT_FILE: "/var/log/scepgate/audit.jsonl",
    });
    expect(config.retention).toBe(7 * DAY);
    expect(config.profiles.x?.retention).toBe(180 * DAY);
    expect(config.profiles.y?.retention).toBe(2 * DAY);
    expect(config.audit.file).toBe("/var/log/scepgate/audit.jsonl");
  });

  it("fail/a retention under a day is refused, naming the key", async () => {
    const err = await configError(loadText("retention: 12h\n"));
    expect(err.message).toContain("retention");
    expect(err.message).toContain("at least 1d");
    const profile = await configError(loadEnv({ SCEPGATE_PROFILES_DEFAULT_RETENTION: "forever" }));
    expect(profile.message).toContain("profiles.default.retention");
    expect(profile.message).toContain("SCEPGATE_PROFILES_DEFAULT_RETENTION");
  });

  it("fail/an empty audit.file is refused", async () => {
    const err = await configError(loadText('audit:\n  file: ""\n'));
    expect(err.message).toContain("audit.file");
  });
});

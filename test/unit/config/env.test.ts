import { describe, expect, it } from "vitest";
import { configSchema, envVarName, resolveEnvVar } from "../../../src/config/index.js";
import { leafPaths } from "../../../src/config/schema-walk.js";
import { configError, loadEnv, loadText } from "./helpers.js";

describe("SCEPGATE_* environment overrides", () => {
  it("ok/number, string, enum and boolean keys", async () => {
    const { config } = await loadEnv({
      SCEPGATE_LISTEN_PORT: "9000",
      SCEPGATE_LISTEN_HOST: "0.0.0.0",
      SCEPGATE_REDIS_URL: "redis://10.0.0.5:6379/2",
      SCEPGATE_LOG_LEVEL: "debug",
      SCEPGATE_HTTP_BODY_LIMIT_BYTES: "1024",
      SCEPGATE_HTTP_TRUST_PROXY: "true",
      SCEPGATE_PROFILES_DEFAULT_COMPAT_LEGACY_DES: "1",
      SCEPGATE_PROFILES_DEFAULT_COMPAT_CA_CERT_IN_CERT_REP: "FALSE",
    });
    expect(config.listen).toEqual({ host: "0.0.0.0", port: 9000 });
    expect(config.redis.url).toBe("redis://10.0.0.5:6379/2");
    expect(config.log.level).toBe("debug");
    expect(config.http).toEqual({ bodyLimitBytes: 1024, trustProxy: true });
    expect(config.profiles.default?.compat).toEqual({ legacyDes: true, legacyDigest: false, caCertInCertRep: false });
  });

  it("ok/secrets and profile keys, on top of the file", async () => {
    const { config } = await loadText("profiles:\n  default:\n    syncWaitMs: 100\n    approval: manual\n", {
      SCEPGATE_ADMIN_TOKEN: "0123456789abcdef0123",
      SCEPGATE_PROFILES_DEFAULT_SYNC_WAIT_MS: "0",
      SCEPGATE_PROFILES_DEFAULT_CHALLENGE_MODE: "static",
      SCEPGATE_PROFILES_DEFAULT_CHALLENGE_VALUE: "s3cret",
      SCEPGATE_PROFILES_DEFAULT_UPSTREAM_URL: "https://ca.example/scep",
      SCEPGATE_PROFILES_DEFAULT_UPSTREAM_TIMEOUT: "5s",
    });
    expect(config.admin.token).toBe("0123456789abcdef0123");
    const profile = config.profiles.default;
    expect(profile?.syncWaitMs).toBe(0);
    expect(profile?.approval).toBe("manual");
    expect(profile?.challenge).toEqual({ mode: "static", value: "s3cret" });
    expect(profile?.upstream?.url).toBe("https://ca.example/scep");
    expect(profile?.upstream?.timeout).toBe(5000);
  });

  it("ok/lists are comma-separated; durations take units or ms", async () => {
    const { config } = await loadEnv({
      SCEPGATE_PROFILES_DEFAULT_RULES_EC_CURVES: "P-384, P-521",
      SCEPGATE_REPLAY_WINDOW: "1500",
    });
    expect(config.profiles.default?.rules.ecCurves).toEqual(["P-384", "P-521"]);
    expect(config.replayWindow).toBe(1500);
  });

  it("ok/an override for a profile not in the file creates it with defaults", async () => {
    const { config } = await loadEnv({ SCEPGATE_PROFILES_EDGE_RULES_EC_CURVES: "P-256,P-384" });
    expect(Object.keys(config.profiles).sort()).toEqual(["default", "edge"]);
    expect(config.profiles.edge?.approval).toBe("auto");
    expect(config.profiles.edge?.rules.ecCurves).toEqual(["P-256", "P-384"]);
  });

  it("ok/a profile name with '-' is spelled with '_'", async () => {
    const yaml = "profiles:\n  edge-router:\n    approval: auto\n";
    const { config } = await loadText(yaml, { SCEPGATE_PROFILES_EDGE_ROUTER_APPROVAL: "manual" });
    expect(Object.keys(config.profiles)).toEqual(["edge-router"]);
    expect(config.profiles["edge-router"]?.approval).toBe("manual");
  });

  it("ok/a profile named like a key still resolves (file's names preferred)", async () => {
    expect(resolveEnvVar("SCEPGATE_PROFILES_RA_RA_CERT")).toEqual(["profiles", "ra", "ra", "cert"]);
    expect(resolveEnvVar("SCEPGATE_PROFILES_RULES_RULES_RSA_MIN_BITS"))
      .toEqual(["profiles", "rules", "rules", "rsaMinBits"]);
    expect(resolveEnvVar("SCEPGATE_PROFILES_A_B_APPROVAL", ["a-b"])).toEqual(["profiles", "a-b", "approval"]);
  });

  it("ok/longest key wins: KEY_PASSPHRASE is keyPassphrase, not key", () => {
    expect(resolveEnvVar("SCEPGATE_PROFILES_DEFAULT_RA_KEY_PASSPHRASE"))
      .toEqual(["profiles", "default", "ra", "keyPassphrase"]);
    expect(resolveEnvVar("SCEPGATE_PROFILES_DEFAULT_RA_ENCRYPTION_P12_PASSPHRASE"))
      .toEqual(["profiles", "default", "ra", "encryption", "p12Passphrase"]);
  });

  it("ok/every key has an env name that reads back to it", () => {
    for (const keyPath of leafPaths(configSchema, ["default", "edge-router"])) {
      expect(resolveEnvVar(envVarName(keyPath), ["edge-router"])).toEqual(keyPath);
    }
    expect(envVarName(["profiles", "default", "syncWaitMs"])).toBe("SCEPGATE_PROFILES_DEFAULT_SYNC_WAIT_MS");
    expect(envVarName(["profiles", "x", "compat", "caCertInCertRep"]))
      .toBe("SCEPGATE_PROFILES_X_COMPAT_CA_CERT_IN_CERT_REP");
  });

  it("ok/allowlisted non-config variables and empty values are ignored", async () => {
    const { config } = await loadEnv({ SCEPGATE_BATCH_PASS: "x", SCEPGATE_LISTEN_PORT: "", PATH: "/bin" });
    expect(config.listen.port).toBe(8080);
  });

  it("fail/a SCEPGATE_ variable that names no key is named, with a suggestion", async () => {
    const err = await configError(loadEnv({ SCEPGATE_LISTEN_PROT: "9000" }));
    expect(err.message).toBe(
      "config: SCEPGATE_LISTEN_PROT: names no config key (did you mean SCEPGATE_LISTEN_PORT?)",
    );
    expect(err.envVar).toBe("SCEPGATE_LISTEN_PROT");
  });

  it("fail/names are upper case", async () => {
    const err = await configError(loadEnv({ SCEPGATE_listen_port: "9000" }));
    expect(err.message).toBe("config: SCEPGATE_listen_port: names no config key (did you mean SCEPGATE_LISTEN_PORT?)");
  });

  it("fail/empty tokens spell nothing", async () => {
    for (const name of ["SCEPGATE_", "SCEPGATE_LISTEN__PORT", "SCEPGATE_PROFILES__APPROVAL"]) {
      expect(resolveEnvVar(name), name).toBeUndefined();
    }
  });

  it("fail/a variable naming an object, not a key, is unknown", async () => {
    const err = await configError(loadEnv({ SCEPGATE_LISTEN: "x" }));
    expect(err.message).toMatch(/^config: SCEPGATE_LISTEN: names no config key/);
  });

  it("fail/a bad number names the key and the variable", async () => {
    const err = await configError(loadEnv({ SCEPGATE_PROFILES_DEFAULT_SYNC_WAIT_MS: "abc" }));
    expect(err.message).toBe(
      'config: profiles.default.syncWaitMs: expected an integer >= 0, got "abc" (from SCEPGATE_PROFILES_DEFAULT_SYNC_WAIT_MS)',
    );
    expect(err.key).toBe("profiles.default.syncWaitMs");
  });

  it("fail/a bad boolean and a bad list item name the variable", async () => {
    const bool = await configError(loadEnv({ SCEPGATE_HTTP_TRUST_PROXY: "yes" }));
    expect(bool.message).toBe('config: http.trustProxy: expected true or false, got "yes" (from SCEPGATE_HTTP_TRUST_PROXY)');
    const list = await configError(loadEnv({ SCEPGATE_PROFILES_EDGE_RULES_EC_CURVES: "P-256,P-999" }));
    expect(list.message).toBe(
      'config: profiles.edge.rules.ecCurves[1]: expected one of P-256|P-384|P-521, got "P-999" (from SCEPGATE_PROFILES_EDGE_RULES_EC_CURVES)',
    );
  });

  it("fail/an override below a key that is not a mapping", async () => {
    const err = await configError(loadText("listen: 8080\n", { SCEPGATE_LISTEN_PORT: "1" }));
    expect(err.message).toBe("config: listen: expected a mapping of keys, cannot apply SCEPGATE_LISTEN_PORT");
  });
});

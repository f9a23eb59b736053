import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/index.js";
import { tempDir, writeConfig } from "./helpers.js";

const YAML = `
dataDir: state
profiles:
  default:
    ra:
      cert: keys/ra.crt
      key: /etc/scepgate/ra.key
      encryption: { p12: ../shared/enc.p12 }
  other:
    ra: { p12: other.p12 }
`;

describe("relative paths", () => {
  it("ok/resolve against the config file's directory, not cwd", async () => {
    const file = await writeConfig(YAML, "conf/scepgate.yaml");
    const dir = path.dirname(file);
    const { config, baseDir } = await loadConfig({ file, env: {}, cwd: await tempDir() });
    expect(baseDir).toBe(dir);
    expect(config.dataDir).toBe(path.join(dir, "state"));
    const ra = config.profiles.default?.ra;
    expect(ra?.cert).toBe(path.join(dir, "keys/ra.crt"));
    expect(ra?.key).toBe("/etc/scepgate/ra.key");
    expect(ra?.encryption?.p12).toBe(path.join(path.dirname(dir), "shared/enc.p12"));
    expect(config.profiles.other?.ra?.p12).toBe(path.join(dir, "other.p12"));
    expect(config.profiles.other?.ra).not.toHaveProperty("encryption");
  });

  it("ok/a relative --config resolves against cwd, then paths against its directory", async () => {
    const file = await writeConfig(YAML, "conf/scepgate.yaml");
    const cwd = path.dirname(path.dirname(file));
    const { config, source } = await loadConfig({ file: "conf/scepgate.yaml", env: {}, cwd });
    expect(source).toBe(file);
    expect(config.dataDir).toBe(path.join(cwd, "conf", "state"));
  });

  it("ok/paths from the environment resolve against the same base", async () => {
    const file = await writeConfig("", "conf/scepgate.yaml");
    const { config } = await loadConfig({ file, env: { SCEPGATE_DATA_DIR: "var" }, cwd: await tempDir() });
    expect(config.dataDir).toBe(path.join(path.dirname(file), "var"));
  });

  it("ok/without a file they resolve against cwd", async () => {
    const cwd = await tempDir();
    const { config } = await loadConfig({ env: { SCEPGATE_PROFILES_DEFAULT_RA_P12: "ra.p12" }, cwd });
    expect(config.dataDir).toBe(path.join(cwd, "data"));
    expect(config.profiles.default?.ra?.p12).toBe(path.join(cwd, "ra.p12"));
  });
});

describe("relative paths of a PKCS#11 identity", () => {
  it("ok/pinFile and a module path resolve against the config file's directory; a bare module name is left to the loader", async () => {
    const file = await writeConfig(
      "profiles:\n" +
        "  default:\n    ra: { pkcs11: { module: lib/libsofthsm2.so, tokenLabel: t, pinFile: secrets/pin, keyLabel: k } }\n" +
        "  other:\n    ra: { pkcs11: { module: libsofthsm2.so, slot: 0, pin: \"1234\", keyLabel: k } }\n",
      "conf/scepgate.yaml",
    );
    const dir = path.dirname(file);
    const { config } = await loadConfig({ file, env: {}, cwd: await tempDir() });
    expect(config.profiles.default?.ra?.pkcs11).toMatchObject({ module: path.join(dir, "lib/libsofthsm2.so"), pinFile: path.join(dir, "secrets/pin") });
    expect(config.profiles.other?.ra?.pkcs11?.module).toBe("libsofthsm2.so");
  });
});

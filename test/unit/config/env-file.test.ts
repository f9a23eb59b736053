import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/index.js";

describe("SCEPGATE_*_FILE", () => {
  it("ok/reads the value from the file, without the trailing newline", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scepgate-envfile-"));
    writeFileSync(join(dir, "token"), "0123456789abcdef0123\n");
    const { config } = await loadConfig({ cwd: dir, env: { SCEPGATE_ADMIN_TOKEN_FILE: join(dir, "token") } });
    expect(config.admin.token).toBe("0123456789abcdef0123");
  });

  it("fail/an unreadable file is named", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scepgate-envfile-"));
    await expect(loadConfig({ cwd: dir, env: { SCEPGATE_ADMIN_TOKEN_FILE: join(dir, "missing") } })).rejects.toThrow(
      /SCEPGATE_ADMIN_TOKEN_FILE: cannot read .*missing \(ENOENT\)/,
    );
  });

  it("fail/a _FILE variable that names no key is still an unknown variable", async () => {
    await expect(loadConfig({ cwd: tmpdir(), env: { SCEPGATE_NOPE_FILE: "/x" } })).rejects.toThrow(/SCEPGATE_NOPE_FILE: names no config key/);
  });
});

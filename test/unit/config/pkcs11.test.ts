/** `ra.pkcs11` (and `ra.encryption.pkcs11`): a key and certificate on a PKCS#11 token. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { redactConfig } from "../../../src/config/index.js";
import { configError, loadText, tempDir } from "./helpers.js";

const PIN = "Sup3r-T0ken-Pin-77";
const MODULE = "/usr/lib/softhsm/libsofthsm2.so";

/** A config whose default profile's `ra` is `ra` (YAML flow mapping). */
function withRa(ra: string): string {
  return `profiles:\n  default:\n    ra: ${ra}\n`;
}

function token(extra: string): string {
  return `{ module: ${MODULE}, keyLabel: ra, ${extra} }`;
}

describe("ra.pkcs11", () => {
  it("ok/token by label with a PIN; certLabel optional", async () => {
    const { config } = await loadText(withRa(`{ pkcs11: ${token(`tokenLabel: ra-token, pin: "${PIN}"`)} }`));
    expect(config.profiles.default?.ra?.pkcs11).toEqual({ module: MODULE, keyLabel: "ra", tokenLabel: "ra-token", pin: PIN });
  });

  it("ok/token by slot with a pinFile; a separate encryption key on the token", async () => {
    const { config } = await loadText(withRa(
      `{ pkcs11: ${token("slot: 83524556, pinFile: /run/secrets/pin, certLabel: ra-cert")}, encryption: { pkcs11: ${token("slot: 1, pin: x")} } }`,
    ));
    expect(config.profiles.default?.ra?.pkcs11).toMatchObject({ slot: 83524556, pinFile: "/run/secrets/pin", certLabel: "ra-cert" });
    expect(config.profiles.default?.ra?.encryption?.pkcs11?.slot).toBe(1);
  });

  it("fail/slot and tokenLabel are exclusive, and one is needed", async () => {
    const both = await configError(loadText(withRa(`{ pkcs11: ${token("slot: 1, tokenLabel: t, pin: x")} }`)));
    expect(both.message).toMatch(/^config: profiles\.default\.ra\.pkcs11\.tokenLabel: give exactly one of slot or tokenLabel/);
    const none = await configError(loadText(withRa(`{ pkcs11: ${token("pin: x")} }`)));
    expect(none.message).toMatch(/^config: profiles\.default\.ra\.pkcs11\.tokenLabel: give exactly one of slot or tokenLabel/);
  });

  it("fail/pin and pinFile are exclusive, and one is needed", async () => {
    const both = await configError(loadText(withRa(`{ pkcs11: ${token(`slot: 1, pin: "${PIN}", pinFile: /p`)} }`)));
    expect(both.message).toMatch(/^config: profiles\.default\.ra\.pkcs11\.pin: give exactly one of pin or pinFile/);
    expect(both.message).not.toContain(PIN);
    const none = await configError(loadText(withRa(`{ pkcs11: ${token("slot: 1")} }`)));
    expect(none.message).toMatch(/^config: profiles\.default\.ra\.pkcs11\.pin: give exactly one of pin or pinFile/);
  });

  it("fail/pkcs11 excludes cert+key and p12, also in ra.encryption", async () => {
    const pem = await configError(loadText(withRa(`{ cert: ra.crt, key: ra.key, pkcs11: ${token("slot: 1, pin: x")} }`)));
    expect(pem.message).toMatch(/^config: profiles\.default\.ra\.pkcs11: give either pkcs11 or cert\+key, not both/);
    const p12 = await configError(loadText(withRa(`{ cert: a.crt, key: a.key, encryption: { p12: e.p12, pkcs11: ${token("slot: 1, pin: x")} } }`)));
    expect(p12.message).toMatch(/^config: profiles\.default\.ra\.encryption\.pkcs11: give either pkcs11 or p12, not both/);
  });

  it("fail/module and keyLabel are required; unknown keys are errors", async () => {
    const noModule = await configError(loadText(withRa("{ pkcs11: { keyLabel: ra, slot: 1, pin: x } }")));
    expect(noModule.message).toMatch(/^config: profiles\.default\.ra\.pkcs11\.module: /);
    const noKey = await configError(loadText(withRa(`{ pkcs11: { module: ${MODULE}, slot: 1, pin: x } }`)));
    expect(noKey.message).toMatch(/^config: profiles\.default\.ra\.pkcs11\.keyLabel: /);
    const unknown = await configError(loadText(withRa(`{ pkcs11: ${token("slot: 1, pin: x, soPin: y")} }`)));
    expect(unknown.message).toMatch(/soPin/);
  });

  it("ok/the PIN is a secret: redacted, (hidden) in errors, settable from the environment", async () => {
    const { config } = await loadText(withRa(`{ pkcs11: ${token(`tokenLabel: t, pin: "${PIN}"`)}, encryption: { pkcs11: ${token(`slot: 2, pin: "${PIN}-enc"`)} } }`));
    const redacted = redactConfig(config);
    expect(JSON.stringify(redacted)).not.toContain(PIN);
    expect(redacted.profiles.default?.ra?.pkcs11?.pin).toBe("***");
    expect(redacted.profiles.default?.ra?.encryption?.pkcs11?.pin).toBe("***");
    expect(redacted.profiles.default?.ra?.pkcs11?.keyLabel).toBe("ra");

    const wrongType = await configError(loadText(withRa(`{ pkcs11: ${token("tokenLabel: t, pin: 98765432")} }`)));
    expect(wrongType.message).toMatch(/^config: profiles\.default\.ra\.pkcs11\.pin: expected a string, got \(hidden\)/);
    expect(wrongType.message).not.toContain("98765432");

    const fromEnv = await loadText(withRa(`{ pkcs11: ${token("tokenLabel: t")} }`), { SCEPGATE_PROFILES_DEFAULT_RA_PKCS11_PIN: PIN });
    expect(fromEnv.config.profiles.default?.ra?.pkcs11?.pin).toBe(PIN);
    const file = join(await tempDir(), "pin");
    await writeFile(file, `${PIN}\n`);
    // The variable names the pinFile key itself: the PIN is read from the file when the token is opened.
    const fromFile = await loadText(withRa(`{ pkcs11: ${token("tokenLabel: t")} }`), { SCEPGATE_PROFILES_DEFAULT_RA_PKCS11_PIN_FILE: file });
    expect(fromFile.config.profiles.default?.ra?.pkcs11?.pinFile).toBe(file);
    expect(fromFile.config.profiles.default?.ra?.pkcs11?.pin).toBeUndefined();
  });
});

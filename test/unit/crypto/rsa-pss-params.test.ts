/**
 * RSASSA-PSS-params (RFC 4055 §3.1) parsing at its edges. Encodings are
 * written out in hex: the first is what strongSwan 5.9.8 `pki --rsa-padding
 * pss` and OpenSSL 3 (`-sigopt rsa_padding_mode:pss -sigopt
 * rsa_pss_saltlen:32`) write for SHA-256; the others follow X.690 by hand.
 * Every refusal must be an UnsupportedAlgorithmError (→ badAlg) whose
 * message says what is wrong.
 */
import { describe, expect, it } from "vitest";
import {
  encodePssParams, maxSaltLength, parsePssParams, PSS_DEFAULTS, UnsupportedAlgorithmError, type PssParams,
} from "../../../src/crypto/index.js";

const h = (hex: string): Buffer => Buffer.from(hex.replace(/\s+/g, ""), "hex");
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

// AlgorithmIdentifiers with NULL parameters, and the [n] EXPLICIT wrappers around them.
const SHA1 = "30 09 06 05 2b 0e 03 02 1a 05 00";
const SHA256 = "30 0d 06 09 60 86 48 01 65 03 04 02 01 05 00";
const SHA384 = "30 0d 06 09 60 86 48 01 65 03 04 02 02 05 00";
const SHA512 = "30 0d 06 09 60 86 48 01 65 03 04 02 03 05 00";
const MGF1_OID = "06 09 2a 86 48 86 f7 0d 01 01 08";

/** SEQUENCE around `fields` (hex), with a correct short-form length. */
function params(...fields: string[]): Buffer {
  const body = h(fields.join(""));
  if (body.length >= 0x80) throw new Error("test helper: use short lengths");
  return Buffer.concat([Uint8Array.of(0x30, body.length), body]);
}
/** [n] EXPLICIT around one element (hex). */
function explicit(n: number, inner: string): string {
  const body = h(inner);
  return hex(Buffer.concat([Uint8Array.of(0xa0 | n, body.length), body]));
}
const mgf1 = (hashAlg: string): string => {
  const body = h(MGF1_OID + hashAlg);
  return hex(Buffer.concat([Uint8Array.of(0x30, body.length), body]));
};
const hashField = (alg: string): string => explicit(0, alg);
const mgfField = (alg: string): string => explicit(1, mgf1(alg));
const saltField = (intHex: string): string => explicit(2, intHex);

const STRONGSWAN_SHA256 =
  "30 34 a0 0f 30 0d 06 09 60 86 48 01 65 03 04 02 01 05 00 a1 1c 30 1a 06 09 2a 86 48 86 f7 0d 01 01 08" +
  " 30 0d 06 09 60 86 48 01 65 03 04 02 01 05 00 a2 03 02 01 20";

function refusal(der: Uint8Array): string {
  try {
    parsePssParams(der);
  } catch (err) {
    expect(err).toBeInstanceOf(UnsupportedAlgorithmError);
    const message = (err as Error).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error(`accepted ${hex(der)}`);
}

describe("parsePssParams: what real encoders write", () => {
  it("ok/strongSwan 5.9.8 and OpenSSL 3 with SHA-256: hash sha256, MGF1 sha256, salt 32", () => {
    const der = h(STRONGSWAN_SHA256);
    expect(parsePssParams(der)).toEqual({ hash: "sha256", mgf1Hash: "sha256", saltLength: 32 });
    expect(hex(encodePssParams({ hash: "sha256", mgf1Hash: "sha256", saltLength: 32 }))).toBe(hex(der));
  });

  it("ok/the empty SEQUENCE is every default: SHA-1, MGF1 with SHA-1, salt 20, trailerField 1", () => {
    expect(parsePssParams(h("30 00"))).toEqual({ hash: "sha1", mgf1Hash: "sha1", saltLength: 20 });
    expect(PSS_DEFAULTS).toEqual({ hash: "sha1", mgf1Hash: "sha1", saltLength: 20 });
    expect(hex(encodePssParams(PSS_DEFAULTS))).toBe("3000");
  });

  it("ok/defaults written out explicitly (not DER, but encoders do it) mean the same", () => {
    const der = params(hashField(SHA1), mgfField(SHA1), saltField("02 01 14"), explicit(3, "02 01 01"));
    expect(parsePssParams(der)).toEqual(PSS_DEFAULTS);
    expect(hex(encodePssParams(PSS_DEFAULTS, { explicitDefaults: true }))).toBe(hex(der));
  });

  it.each([
    ["sha256", SHA256, 32, "02 01 20"],
    ["sha384", SHA384, 48, "02 01 30"],
    ["sha512", SHA512, 64, "02 01 40"],
  ] as const)("ok/explicit %s with MGF1 of the same hash and salt = hash length", (name, alg, salt, saltInt) => {
    const der = params(hashField(alg), mgfField(alg), saltField(saltInt));
    const p: PssParams = { hash: name, mgf1Hash: name, saltLength: salt };
    expect(parsePssParams(der)).toEqual(p);
    expect(hex(encodePssParams(p))).toBe(hex(der));
  });

  it("ok/hash parameters absent instead of NULL (RFC 4055 §2.1: accept both)", () => {
    const sha256NoNull = "30 0b 06 09 60 86 48 01 65 03 04 02 01";
    expect(parsePssParams(params(hashField(sha256NoNull), mgfField(sha256NoNull)))).toMatchObject({ hash: "sha256", mgf1Hash: "sha256" });
  });

  it("ok/an MGF1 hash other than the hash is read as written", () => {
    expect(parsePssParams(params(hashField(SHA256), mgfField(SHA1), saltField("02 01 20")))).toEqual({ hash: "sha256", mgf1Hash: "sha1", saltLength: 32 });
  });

  it.each([
    ["0", "02 01 00", 0],
    ["20 (the default, written out)", "02 01 14", 20],
    ["127", "02 01 7f", 127],
    ["128 (two octets)", "02 02 00 80", 128],
    ["222 (the most for RSA-2048 with SHA-256)", "02 02 00 de", 222],
    ["8192 (the largest accepted)", "02 02 20 00", 8192],
  ])("ok/salt length %s", (_what, intHex, salt) => {
    expect(parsePssParams(params(hashField(SHA256), saltField(intHex))).saltLength).toBe(salt);
  });

  it("ok/maxSaltLength: emLen - hLen - 2 (RFC 8017 §9.1.1)", () => {
    expect(maxSaltLength(2048, "sha256")).toBe(222);
    expect(maxSaltLength(2048, "sha512")).toBe(190);
    expect(maxSaltLength(1024, "sha512")).toBe(62);
    expect(maxSaltLength(2049, "sha1")).toBe(234);
    expect(maxSaltLength(2056, "sha1")).toBe(235);
  });
});

describe("parsePssParams: refusals → UnsupportedAlgorithmError (badAlg)", () => {
  it.each([
    ["trailerField 2", params(explicit(3, "02 01 02")), /trailerField 2 is not trailerFieldBC \(1\)/],
    ["trailerField 0", params(explicit(3, "02 01 00")), /trailerField 0/],
    ["a trailerField that is not an INTEGER", params(explicit(3, "05 00")), /trailerField is not an INTEGER/],
    ["MGF1 without its hash parameter", params(explicit(1, `30 0b ${MGF1_OID}`)), /MGF1 without its hash algorithm/],
    ["an unknown hash (SHA-224)", params(hashField("30 0d 06 09 60 86 48 01 65 03 04 02 04 05 00")), /unsupported hash algorithm 2\.16\.840\.1\.101\.3\.4\.2\.4/],
    ["MD5 as the hash", params(hashField("30 0c 06 08 2a 86 48 86 f7 0d 02 05 05 00")), /unsupported hash algorithm 1\.2\.840\.113549\.2\.5/],
    ["an unknown MGF1 hash", params(hashField(SHA256), mgfField("30 0a 06 06 2b 06 01 04 01 01 05 00")), /unsupported MGF1 hash algorithm 1\.3\.6\.1\.4\.1\.1/],
    ["hash parameters that are not NULL", params(hashField("30 0e 06 09 60 86 48 01 65 03 04 02 01 04 01 00")), /hash algorithm parameters must be NULL or absent/],
    ["a negative salt length", params(saltField("02 01 ff")), /negative saltLength -1/],
    ["an absurd salt length (2^31 - 1)", params(saltField("02 04 7f ff ff ff")), /saltLength 2147483647 is absurd/],
    ["an absurd salt length (8193)", params(saltField("02 02 20 01")), /saltLength 8193 is absurd/],
    ["a salt length with a needless leading zero octet", params(saltField("02 02 00 20")), /not in its shortest form/],
    ["fields out of order ([2] before [0])", params(saltField("02 01 20"), hashField(SHA256)), /field \[0\] out of order or repeated/],
    ["a field repeated", params(hashField(SHA256), hashField(SHA256)), /field \[0\] out of order or repeated/],
    ["an unknown field [4]", params(explicit(4, "02 01 01")), /unexpected element with tag 0xa4/],
    ["an IMPLICIT [2] (tagged INTEGER, not EXPLICIT)", params("82 01 20"), /unexpected element with tag 0x82/],
    ["an EXPLICIT field holding two elements", params(explicit(2, "02 01 20 02 01 20")), /field \[2\] must hold exactly one element/],
    ["an empty EXPLICIT field", params("a0 00"), /field \[0\] must hold exactly one element/],
    ["a hash that is not an AlgorithmIdentifier", params(hashField("06 09 60 86 48 01 65 03 04 02 01")), /hash algorithm is not an AlgorithmIdentifier/],
    ["NULL instead of a SEQUENCE", h("05 00"), /expected a SEQUENCE, got tag 0x5/],
    ["a SET instead of a SEQUENCE", h("31 00"), /expected a SEQUENCE/],
  ])("fail/%s", (_what, der, reason) => {
    expect(refusal(der)).toMatch(reason);
  });

  it("fail/a mask generation function other than MGF1 names both OIDs", () => {
    const other = "30 0b 06 09 2a 86 48 86 f7 0d 01 01 09"; // id-pSpecified, not a mask generation function
    expect(refusal(params(explicit(1, other)))).toMatch(/mask generation function 1\.2\.840\.113549\.1\.1\.9 is not MGF1 \(1\.2\.840\.113549\.1\.1\.8\)/);
  });

  it.each([
    ["empty bytes", h("")],
    ["a truncated SEQUENCE", h("30 05 a0 03 02")],
    ["trailing bytes after the SEQUENCE", h("30 00 00")],
    ["indefinite length (BER)", h("30 80 a2 03 02 01 20 00 00")],
    ["a long-form length that fits the short form", h("30 81 05 a2 03 02 01 20")],
    ["a non-minimal length inside", params("a2 81 03 02 01 20")],
    ["random bytes", h("de ad be ef 01 02 03")],
  ])("fail/garbage DER: %s", (_what, der) => {
    expect(refusal(der)).toMatch(/^RSASSA-PSS parameters: /);
  });
});

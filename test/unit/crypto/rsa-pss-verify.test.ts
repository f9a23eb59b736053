/**
 * RSASSA-PSS verification (src/crypto/rsa-pss.ts through
 * verifySignatureValue) of signatures made with node:crypto: each hash, salt
 * lengths from 0 to the key's maximum, an MGF1 hash other than the hash
 * (verified with that MGF1 hash, never with the signature hash in its
 * place), and id-RSASSA-PSS keys with and without restrictions (RFC 4055 §3.3).
 */
import { createPublicKey, randomBytes, sign as nodeSign, type KeyObject } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  encodePssParams, Oid, publicKeyFromSpki, SignatureError, spkiOf, UnsupportedAlgorithmError, type PssParams,
} from "../../../src/crypto/index.js";
import { verifySignatureValue, type SignedBytes } from "../../../src/crypto/verify-signature.js";
import { pssPrivateKey, pssSpki, signPss } from "../../support/craft.js";
import { testPki } from "../../support/pki.js";

let rsa: KeyObject;
let ec: KeyObject;
const data = randomBytes(300);

beforeAll(async () => {
  rsa = (await testPki()).device.key;
  ec = (await testPki()).deviceEc.key;
});

const pss = (p: PssParams) => ({ oid: Oid.rsassaPss, params: encodePssParams(p) });

/** The signed bytes as verifySignatureValue takes them, for the RSA test key in its ordinary (rsaEncryption) SPKI unless `spki` is given. */
function signed(signature: Uint8Array, o: { spki?: Uint8Array; message?: Uint8Array } = {}): SignedBytes {
  const spki = o.spki ?? spkiOf(rsa);
  let key: KeyObject | undefined;
  return { data: o.message ?? data, signature, spki, publicKey: () => (key ??= publicKeyFromSpki(spki)) };
}

const P = (hash: PssParams["hash"], saltLength: number, mgf1Hash = hash): PssParams => ({ hash, mgf1Hash, saltLength });

describe("RSASSA-PSS signatures made by node:crypto", () => {
  it.each([
    ["SHA-1, MGF1 SHA-1, salt 20 (all defaults: params 30 00)", P("sha1", 20)],
    ["SHA-256, salt 32", P("sha256", 32)],
    ["SHA-384, salt 48", P("sha384", 48)],
    ["SHA-512, salt 64", P("sha512", 64)],
    ["SHA-256, salt 0", P("sha256", 0)],
    ["SHA-256, salt 222 (the most RSA-2048 holds)", P("sha256", 222)],
    ["SHA-512, salt 190 (the most RSA-2048 holds)", P("sha512", 190)],
  ])("ok/%s verifies", (_what, p) => {
    expect(verifySignatureValue(pss(p), undefined, signed(signPss(data, rsa, p)))).toBe(true);
  });

  it("ok/MGF1 with SHA-1 under SHA-256 verifies with MGF1-SHA-1, and not when the parameters say MGF1-SHA-256", () => {
    const p = P("sha256", 32, "sha1");
    const sig = signPss(data, rsa, p);
    expect(verifySignatureValue(pss(p), undefined, signed(sig))).toBe(true);
    expect(verifySignatureValue(pss(P("sha256", 32)), undefined, signed(sig))).toBe(false);
  });

  it("ok/a signature made with MGF1-SHA-256 does not verify when the parameters say MGF1-SHA-512", () => {
    const sig = signPss(data, rsa, P("sha256", 32));
    expect(verifySignatureValue(pss(P("sha256", 32, "sha512")), undefined, signed(sig))).toBe(false);
  });

  it("fail/the salt length is checked exactly (signed with 32, parameters say 20 or 33) → does not verify", () => {
    const sig = signPss(data, rsa, P("sha256", 32));
    expect(verifySignatureValue(pss(P("sha256", 20)), undefined, signed(sig))).toBe(false);
    expect(verifySignatureValue(pss(P("sha256", 33)), undefined, signed(sig))).toBe(false);
  });

  it("fail/a flipped bit, other data, or another hash → does not verify", () => {
    const p = P("sha256", 32);
    const sig = Buffer.from(signPss(data, rsa, p));
    expect(verifySignatureValue(pss(p), undefined, signed(sig, { message: Buffer.concat([data, Uint8Array.of(0)]) }))).toBe(false);
    expect(verifySignatureValue(pss(P("sha384", 32)), undefined, signed(sig))).toBe(false);
    sig[100]! ^= 0x04;
    expect(verifySignatureValue(pss(p), undefined, signed(sig))).toBe(false);
  });

  it("fail/a salt too long for the key → UnsupportedAlgorithmError naming the bound", () => {
    const sig = signPss(data, rsa, P("sha256", 32));
    expect(() => verifySignatureValue(pss(P("sha256", 223)), undefined, signed(sig))).toThrow(
      new UnsupportedAlgorithmError("RSASSA-PSS saltLength 223 does not fit a 2048-bit key with sha256 (at most 222; RFC 8017 §9.1.1)"),
    );
  });

  it("fail/id-RSASSA-PSS without parameters, or with malformed ones → UnsupportedAlgorithmError", () => {
    const sig = signPss(data, rsa, P("sha1", 20));
    expect(() => verifySignatureValue({ oid: Oid.rsassaPss, params: undefined }, undefined, signed(sig))).toThrow(/without its parameters/);
    expect(() => verifySignatureValue({ oid: Oid.rsassaPss, params: Uint8Array.of(0x05, 0x00) }, undefined, signed(sig))).toThrow(UnsupportedAlgorithmError);
    const trailer2 = Uint8Array.of(0x30, 0x05, 0xa3, 0x03, 0x02, 0x01, 0x02);
    expect(() => verifySignatureValue({ oid: Oid.rsassaPss, params: trailer2 }, undefined, signed(sig))).toThrow(/trailerField 2/);
  });

  it("fail/an RSASSA-PSS signature claimed by an EC key → SignatureError", () => {
    const sig = signPss(data, rsa, P("sha256", 32));
    expect(() => verifySignatureValue(pss(P("sha256", 32)), undefined, signed(sig, { spki: spkiOf(ec) }))).toThrow(SignatureError);
  });
});

describe("id-RSASSA-PSS public keys (RFC 4055 §1.2, §3.3)", () => {
  const restricted = (p: PssParams): Uint8Array => pssSpki(rsa, encodePssParams(p));

  it("ok/a key without parameters takes any PSS parameters", () => {
    for (const p of [P("sha256", 32), P("sha512", 0), P("sha256", 20, "sha1")]) {
      expect(verifySignatureValue(pss(p), undefined, signed(signPss(data, rsa, p), { spki: pssSpki(rsa) }))).toBe(true);
    }
  });

  it("ok/a restricted key (SHA-256, MGF1-SHA-256, salt ≥ 32) verifies salt 32 and salt 48", () => {
    const spki = restricted(P("sha256", 32));
    expect(publicKeyFromSpki(spki).asymmetricKeyType).toBe("rsa-pss");
    for (const salt of [32, 48]) expect(verifySignatureValue(pss(P("sha256", salt)), undefined, signed(signPss(data, rsa, P("sha256", salt)), { spki }))).toBe(true);
  });

  it("ok/a restricted key with MGF1-SHA-1 under SHA-256 verifies its own kind of signature", () => {
    const p = P("sha256", 32, "sha1");
    expect(verifySignatureValue(pss(p), undefined, signed(signPss(data, rsa, p), { spki: restricted(p) }))).toBe(true);
  });

  it.each([
    ["another hash", P("sha384", 32)],
    ["another MGF1 hash", P("sha256", 32, "sha1")],
    ["a shorter salt", P("sha256", 20)],
  ])("fail/a signature with %s than the key allows → UnsupportedAlgorithmError", (_what, p) => {
    const spki = restricted(P("sha256", 32));
    expect(() => verifySignatureValue(pss(p), undefined, signed(signPss(data, rsa, p), { spki }))).toThrow(/breaks the key's id-RSASSA-PSS restrictions/);
  });

  it("fail/a key whose own parameters are malformed → UnsupportedAlgorithmError", () => {
    const spki = pssSpki(rsa, Uint8Array.of(0x30, 0x05, 0xa3, 0x03, 0x02, 0x01, 0x02));
    expect(() => verifySignatureValue(pss(P("sha256", 32)), undefined, signed(signPss(data, rsa, P("sha256", 32)), { spki }))).toThrow(/trailerField 2/);
  });

  it("fail/a PKCS#1 v1.5 signature from an id-RSASSA-PSS key → UnsupportedAlgorithmError", () => {
    const sig = nodeSign("sha256", data, rsa);
    expect(verifySignatureValue({ oid: Oid.sha256WithRSA, params: undefined }, undefined, signed(sig))).toBe(true);
    expect(() => verifySignatureValue({ oid: Oid.sha256WithRSA, params: undefined }, undefined, signed(sig, { spki: pssSpki(rsa) }))).toThrow(
      /PKCS#1 v1.5 signature from an id-RSASSA-PSS key/,
    );
  });

  it("ok/an rsa-pss key object of node:crypto (restricted to SHA-256, MGF1-SHA-1, salt ≥ 32) verifies through the SPKI it exports", () => {
    const privateKey = pssPrivateKey(rsa, P("sha256", 32, "sha1"));
    const publicKey = createPublicKey(privateKey);
    const spki = publicKey.export({ format: "der", type: "spki" });
    expect(publicKey.asymmetricKeyDetails).toMatchObject({ hashAlgorithm: "sha256", mgf1HashAlgorithm: "sha1", saltLength: 32 });
    const sig = nodeSign("sha256", data, { key: privateKey, saltLength: 32 });
    expect(verifySignatureValue(pss(P("sha256", 32, "sha1")), undefined, { data, signature: sig, spki, publicKey: () => publicKey })).toBe(true);
  });
});

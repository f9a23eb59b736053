/**
 * RSA key transport. PKCS#1 v1.5 unwrapping uses implicit rejection: a bad
 * padding never fails, it yields a synthetic key derived from the ciphertext
 * and a per-key secret, so a caller sees the same content-decryption failure
 * as for a wrong key and there is no padding oracle.
 */
import { constants, createPublicKey, publicEncrypt, randomBytes, type KeyObject } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { DecryptionError, implicitRejectionSecret } from "../../../src/crypto/index.js";
import { unwrapOaep, unwrapPkcs1, wrapOaep, wrapPkcs1 } from "../../../src/crypto/key-transport.js";
import { testPki } from "../../support/pki.js";

let key: KeyObject;
let pub: KeyObject;
let secret: Uint8Array;
let k: number;

beforeAll(async () => {
  ({ key } = (await testPki()).ra);
  pub = createPublicKey(key);
  secret = implicitRejectionSecret(key);
  k = (pub.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
});

/** Raw RSA of a chosen encoded message `em` (k octets, em[0] = 0 so that it is below the modulus). */
function rawEncrypt(em: Uint8Array): Buffer {
  return publicEncrypt({ key: pub, padding: constants.RSA_NO_PADDING }, em);
}

/** EM = 0x00 ‖ type ‖ PS ‖ 0x00 ‖ M (RFC 8017 §7.2.1), with the parts open to corruption. */
function encodedMessage(m: Uint8Array, o: { type?: number; psZeroAt?: number; noSeparator?: boolean; psLength?: number } = {}): Uint8Array {
  const psLength = o.psLength ?? k - 3 - m.length;
  const ps = Uint8Array.from({ length: psLength }, () => 1 + Math.floor(Math.random() * 255));
  if (o.psZeroAt !== undefined) ps[o.psZeroAt] = 0;
  const em = Buffer.concat([Uint8Array.of(0, o.type ?? 2), ps, Uint8Array.of(o.noSeparator ? 0x5a : 0), m]);
  if (em.length !== k) throw new Error(`encodedMessage: ${em.length} octets, want ${k}`);
  return em;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("unwrapPkcs1: good ciphertexts", () => {
  it.each([8, 16, 24, 32])("ok/a %i-octet key wrapped by publicEncrypt comes back", async (len) => {
    const cek = randomBytes(len);
    expect(hex(await unwrapPkcs1(key, secret, wrapPkcs1(pub, cek), len))).toBe(hex(cek));
  });

  it("ok/a hand-made EM with the minimum 8-octet PS comes back", async () => {
    // Longest key a 2048-bit modulus can carry: k - 11 octets.
    const cek = randomBytes(k - 11);
    expect(hex(await unwrapPkcs1(key, secret, rawEncrypt(encodedMessage(cek)), cek.length))).toBe(hex(cek));
  });
});

describe("unwrapPkcs1: implicit rejection", () => {
  const cek = (): Uint8Array => randomBytes(16);
  const bad: Array<[string, (m: Uint8Array) => Uint8Array]> = [
    ["block type 1 instead of 2", (m) => encodedMessage(m, { type: 1 })],
    ["no zero separator before the key", (m) => encodedMessage(m, { noSeparator: true })],
    ["a zero octet inside PS (separator too early)", (m) => encodedMessage(m, { psZeroAt: 40 })],
    ["a zero in the first 8 octets of PS", (m) => encodedMessage(m, { psZeroAt: 3 })],
    ["a first octet that is not 0", (m) => { const em = encodedMessage(m); em[0] = 0x01; return em; }],
  ];

  it.each(bad)("fail/%s: a key of the expected length, not the embedded one, stable per ciphertext", async (_what, make) => {
    const m = cek();
    const ct = rawEncrypt(make(m));
    const out = await unwrapPkcs1(key, secret, ct, 16);
    expect(out).toHaveLength(16);
    expect(hex(out)).not.toBe(hex(m));
    expect(hex(await unwrapPkcs1(key, secret, ct, 16))).toBe(hex(out));
  });

  it("fail/a PS shorter than 8 octets (otherwise well formed) is rejected", async () => {
    const m = randomBytes(k - 10);
    const ct = rawEncrypt(encodedMessage(m, { psLength: 7 }));
    const out = await unwrapPkcs1(key, secret, ct, m.length);
    expect(out).toHaveLength(m.length);
    expect(hex(out)).not.toBe(hex(m));
  });

  it("fail/different bad ciphertexts give different synthetic keys", async () => {
    const keys = new Set<string>();
    for (let i = 0; i < 32; i++) keys.add(hex(await unwrapPkcs1(key, secret, rawEncrypt(encodedMessage(cek(), { type: 1 })), 16)));
    expect(keys.size).toBe(32);
  });

  it("fail/the synthetic key depends on the rejection secret", async () => {
    const ct = rawEncrypt(encodedMessage(cek(), { type: 1 }));
    expect(hex(await unwrapPkcs1(key, secret, ct, 24))).not.toBe(hex(await unwrapPkcs1(key, randomBytes(32), ct, 24)));
  });

  it("fail/a good ciphertext read with the wrong key length gives a synthetic key of the asked length", async () => {
    const real = cek();
    const ct = wrapPkcs1(pub, real);
    for (const len of [8, 24, 32]) {
      const out = await unwrapPkcs1(key, secret, ct, len);
      expect(out).toHaveLength(len);
      expect(hex(out)).not.toContain(hex(real).slice(0, 16));
      expect(hex(await unwrapPkcs1(key, secret, ct, len))).toBe(hex(out));
    }
    expect(hex(await unwrapPkcs1(key, secret, ct, 16))).toBe(hex(real));
  });

  it("fail/ciphertexts that are not even RSA inputs never throw: wrong length, empty, ≥ modulus, random", async () => {
    const inputs = [
      new Uint8Array(0),
      randomBytes(k - 1),
      randomBytes(k + 1),
      new Uint8Array(k).fill(0xff),
      new Uint8Array(k),
      ...Array.from({ length: 64 }, () => randomBytes(k)),
    ];
    for (const ct of inputs) {
      // Never throws: a rejected promise fails the test here.
      const out = await unwrapPkcs1(key, secret, ct, 24);
      expect(out).toHaveLength(24);
      expect(hex(await unwrapPkcs1(key, secret, ct, 24))).toBe(hex(out));
    }
  });
});

describe("RSAES-OAEP", () => {
  it.each(["sha1", "sha256", "sha384", "sha512"] as const)("ok/%s wrap and unwrap", (hash) => {
    const cek = randomBytes(32);
    expect(hex(unwrapOaep(key, hash, wrapOaep(pub, hash, cek)))).toBe(hex(cek));
  });

  it("fail/OAEP is explicit: a wrong hash or a corrupted ciphertext throws DecryptionError", () => {
    const ct = wrapOaep(pub, "sha256", randomBytes(16));
    expect(() => unwrapOaep(key, "sha1", ct)).toThrow(DecryptionError);
    const corrupted = Buffer.from(ct);
    corrupted[10]! ^= 0x01;
    expect(() => unwrapOaep(key, "sha256", corrupted)).toThrow(DecryptionError);
  });
});

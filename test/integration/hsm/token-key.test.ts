/**
 * src/hsm against a real SoftHSM2 token in this process: the token key works
 * through every PrivateKeyOps (signatures for each SCEP digest, raw RSA for
 * key transport with the software implicit rejection), under concurrency
 * (the module must be initialised for OS locking), and it is generated
 * sensitive and not extractable.
 */
import { constants, createHash, publicEncrypt, verify } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inThreadKeyOps, signNow, threadedKeyOps, type DigestName, type PrivateKeyOps } from "../../../src/crypto/index.js";
import { unwrapPkcs1 } from "../../../src/crypto/key-transport.js";
import { generateTokenKey, HsmError, openTokenKey, type OpenedTokenKey, type TokenKeyRef } from "../../../src/hsm/index.js";
import { createSoftHsm, type SoftHsm } from "../../harness/softhsm.js";

const PIN = "key-test-pin-2468";
const DIGESTS: DigestName[] = ["md5", "sha1", "sha256", "sha384", "sha512"];

describe("hsm: an RSA key on a SoftHSM2 token", () => {
  let hsm: SoftHsm;
  let ref: TokenKeyRef;
  let key: OpenedTokenKey;
  let threaded: PrivateKeyOps;

  beforeAll(async () => {
    hsm = createSoftHsm();
    // SoftHSM2 reads SOFTHSM2_CONF when this process first initialises the module.
    process.env["SOFTHSM2_CONF"] = hsm.env.SOFTHSM2_CONF;
    await hsm.initToken("key-test", PIN);
    ref = { module: hsm.module, tokenLabel: "key-test", pin: PIN, keyLabel: "k1" };
    generateTokenKey(ref, 2048);
    key = openTokenKey(ref);
    threaded = threadedKeyOps(1);
  });

  afterAll(async () => {
    await threaded?.close();
  });

  it("ok/its public half is a 2048-bit RSA KeyObject; the private half is sensitive and not extractable", () => {
    expect(key.publicKey.type).toBe("public");
    expect(key.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(key.source).toBe(`token "key-test" (${hsm.module}), key "k1"`);
    expect(key.exportable).toBe(false);
  });

  it("ok/signatures for every SCEP digest verify, through every PrivateKeyOps and signNow", async () => {
    const data = Buffer.from("signedAttrs stand-in");
    for (const digest of DIGESTS) {
      for (const sig of [await inThreadKeyOps.sign(digest, data, key.publicKey), await threaded.sign(digest, data, key.publicKey), signNow(digest, data, key.publicKey)]) {
        expect(verify(digest, data, key.publicKey, sig), digest).toBe(true);
      }
    }
  });

  it("ok/key transport: a good PKCS#1 v1.5 block gives the CEK; a bad one a stable synthetic key, as for a file key", async () => {
    const cek = Buffer.from("0123456789abcdef");
    const good = publicEncrypt({ key: key.publicKey, padding: constants.RSA_PKCS1_PADDING }, cek);
    expect(Buffer.from(await unwrapPkcs1(key.publicKey, key.rejectionSecret, good, 16, threaded))).toEqual(cek);
    const em = Buffer.alloc(256, 0x55);
    em[0] = 0;
    em[1] = 1;
    const bad = publicEncrypt({ key: key.publicKey, padding: constants.RSA_NO_PADDING }, em);
    const first = await unwrapPkcs1(key.publicKey, key.rejectionSecret, bad, 16, inThreadKeyOps);
    const second = await unwrapPkcs1(key.publicKey, key.rejectionSecret, bad, 16, threaded);
    expect(Buffer.from(first)).toEqual(Buffer.from(second));
    expect(Buffer.from(first)).not.toEqual(Buffer.from(em.subarray(240)));
    // A value >= the modulus fails on the token; the caller gets a synthetic key, not an error.
    expect((await unwrapPkcs1(key.publicKey, key.rejectionSecret, Buffer.alloc(256, 0xff), 16, threaded)).length).toBe(16);
  });

  it("ok/the implicit-rejection secret is stable across opens and differs per key", () => {
    expect(Buffer.from(openTokenKey(ref).rejectionSecret)).toEqual(Buffer.from(key.rejectionSecret));
    generateTokenKey({ ...ref, keyLabel: "k2" });
    const other = openTokenKey({ ...ref, keyLabel: "k2" });
    expect(Buffer.from(other.rejectionSecret)).not.toEqual(Buffer.from(key.rejectionSecret));
  });

  it("ok/64 operations at once over the session pool all come out right (regression: SoftHSM2 heap corruption without CKF_OS_LOCKING_OK)", async () => {
    const cek = Buffer.alloc(24, 9);
    const wrapped = publicEncrypt({ key: key.publicKey, padding: constants.RSA_PKCS1_PADDING }, cek);
    const results = await Promise.all(Array.from({ length: 64 }, async (_, i) => {
      const data = createHash("sha256").update(String(i)).digest();
      if (i % 2 === 0) return verify("sha256", data, key.publicKey, await threaded.sign("sha256", data, key.publicKey));
      return Buffer.from(await unwrapPkcs1(key.publicKey, key.rejectionSecret, wrapped, 24, threaded)).equals(cek);
    }));
    expect(results.every(Boolean)).toBe(true);
  });

  it("ok/pinFile gives the PIN; a key of that label cannot be generated twice", async () => {
    const pinFile = join(hsm.dir, "pin");
    await writeFile(pinFile, `${PIN}\n`, { mode: 0o600 });
    expect(openTokenKey({ module: hsm.module, tokenLabel: "key-test", pinFile, keyLabel: "k1" }).source).toContain('key "k1"');
    expect(() => generateTokenKey(ref)).toThrow(/a private key labelled "k1" exists already/);
  });

  it("fail/another PIN, a missing PIN file, a missing key: one line each, never the PIN", () => {
    const messageOf = (r: TokenKeyRef): string => {
      try {
        openTokenKey(r);
      } catch (err) {
        expect(err).toBeInstanceOf(HsmError);
        return (err as Error).message;
      }
      throw new Error("expected openTokenKey to fail");
    };
    // The token is logged in already: a second identity with another PIN must still fail.
    expect(messageOf({ ...ref, pin: "not-the-pin-0000" })).toBe(`token "key-test" (${hsm.module}): login failed (another PIN than the one this token was opened with)`);
    expect(messageOf({ module: hsm.module, tokenLabel: "key-test", pinFile: join(hsm.dir, "nope"), keyLabel: "k1" })).toMatch(/^cannot read the PIN file .*nope \(ENOENT\)$/);
    const absent = messageOf({ ...ref, keyLabel: "absent" });
    expect(absent).toBe(`token "key-test" (${hsm.module}): no private key labelled "absent"`);
    expect(absent).not.toContain(PIN);
  });
});

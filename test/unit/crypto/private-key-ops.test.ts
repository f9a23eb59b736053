import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, verify } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { inThreadKeyOps, threadedKeyOps } from "../../../src/crypto/index.js";

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ec = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const ops = threadedKeyOps(2);
afterAll(() => ops.close());

describe("private-key operations on worker threads", () => {
  it("ok/raw RSA decryption equals node's on this thread, for many concurrent calls", async () => {
    const cts = Array.from({ length: 40 }, () => publicEncrypt({ key: rsa.publicKey, padding: constants.RSA_PKCS1_PADDING }, randomBytes(16)));
    const outs = await Promise.all(cts.map((ct) => ops.rsaRaw(rsa.privateKey, ct)));
    outs.forEach((out, i) => expect(Buffer.from(out)).toEqual(privateDecrypt({ key: rsa.privateKey, padding: constants.RSA_NO_PADDING }, cts[i]!)));
  });

  it("ok/RSA and ECDSA signatures verify with the public keys", async () => {
    const data = randomBytes(300);
    expect(verify("sha256", data, rsa.publicKey, await ops.sign("sha256", data, rsa.privateKey))).toBe(true);
    expect(verify("sha384", data, ec.publicKey, await ops.sign("sha384", data, ec.privateKey))).toBe(true);
    expect(verify("sha256", data, rsa.publicKey, await inThreadKeyOps.sign("sha256", data, rsa.privateKey))).toBe(true);
  });

  it("fail/an input the key cannot take rejects instead of crashing the worker, which keeps serving", async () => {
    await expect(ops.rsaRaw(rsa.privateKey, new Uint8Array(256).fill(0xff))).rejects.toThrow(); // not below the modulus
    const ct = publicEncrypt({ key: rsa.publicKey, padding: constants.RSA_PKCS1_PADDING }, randomBytes(16));
    expect((await ops.rsaRaw(rsa.privateKey, ct)).length).toBe(256);
  });
});

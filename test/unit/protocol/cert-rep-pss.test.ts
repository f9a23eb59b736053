/**
 * The client side (decodeCertRep, used by the forward worker on upstream
 * answers) with a CertRep whose signerInfo is RSASSA-PSS-signed, as a CA may
 * sign: verified with its parameters like a request; a bad PSS signature or
 * bad parameters is a CertRepError naming why.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parseSignedData, type PssParams } from "../../../src/crypto/index.js";
import { certRepSuccess, CertRepError, decodeCertRep, PkiStatus } from "../../../src/protocol/index.js";
import { patchByte, resignWithPss } from "../../support/craft.js";
import { testPki, type TestIdentity } from "../../support/pki.js";

let ra: TestIdentity;
let ca: TestIdentity;
let device: TestIdentity;

beforeAll(async () => {
  ({ ra, ca, device } = await testPki());
});

const SHA256_32: PssParams = { hash: "sha256", mgf1Hash: "sha256", saltLength: 32 };

/** A SUCCESS CertRep signed by the RA, re-signed with PSS. */
async function pssCertRep(params: PssParams, written?: Uint8Array | null): Promise<Uint8Array> {
  const der = await certRepSuccess({
    signer: { cert: ra.cert, key: ra.key, certificates: [ra.cert.der] },
    digest: params.hash,
    transactionId: "tx-pss",
    recipientNonce: Uint8Array.of(1, 2, 3, 4),
    signingTime: new Date(),
    recipient: device.cert,
    cipher: "aes128",
    certificates: [device.cert.der, ca.cert.der],
  });
  return resignWithPss(der, ra.key, { params, written });
}

const decode = (der: Uint8Array): ReturnType<typeof decodeCertRep> =>
  decodeCertRep(der, { decryption: [device.decryption], trustedSigners: [ca.cert], transactionId: "tx-pss", recipientNonce: Uint8Array.of(1, 2, 3, 4) });

describe("decodeCertRep with an RSASSA-PSS signerInfo", () => {
  it.each([
    ["SHA-256, salt 32", SHA256_32],
    ["SHA-1 defaults", { hash: "sha1", mgf1Hash: "sha1", saltLength: 20 } as const],
    ["SHA-512 with MGF1-SHA-1, salt 0", { hash: "sha512", mgf1Hash: "sha1", saltLength: 0 } as const],
  ])("ok/%s: SUCCESS opens", async (_what, params) => {
    const rep = await decode(await pssCertRep(params));
    expect(rep.status).toBe(PkiStatus.SUCCESS);
    expect(rep.digest).toBe(params.hash);
    expect(rep.certificates.map((c) => Buffer.from(c))).toEqual([Buffer.from(device.cert.der), Buffer.from(ca.cert.der)]);
  });

  it("fail/a flipped byte in the PSS signature → CertRepError (bad signature)", async () => {
    const der = await pssCertRep(SHA256_32);
    const tampered = patchByte(der, parseSignedData(der).signers[0]!.signature, 5);
    await expect(decode(tampered)).rejects.toThrow(new CertRepError("CertRep signature: bad signature"));
  });

  it("fail/trailerField 2 → CertRepError naming the parameter", async () => {
    const der = await pssCertRep(SHA256_32, Uint8Array.of(0x30, 0x05, 0xa3, 0x03, 0x02, 0x01, 0x02));
    await expect(decode(der)).rejects.toThrow(/^CertRep signature: RSASSA-PSS parameters: trailerField 2 is not trailerFieldBC \(1\)$/);
  });

  it("fail/no parameters → CertRepError", async () => {
    await expect(decode(await pssCertRep(SHA256_32, null))).rejects.toThrow(/CertRep signature: RSASSA-PSS signature without its parameters/);
  });
});

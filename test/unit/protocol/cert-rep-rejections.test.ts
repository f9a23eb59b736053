/**
 * decodeCertRep (client side) on hostile input: whatever the bytes, it
 * returns a checked CertRep or throws MalformedMessageError / CertRepError,
 * never a lower-level error (regression: DerError from a carried certificate
 * or from the signer's Name escaped).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { seq } from "../../../src/crypto/der.js";
import { certRepPending, CertRepError, decodeCertRep, MalformedMessageError } from "../../../src/protocol/index.js";
import { testPki, type TestIdentity } from "../../support/pki.js";
import { requestVectors } from "../../support/vectors.js";

let ra: TestIdentity;
let device: TestIdentity;

beforeAll(async () => {
  ({ ra, device } = await testPki());
});

describe("decodeCertRep on hostile input → MalformedMessageError or CertRepError only", () => {
  const signer = (): { cert: TestIdentity["cert"]; key: TestIdentity["key"]; certificates: Uint8Array[] } => ({
    cert: ra.cert,
    key: ra.key,
    certificates: [ra.cert.der],
  });

  it("ok/the unaltered CertRep decodes (baseline of this file)", async () => {
    const der = await certRepPending({ signer: signer(), digest: "sha256", transactionId: "t", signingTime: new Date() });
    expect((await decodeCertRep(der, { decryption: [device.decryption], trustedSigners: [ra.cert] })).status).toBe("3");
  });

  it("fail/a CertRep carrying a SEQUENCE that is not a certificate → MalformedMessageError", async () => {
    const notACertificate = seq(Uint8Array.of(2, 1, 1));
    const der = await certRepPending({
      signer: { ...signer(), certificates: [ra.cert.der, notACertificate] },
      digest: "sha256",
      transactionId: "t",
      signingTime: new Date(),
    });
    await expect(decodeCertRep(der, { decryption: [device.decryption] })).rejects.toThrow(MalformedMessageError);
  });

  it("fail/a CertRep whose signer certificate has a broken subject Name, from an untrusted signer → MalformedMessageError", async () => {
    const der = Buffer.from(await certRepPending({ signer: signer(), digest: "sha256", transactionId: "t", signingTime: new Date() }));
    // In the carried RA certificate, make the subject Name's first RDN a SEQUENCE instead of a SET.
    const subject = Buffer.from(ra.cert.subject);
    const at = der.indexOf(subject, der.indexOf(Buffer.from(ra.cert.spki)) - subject.length - 40);
    expect(at).toBeGreaterThan(0);
    der[at + (subject[1]! < 0x80 ? 2 : 2 + (subject[1]! & 0x7f))] = 0x30;
    await expect(decodeCertRep(der, { decryption: [device.decryption], trustedSigners: [device.cert] })).rejects.toThrow(MalformedMessageError);
  });

  it("fail/random byte mutations of every micromdm CertRep throw only MalformedMessageError or CertRepError", async () => {
    const thrown = new Set<string>();
    for (const v of requestVectors().filter((x) => x.meta.responseFile)) {
      const der = v.file(v.meta.responseFile!);
      const o = { decryption: [v.decryptionKey("client-signer.crt.pem", v.meta.signerKeyFile)], trustedSigners: [v.cert("ca.crt.pem")] };
      for (let n = 0; n < 200; n++) {
        const m = Buffer.from(der);
        m[Math.floor(Math.random() * m.length)] = Math.floor(Math.random() * 256);
        try {
          await decodeCertRep(m, o);
        } catch (err) {
          if (!(err instanceof MalformedMessageError) && !(err instanceof CertRepError)) thrown.add(String(err));
        }
      }
    }
    expect([...thrown]).toEqual([]);
  });
});

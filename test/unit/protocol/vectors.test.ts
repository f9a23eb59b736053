/**
 * The codec against real-client captures (test/vectors, see its README.md):
 * micromdm scepclient, strongSwan pki and certmonger requests, and micromdm
 * scepserver's CertReps. Every expected value comes from the vector's
 * meta.json, which was read with openssl, not with scepgate.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { degenerateSignedData, parseName, pemCertificates, type DecryptionKey } from "../../../src/crypto/index.js";
import {
  certRepSuccess, decodeCertRep, decodeRequest, MessageType, PkiStatus, type ScepRequest,
} from "../../../src/protocol/index.js";
import { cmsVerifyThenDecrypt } from "../../support/openssl-cms.js";
import { cipherNameByOid, keyTransportByOid, requestVectors, rfc2253, type Vector } from "../../support/vectors.js";

const vectors = requestVectors();
const hex = (b: Uint8Array | undefined): string | undefined => (b ? Buffer.from(b).toString("hex") : undefined);

function caKey(v: Vector): DecryptionKey {
  return v.decryptionKey("ca.crt.pem", "ca.key.pem");
}

function clientKey(v: Vector): DecryptionKey {
  return v.decryptionKey("client-signer.crt.pem", v.meta.signerKeyFile);
}

async function decodeVector(v: Vector): Promise<ScepRequest> {
  const decoded = await decodeRequest(v.file("request.der"), [caKey(v)]);
  if (!decoded.ok) throw new Error(`${v.name}: rejected: ${decoded.rejection.reason}`);
  return decoded.request;
}

/** The certificate the CertRep should carry: the issued one, or (no issuance captured) the signer's own. */
function bundleCert(v: Vector): Uint8Array {
  const file = v.has("issued.crt.pem") ? "issued.crt.pem" : "client-signer.crt.pem";
  return pemCertificates(v.file(file).toString("latin1"))[0]!;
}

const certRepVectors = vectors.filter((v) => v.meta.responseFile !== null && v.meta.responseMessageType === MessageType.CertRep);

describe("real-client requests (decodeRequest)", () => {
  it("ok/the vector set is there", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(10);
    expect(certRepVectors.length).toBeGreaterThanOrEqual(7);
  });

  it.each(vectors.map((v) => [v.name, v] as const))("ok/%s decodes to the values in meta.json", async (_name, v) => {
    const m = v.meta;
    const r = await decodeVector(v);
    expect(r.messageType).toBe(m.messageType);
    expect(r.transactionId).toBe(m.transactionID);
    expect(hex(r.senderNonce)).toBe(m.senderNonceHex);
    expect(r.algorithms.digest).toBe(m.digest);
    expect(r.algorithms.cipher).toBe(cipherNameByOid[m.contentEncryptionOid]);
    expect(r.algorithms.keyTransport).toBe(keyTransportByOid[m.keyEncryptionOid]);
    expect(Buffer.from(r.signer.der)).toEqual(Buffer.from(v.cert("client-signer.crt.pem").der));
    if (r.messageType === MessageType.PKCSReq || r.messageType === MessageType.RenewalReq) {
      expect(m.csrSubject).toBeDefined();
      expect(rfc2253(r.csr.subjectAttributes)).toBe(m.csrSubject);
      expect(r.csr.challengePassword).toBe(m.challengePassword);
      expect(Buffer.from(r.csr.der)).toEqual(v.file("csr.der"));
    } else if (r.messageType === MessageType.CertPoll) {
      expect(m.issuerAndSubjectIssuer).toBeDefined();
      expect(rfc2253(parseName(r.issuerAndSubject.issuer))).toBe(m.issuerAndSubjectIssuer);
      expect(rfc2253(parseName(r.issuerAndSubject.subject))).toBe(m.issuerAndSubjectSubject);
    } else {
      throw new Error(`unexpected messageType ${r.messageType}`);
    }
  });

  it.each(vectors.map((v) => [v.name, v] as const))("fail/%s is refused with badCertId by a key it was not encrypted to", async (_name, v) => {
    // The client's own signer identity is a well-formed key that is not the recipient.
    const decoded = await decodeRequest(v.file("request.der"), [clientKey(v)]);
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.rejection).toMatchObject({ failInfo: "4", messageType: v.meta.messageType, transactionId: v.meta.transactionID });
  });
});

describe("micromdm scepserver CertReps (decodeCertRep)", () => {
  it.each(certRepVectors.map((v) => [v.name, v] as const))("ok/%s decodes to meta's pkiStatus, failInfo and certificate", async (_name, v) => {
    const m = v.meta;
    const rep = await decodeCertRep(v.file(m.responseFile!), {
      decryption: [clientKey(v)],
      trustedSigners: [v.cert("ca.crt.pem")],
      transactionId: m.transactionID,
    });
    expect(rep.status).toBe(m.responsePkiStatus);
    expect(rep.failInfo ?? null).toBe(m.responseFailInfo ?? null);
    expect(rep.transactionId).toBe(m.responseTransactionID);
    expect(hex(rep.senderNonce)).toBe(m.responseSenderNonceHex);
    expect(hex(rep.recipientNonce)).toBe(m.responseRecipientNonceHex);
    if (rep.status === PkiStatus.SUCCESS) {
      // NOTE(client): micromdm scepserver always answers with single DES-CBC.
      expect(rep.certificates).toHaveLength(1);
      expect(Buffer.from(rep.certificates[0]!)).toEqual(Buffer.from(v.cert("issued.crt.pem").der));
    } else {
      expect(rep.certificates).toHaveLength(0);
    }
  });

  it.each(certRepVectors.filter((v) => v.meta.responsePkiStatus === PkiStatus.SUCCESS).map((v) => [v.name, v] as const))(
    "fail/%s does not open with a key it was not encrypted to",
    async (_name, v) => {
      const m = v.meta;
      await expect(decodeCertRep(v.file(m.responseFile!), { decryption: [caKey(v)], trustedSigners: [v.cert("ca.crt.pem")] })).rejects.toThrow(
        /envelope/,
      );
    },
  );
});

describe("our CertRep to each real client, checked with openssl cms", () => {
  it.each(vectors.map((v) => [v.name, v] as const))("ok/%s: SUCCESS mirroring the request opens with the client key", async (_name, v) => {
    const r = await decodeVector(v);
    const ca = caKey(v);
    const issued = bundleCert(v);
    const keyTransport = r.algorithms.keyTransport === "ecdh" ? undefined : r.algorithms.keyTransport;
    const rep = await certRepSuccess({
      signer: { cert: ca.cert, key: ca.key, certificates: [ca.cert.der] },
      digest: r.algorithms.digest,
      transactionId: r.transactionId,
      recipientNonce: r.senderNonce,
      signingTime: new Date(),
      recipient: r.signer,
      cipher: r.algorithms.cipher,
      keyTransport,
      certificates: [issued],
    });
    const legacy = r.algorithms.cipher === "des";
    const out = await cmsVerifyThenDecrypt(rep, join(v.dir, "client-signer.crt.pem"), join(v.dir, v.meta.signerKeyFile), legacy);
    expect(out).toMatchObject({ ok: true });
    if (!out.ok) return;
    expect(out.plaintext).toEqual(Buffer.from(degenerateSignedData([issued])));
  });

  it("fail/openssl refuses our CertRep with a key it was not encrypted to", async () => {
    const v = vectors.find((x) => x.name.startsWith("pki-aes128")) ?? vectors[0]!;
    const r = await decodeVector(v);
    const ca = caKey(v);
    const rep = await certRepSuccess({
      signer: { cert: ca.cert, key: ca.key, certificates: [ca.cert.der] },
      digest: r.algorithms.digest,
      transactionId: r.transactionId,
      signingTime: new Date(),
      recipient: r.signer,
      cipher: r.algorithms.cipher,
      certificates: [bundleCert(v)],
    });
    const out = await cmsVerifyThenDecrypt(rep, join(v.dir, "ca.crt.pem"), join(v.dir, "ca.key.pem"), r.algorithms.cipher === "des");
    expect(out).toMatchObject({ ok: false, step: "decrypt" });
  });
});

import { describe, expect, it } from "vitest";
import { buildCsr, buildName, parseCertificate } from "../../../src/crypto/index.js";
import {
  buildRequest, certRepFailure, certRepPending, certRepSuccess, decodeCertRep, decodeRequest, FailInfo, MessageType, PkiStatus,
} from "../../../src/protocol/index.js";
import { testPki } from "../../support/pki.js";

describe("request → CertRep round trip", () => {
  it("ok/PKCSReq decodes and a SUCCESS CertRep opens with the device key", async () => {
    const { ca, ra, device } = await testPki();
    const csr = buildCsr({ subject: buildName("CN=device-1, O=lab"), key: device.key, challengePassword: "s3cret" });
    const req = buildRequest({
      messageType: MessageType.PKCSReq,
      transactionId: "tx-1",
      messageData: csr,
      signer: device,
      recipient: ra.cert,
      cipher: "aes128",
      digest: "sha256",
      signingTime: new Date(),
    });
    const decoded = await decodeRequest(req.der, [ra.decryption]);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok || decoded.request.messageType !== MessageType.PKCSReq) throw new Error("unexpected");
    const r = decoded.request;
    expect(r.transactionId).toBe("tx-1");
    expect(Buffer.from(r.senderNonce)).toEqual(Buffer.from(req.senderNonce));
    expect(r.csr.challengePassword).toBe("s3cret");
    expect(r.csr.subjectText).toBe("CN=device-1, O=lab");
    expect(r.algorithms).toMatchObject({ digest: "sha256", cipher: "aes128", keyTransport: "rsa-pkcs1" });

    const rep = await certRepSuccess({
      signer: { cert: ra.cert, key: ra.key, certificates: [ra.cert.der] },
      digest: r.algorithms.digest,
      transactionId: r.transactionId,
      recipientNonce: r.senderNonce,
      signingTime: new Date(),
      recipient: r.signer,
      cipher: r.algorithms.cipher,
      certificates: [device.cert.der, ca.cert.der],
    });
    const out = await decodeCertRep(rep, {
      decryption: [device.decryption],
      trustedSigners: [ca.cert],
      transactionId: "tx-1",
      recipientNonce: req.senderNonce,
    });
    expect(out.status).toBe(PkiStatus.SUCCESS);
    expect(out.certificates.map((c) => parseCertificate(c).subjectText())).toEqual(["CN=device-1", "CN=Test CA, O=scepgate tests"]);
  });

  it("ok/PENDING and FAILURE carry status, failInfo and failInfoText", async () => {
    const { ra, device } = await testPki();
    const common = { signer: { cert: ra.cert, key: ra.key, certificates: [ra.cert.der] }, digest: "sha1" as const, transactionId: "t", recipientNonce: new Uint8Array(16), signingTime: new Date() };
    expect((await decodeCertRep(await certRepPending(common), { decryption: [device.decryption] })).status).toBe(PkiStatus.PENDING);
    const f = await decodeCertRep(await certRepFailure({ ...common, failInfo: FailInfo.badRequest, failInfoText: "challenge wrong" }), { decryption: [] });
    expect(f).toMatchObject({ status: PkiStatus.FAILURE, failInfo: FailInfo.badRequest, failInfoText: "challenge wrong" });
  });

  it("ok/EC device gets its SUCCESS by ECDH key agreement", async () => {
    const { ra, deviceEc } = await testPki();
    const rep = await certRepSuccess({
      signer: { cert: ra.cert, key: ra.key, certificates: [] },
      digest: "sha256",
      transactionId: "t",
      signingTime: new Date(),
      recipient: deviceEc.cert,
      cipher: "aes256",
      certificates: [deviceEc.cert.der],
    });
    const out = await decodeCertRep(rep, { decryption: [deviceEc.decryption], trustedSigners: [ra.cert] });
    expect(out.certificates).toHaveLength(1);
  });
});

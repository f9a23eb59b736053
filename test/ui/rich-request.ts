/**
 * A PKCSReq whose CSR asks for more than ScepDevice's plain one: SANs, key
 * usage, extended key usage, SHA-384 — what a real router or MDM agent
 * sends, so the detail page has something to show. Same device, key and
 * transactionID as the ScepDevice, so its later CertPoll collects the result.
 */
import {
  buildCsr, buildName, encodeKeyUsage, extKeyUsage, ExtKeyUsage, Oid, subjectAltName,
} from "../../src/crypto/index.js";
import { buildRequest, decodeCertRep, MessageType, type CertRep } from "../../src/protocol/index.js";
import type { ScepDevice } from "../integration/cli/scep-device.js";
import { postPkiOperation } from "../integration/support/craft-http.js";

export async function enrollWithExtensions(d: ScepDevice, dns: string): Promise<CertRep> {
  const csr = buildCsr({
    subject: buildName(`CN=${d.cn}, OU=branch routers, O=lab, C=DE`),
    key: d.device.key,
    digest: "sha384",
    extensions: [
      { oid: Oid.subjectAltName, value: subjectAltName({ dns: [dns], ip: ["192.0.2.10"] }) },
      { oid: Oid.keyUsage, critical: true, value: encodeKeyUsage({ digitalSignature: true, keyEncipherment: true }) },
      { oid: Oid.extKeyUsage, value: extKeyUsage([ExtKeyUsage.clientAuth, ExtKeyUsage.serverAuth]) },
    ],
  });
  const { der, senderNonce } = await buildRequest({
    messageType: MessageType.PKCSReq,
    transactionId: d.transactionId,
    messageData: csr,
    signer: { cert: d.device.cert, key: d.device.key },
    recipient: d.view.ra,
    cipher: "aes256",
    digest: "sha256",
    signingTime: new Date(),
  });
  const answer = await postPkiOperation(d.url, der);
  if (answer.status !== 200) throw new Error(`PKIOperation: HTTP ${answer.status}: ${answer.text.slice(0, 200)}`);
  return decodeCertRep(answer.body, {
    decryption: [d.device.decryption],
    trustedSigners: [d.view.ra],
    transactionId: d.transactionId,
    recipientNonce: senderNonce,
  });
}

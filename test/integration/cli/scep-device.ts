/**
 * A device talking SCEP to a running scepgate over fetch: PKCSReq and
 * CertPoll built with scepgate's own client side (src/protocol buildRequest),
 * answers checked with decodeCertRep (signed by the RA, our transactionID,
 * recipientNonce = our senderNonce).
 */
import { randomBytes } from "node:crypto";
import { X509Certificate } from "node:crypto";
import { buildRequest, decodeCertRep, MessageType, type CertRep, type RequestType } from "../../../src/protocol/index.js";
import {
  csrOf, fetchRaView, issuerAndSubject, makeDevice, postPkiOperation, type Device, type RaView,
} from "../support/craft-http.js";

export class ScepDevice {
  readonly transactionId = randomBytes(16).toString("hex");

  private constructor(
    readonly url: string,
    readonly device: Device,
    readonly view: RaView,
  ) {}

  /** A new device (RSA 2048, self-signed) enrolling at `url` (`…/scep` or `…/scep/PROFILE`). */
  static async at(url: string, cn: string): Promise<ScepDevice> {
    return new ScepDevice(url, makeDevice(cn), await fetchRaView(url));
  }

  get cn(): string {
    return this.device.cn;
  }

  /** PKCSReq with an optional challenge password; the same transactionID every time (a resend is a poll). */
  enroll(challenge?: string): Promise<CertRep> {
    return this.send(MessageType.PKCSReq, csrOf(this.device, { challenge }));
  }

  /** CertPoll (GetCertInitial) for this device's transaction. */
  poll(): Promise<CertRep> {
    return this.send(MessageType.CertPoll, issuerAndSubject(this.view.ca, this.device));
  }

  /** True when `rep` carries a certificate for this device's key. */
  gotCertificate(rep: CertRep): boolean {
    const der = rep.certificates[0];
    if (!der) return false;
    const cert = new X509Certificate(der);
    const mine = this.device.cert.spki;
    return Buffer.from(cert.publicKey.export({ type: "spki", format: "der" })).equals(Buffer.from(mine));
  }

  private async send(messageType: RequestType, messageData: Uint8Array): Promise<CertRep> {
    const { der, senderNonce } = buildRequest({
      messageType,
      transactionId: this.transactionId,
      messageData,
      signer: { cert: this.device.cert, key: this.device.key },
      recipient: this.view.ra,
      cipher: "aes128",
      digest: "sha256",
      signingTime: new Date(),
    });
    const answer = await postPkiOperation(this.url, der);
    if (answer.status !== 200) throw new Error(`PKIOperation: HTTP ${answer.status}: ${answer.text.slice(0, 200)}`);
    return decodeCertRep(answer.body, {
      decryption: [this.device.decryption],
      trustedSigners: [this.view.ra],
      transactionId: this.transactionId,
      recipientNonce: senderNonce,
    });
  }
}

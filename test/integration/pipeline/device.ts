/**
 * A device talking SCEP to scepgate directly: PKCSReq and CertPoll built
 * with src/protocol buildRequest, the answers checked with decodeCertRep
 * (signed by an RA certificate from GetCACert, our transactionID,
 * recipientNonce = our senderNonce) — to measure what the real clients'
 * process start and poll intervals would hide, and to poll for a real
 * client's transaction with that client's own key.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { buildCsr, buildName, certificatesOf, implicitRejectionSecret, parseCertificate, spkiOf, toPem, type Certificate, type DecryptionKey } from "../../../src/crypto/index.js";
import { buildRequest, decodeCertRep, encodeIssuerAndSubject, MessageType, PkiStatus, type CertRep, type RequestType } from "../../../src/protocol/index.js";
import { sleep } from "../../harness/process.js";
import { selfSignedDeviceCert } from "../../support/pki.js";

/** The RA as a device sees it through GetCACert. */
export interface RaView {
  /** The certificate requests are encrypted to. */
  recipient: Certificate;
  /** Certificates that may sign CertReps (every RA certificate). */
  signers: Certificate[];
  /** The trust anchor (self-issued). */
  root: Certificate;
}

export async function fetchRaView(url: string): Promise<RaView> {
  const res = await fetch(`${url}?operation=GetCACert`, { signal: AbortSignal.timeout(15_000) });
  const body = new Uint8Array(await res.arrayBuffer());
  if (!res.ok) throw new Error(`GetCACert ${url}: HTTP ${res.status}`);
  const all = certificatesOf(body).map(parseCertificate);
  const signers = all.filter((c) => !c.isSelfIssued && !c.keyUsage?.keyCertSign);
  const root = all.find((c) => c.isSelfIssued);
  // NOTE(micromdm): the RA certificate it issues has keyUsage digitalSignature only; the RA decrypts with that key anyway.
  const recipient = signers.find((c) => c.keyUsage?.keyEncipherment) ?? signers[0];
  if (!recipient || !root) throw new Error(`GetCACert ${url}: no RA or no CA certificate among ${all.map((c) => c.subjectText()).join("; ")}`);
  return { recipient, signers, root };
}

/** Options of {@link Device.create}. */
export interface DeviceOptions {
  /** The device's key (e.g. a real client's key.pem, to poll for its transaction); default a new RSA 2048 key. */
  keyPem?: string;
  /** The transactionID to use (e.g. a real client's, from `requests list`); default random. */
  transactionId?: string;
  /** Where to fetch GetCACert (an RA serving the same RA identity); default the device's own URL. */
  caCertFrom?: string;
}

/**
 * A device talking SCEP to `url` directly: a key, the self-signed certificate
 * it signs with, one transactionID. enroll() sends a PKCSReq (a resend is a
 * poll), poll() a CertPoll; both return the decoded, verified CertRep.
 */
export class Device {
  private constructor(
    readonly url: string,
    readonly cn: string,
    readonly transactionId: string,
    readonly key: KeyObject,
    readonly cert: Certificate,
    private readonly ra: RaView,
  ) {}

  static async create(url: string, cn: string, o: DeviceOptions = {}): Promise<Device> {
    const key = o.keyPem === undefined ? generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey : createPrivateKey(o.keyPem);
    const cert = selfSignedDeviceCert(cn, key);
    return new Device(url, cn, o.transactionId ?? randomBytes(16).toString("hex"), key, cert, await fetchRaView(o.caCertFrom ?? url));
  }

  /** The private key as PKCS#8 PEM. */
  get keyPem(): string {
    return this.key.export({ type: "pkcs8", format: "pem" }).toString();
  }

  /** The CA certificate GetCACert served (PEM). */
  get rootPem(): string {
    return toPem(this.ra.root.der);
  }

  /** PKCSReq for `CN=cn, O=lab` with an optional challengePassword (same transactionID every time). */
  enroll(challenge?: string): Promise<CertRep> {
    const csr = buildCsr({ subject: buildName(`CN=${this.cn}, O=lab`), key: this.key, challengePassword: challenge });
    return this.send(MessageType.PKCSReq, csr);
  }

  /** CertPoll (GetCertInitial) for this transaction. */
  poll(): Promise<CertRep> {
    return this.send(MessageType.CertPoll, encodeIssuerAndSubject({ issuer: this.ra.root.subject, subject: buildName(`CN=${this.cn}, O=lab`) }));
  }

  /** The certificate of a SUCCESS that carries this device's key (PEM), or undefined. */
  certificateIn(rep: CertRep): string | undefined {
    const mine = Buffer.from(spkiOf(this.key));
    const der = rep.certificates.find((d) => Buffer.from(parseCertificate(d).spki).equals(mine));
    return der === undefined ? undefined : toPem(der);
  }

  private async send(messageType: RequestType, messageData: Uint8Array): Promise<CertRep> {
    const { der, senderNonce } = buildRequest({
      messageType,
      transactionId: this.transactionId,
      messageData,
      signer: { cert: this.cert, key: this.key },
      recipient: this.ra.recipient,
      cipher: "aes128",
      digest: "sha256",
      signingTime: new Date(),
    });
    const res = await fetch(`${this.url}?operation=PKIOperation`, { method: "POST", body: der, signal: AbortSignal.timeout(30_000) });
    const body = new Uint8Array(await res.arrayBuffer());
    if (res.status !== 200) throw new Error(`PKIOperation ${this.url}: HTTP ${res.status}: ${Buffer.from(body).toString("utf8").slice(0, 200)}`);
    const decryption: DecryptionKey = { cert: this.cert, key: this.key, rejectionSecret: implicitRejectionSecret(this.key) };
    return decodeCertRep(body, { decryption: [decryption], trustedSigners: this.ra.signers, transactionId: this.transactionId, recipientNonce: senderNonce });
  }
}

/** CertPolls every `intervalMs` until the answer is not PENDING; returns it and how long that took. */
export async function pollUntilDone(device: Device, o: { intervalMs: number; timeoutMs: number }): Promise<{ rep: CertRep; ms: number; polls: number }> {
  const started = Date.now();
  for (let polls = 1; ; polls++) {
    const rep = await device.poll();
    if (rep.status !== PkiStatus.PENDING) return { rep, ms: Date.now() - started, polls };
    if (Date.now() - started > o.timeoutMs) throw new Error(`${device.cn}: still PENDING after ${o.timeoutMs} ms (${polls} polls)`);
    await sleep(o.intervalMs);
  }
}


/**
 * Builders for SCEP messages a device might send to a running scepgate over
 * HTTP, well-formed and deliberately broken, and readers for its answers.
 * Built with scepgate's own protocol/crypto modules (the broken ones by
 * editing their DER or signing hand-picked attributes).
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import {
  buildCsr, buildEnvelope, buildName, certificatesOf, findSignerCertificate, implicitRejectionSecret, Oid, parseCertificate, parseSignedData,
  signData, verifySigner, type Certificate, type CipherName, type DecryptionKey, type DigestName,
} from "../../../src/crypto/index.js";
import { selfSignedDeviceCert } from "../../support/pki.js";
import {
  decodeCertRep, encodeIssuerAndSubject, MessageType, readScepAttributes, scepAttributes,
  type CertRep, type RequestType, type ScepAttributes,
} from "../../../src/protocol/index.js";

/** A device: a key and the self-signed certificate it signs its requests with (as scepclient and pki make). */
export interface Device {
  cn: string;
  key: KeyObject;
  cert: Certificate;
  decryption: DecryptionKey;
}

/** A new device with an RSA key of `bits` (default 2048). */
export function makeDevice(cn: string, bits = 2048): Device {
  const { privateKey: key } = generateKeyPairSync("rsa", { modulusLength: bits });
  const cert = selfSignedDeviceCert(cn, key);
  return { cn, key, cert, decryption: { cert, key, rejectionSecret: implicitRejectionSecret(key) } };
}

/** The RA as a device sees it through GetCACert. */
export interface RaView {
  /** The RA certificate that takes requests (keyEncipherment) and signs CertReps. */
  ra: Certificate;
  /** The CA (self-issued) certificate. */
  ca: Certificate;
  contentType: string;
  all: Certificate[];
}

/** GetCACert → the RA and CA certificates. */
export async function fetchRaView(url: string): Promise<RaView> {
  const res = await fetch(`${url}?operation=GetCACert`);
  const body = new Uint8Array(await res.arrayBuffer());
  if (!res.ok) throw new Error(`GetCACert: HTTP ${res.status}`);
  const all = certificatesOf(body).map(parseCertificate);
  const ra = all.find((c) => !c.isSelfIssued && c.keyUsage?.keyEncipherment);
  const ca = all.find((c) => c.isSelfIssued);
  if (!ra || !ca) throw new Error(`GetCACert: no RA or no CA certificate among ${all.map((c) => c.subjectText()).join("; ")}`);
  return { ra, ca, all, contentType: res.headers.get("content-type") ?? "" };
}

/** A PKCS#10 request of `device` (its own key unless `key` is given), with an optional challenge. */
export function csrOf(device: Device, o: { challenge?: string; key?: KeyObject } = {}): Uint8Array {
  return buildCsr({ subject: buildName(`CN=${device.cn}, O=lab`), key: o.key ?? device.key, challengePassword: o.challenge });
}

/** What a crafted pkiMessage needs. */
export interface CraftOptions {
  device: Device;
  /** Encrypt the messageData to this certificate (normally the RA's). */
  recipient: Certificate;
  messageData: Uint8Array;
  /** SCEP attributes exactly as given (leave one out to omit it). */
  attributes: ScepAttributes;
  cipher?: CipherName;
  digest?: DigestName;
  /** Edits the EnvelopedData DER before it is signed. */
  editEnvelope?: (der: Uint8Array) => Uint8Array;
}

/** Signs an EnvelopedData of messageData as `device` with exactly the attributes given. */
export function craftMessage(o: CraftOptions): Uint8Array {
  let envelope = buildEnvelope({ content: o.messageData, cipher: o.cipher ?? "aes128", recipient: o.recipient });
  if (o.editEnvelope) envelope = o.editEnvelope(envelope);
  return signData({
    contentType: Oid.data,
    content: envelope,
    certificates: [o.device.cert.der],
    signerCert: o.device.cert,
    signerKey: o.device.key,
    digest: o.digest ?? "sha256",
    signingTime: new Date(),
    attributes: scepAttributes(o.attributes),
  });
}

/** A well-formed request (PKCSReq by default) with fresh transactionID and nonce unless given. */
export interface Request {
  der: Uint8Array;
  transactionId: string;
  senderNonce: Uint8Array;
}

export function request(o: {
  device: Device;
  recipient: Certificate;
  messageData: Uint8Array;
  messageType?: RequestType | string;
  transactionId?: string;
  senderNonce?: Uint8Array;
  cipher?: CipherName;
  digest?: DigestName;
  editEnvelope?: (der: Uint8Array) => Uint8Array;
}): Request {
  const transactionId = o.transactionId ?? randomBytes(20).toString("hex");
  const senderNonce = o.senderNonce ?? randomBytes(16);
  const der = craftMessage({
    ...o,
    attributes: { messageType: o.messageType ?? MessageType.PKCSReq, transactionId, senderNonce },
  });
  return { der, transactionId, senderNonce };
}

/** CertPoll messageData: IssuerAndSubject (RFC 8894 §3.3.3). */
export function issuerAndSubject(ca: Certificate, device: Device): Uint8Array {
  return encodeIssuerAndSubject({ issuer: ca.subject, subject: buildName(`CN=${device.cn}, O=lab`) });
}

/** A copy of `der` with its last byte flipped: the last field of a CMS SignedData or a CSR is its signature. */
export function flipLastByte(der: Uint8Array): Uint8Array {
  const out = Uint8Array.from(der);
  out[out.length - 1]! ^= 0x01;
  return out;
}

/**
 * A copy of an EnvelopedData whose CBC padding no longer decrypts: the
 * encryptedContent is the envelope's last field, so the block before the last
 * ends 16 + 1 bytes from the end (AES); flipping its top bit turns the last
 * padding byte (1..16) into 0x81..0x90, which no key makes valid.
 */
export function breakPadding(envelope: Uint8Array, blockSize = 16): Uint8Array {
  const out = Uint8Array.from(envelope);
  out[out.length - blockSize - 1]! ^= 0x80;
  return out;
}

/** Replaces the first occurrence of `from` in `der` with `to` (same length). */
export function replaceBytes(der: Uint8Array, from: Uint8Array, to: Uint8Array): Uint8Array {
  if (from.length !== to.length) throw new Error("replaceBytes: lengths differ");
  const at = Buffer.from(der).indexOf(Buffer.from(from));
  if (at < 0) throw new Error("replaceBytes: pattern not found");
  const out = Uint8Array.from(der);
  out.set(to, at);
  return out;
}

/** An HTTP answer, read whole. */
export interface HttpAnswer {
  status: number;
  contentType: string;
  body: Buffer;
  text: string;
}

/** POST PKIOperation with `body` (no Content-Type, as strongSwan does). */
export async function postPkiOperation(url: string, body: Uint8Array): Promise<HttpAnswer> {
  return answer(await fetch(`${url}?operation=PKIOperation`, { method: "POST", body, signal: AbortSignal.timeout(15_000) }));
}

/** GET with a raw query string (not re-encoded). */
export async function getRaw(url: string, query: string): Promise<HttpAnswer> {
  return answer(await fetch(`${url}${query}`, { signal: AbortSignal.timeout(15_000) }));
}

async function answer(res: Response): Promise<HttpAnswer> {
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", body, text: body.toString("utf8") };
}

/** A CertRep checked with decodeCertRep: signed by the RA, for `req` (transactionID and recipientNonce). */
export async function readCertRep(body: Uint8Array, ra: Certificate, device: Device, req?: Request): Promise<CertRep> {
  return await decodeCertRep(body, {
    decryption: [device.decryption],
    trustedSigners: [ra],
    transactionId: req?.transactionId,
    recipientNonce: req?.senderNonce,
  });
}

/**
 * The SCEP attributes of a CertRep after checking its signature with the RA
 * certificate, for answers decodeCertRep refuses by design (a FAILURE to a
 * request that had no transactionID carries none either).
 */
export function readSignedAttributes(body: Uint8Array, ra: Certificate): ScepAttributes {
  const sd = parseSignedData(body);
  const si = sd.signers[0];
  if (!si) throw new Error("CertRep has no signerInfo");
  const signer = findSignerCertificate(si, [ra]);
  if (!signer) throw new Error("CertRep is not signed by the RA certificate");
  verifySigner(sd, si, signer);
  return readScepAttributes(si.attributes);
}

/**
 * Client side of RFC 8894 §3: build requests (PKCSReq, RenewalReq, CertPoll,
 * GetCert, GetCRL) and decode the CertRep. Used to talk to an upstream CA as
 * the RA, and by tests and benchmarks as a device.
 */
import { randomBytes, type KeyObject } from "node:crypto";
import {
  buildEnvelope, DerError, findSignerCertificate, isTrustedBy, Oid, openEnvelope, parseCarriedCertificates, parseEnvelope, parseSignedData,
  signData, verifySigner, type Certificate, type CipherName, type DecryptionKey, type DigestName, type KeyTransportName, type ParsedSignedData,
} from "../crypto/index.js";
import { readScepAttributes, scepAttributes } from "./attributes.js";
import { CertRepError, MalformedMessageError } from "./errors.js";
import { isFailInfo, MessageType, PkiStatus, type FailInfo, type RequestType } from "./types.js";

export interface RequestSigner {
  cert: Certificate;
  key: KeyObject;
  /** Certificates to carry; default: the signer certificate alone. */
  certificates?: readonly Uint8Array[];
}

export interface BuildRequestOptions {
  messageType: RequestType;
  transactionId: string;
  senderNonce?: Uint8Array;
  /** CSR DER (PKCSReq, RenewalReq), IssuerAndSubject DER (CertPoll) or IssuerAndSerialNumber DER (GetCert, GetCRL). */
  messageData: Uint8Array;
  signer: RequestSigner;
  /** The CA/RA encryption certificate. */
  recipient: Certificate;
  cipher: CipherName;
  digest: DigestName;
  keyTransport?: KeyTransportName;
  oaepHash?: DigestName;
  signingTime: Date;
}

/** Builds a signed pkiMessage; returns its DER and the senderNonce used. */
export function buildRequest(o: BuildRequestOptions): { der: Uint8Array; senderNonce: Uint8Array } {
  const senderNonce = o.senderNonce ?? randomBytes(16);
  const envelope = buildEnvelope({ content: o.messageData, cipher: o.cipher, recipient: o.recipient, keyTransport: o.keyTransport, oaepHash: o.oaepHash });
  const der = signData({
    contentType: Oid.data,
    content: envelope,
    certificates: o.signer.certificates ?? [o.signer.cert.der],
    signerCert: o.signer.cert,
    signerKey: o.signer.key,
    digest: o.digest,
    signingTime: o.signingTime,
    attributes: scepAttributes({ messageType: o.messageType, transactionId: o.transactionId, senderNonce }),
  });
  return { der, senderNonce };
}

export interface CertRep {
  status: PkiStatus;
  failInfo?: FailInfo;
  failInfoText?: string;
  transactionId: string;
  senderNonce?: Uint8Array;
  recipientNonce?: Uint8Array;
  /** The certificate that signed the CertRep. */
  signer: Certificate;
  digest: DigestName;
  /** SUCCESS: the certificates of the decrypted certs-only bundle, DER, in order. */
  certificates: Uint8Array[];
  crls: Uint8Array[];
  /** SUCCESS: the content cipher the responder chose. */
  cipher?: CipherName;
}

export interface DecodeCertRepOptions {
  /** Our keys that may open the envelope (the signer identity of the request). */
  decryption: readonly DecryptionKey[];
  /** The signer must be one of these, or issued by one (the CA/RA certificates from GetCACert). */
  trustedSigners?: readonly Certificate[];
  /** Reject unless transactionID equals this. */
  transactionId?: string;
  /** Reject unless recipientNonce equals this (the senderNonce we sent). */
  recipientNonce?: Uint8Array;
}

function fail(message: string, cause?: unknown): never {
  throw new CertRepError(message, undefined, cause === undefined ? undefined : { cause });
}

/** Decodes and checks a CertRep. Throws MalformedMessageError or CertRepError. */
export async function decodeCertRep(der: Uint8Array, o: DecodeCertRepOptions): Promise<CertRep> {
  try {
    return await decodeParsedCertRep(parseSignedData(der), o);
  } catch (err) {
    // Also a carried certificate, or the signer's Name, that does not parse.
    if (err instanceof DerError) throw new MalformedMessageError(`CertRep is not a pkiMessage: ${err.message}`, { cause: err });
    throw err;
  }
}

async function decodeParsedCertRep(sd: ParsedSignedData, o: DecodeCertRepOptions): Promise<CertRep> {
  const si = sd.signers[0] ?? fail("CertRep has no signerInfo");
  const carried = parseCarriedCertificates(sd);
  const signer = findSignerCertificate(si, [...carried, ...(o.trustedSigners ?? [])]) ?? fail("CertRep signer certificate not found");
  if (o.trustedSigners && !isTrustedBy(signer, o.trustedSigners)) fail(`CertRep signed by an untrusted certificate (${signer.subjectText()})`);
  let digest: DigestName;
  try {
    digest = verifySigner(sd, si, signer);
  } catch (err) {
    fail(`CertRep signature: ${(err as Error).message}`, err);
  }
  const a = readScepAttributes(si.attributes);
  if (a.messageType !== MessageType.CertRep) fail(`expected a CertRep, got messageType ${a.messageType}`);
  if (!a.transactionId) fail("CertRep without transactionID");
  if (o.transactionId !== undefined && a.transactionId !== o.transactionId) fail("CertRep transactionID does not match the request");
  if (o.recipientNonce && (!a.recipientNonce || Buffer.compare(a.recipientNonce, o.recipientNonce) !== 0)) {
    fail("CertRep recipientNonce does not match our senderNonce");
  }
  const status = a.pkiStatus;
  if (status !== PkiStatus.SUCCESS && status !== PkiStatus.PENDING && status !== PkiStatus.FAILURE) fail(`CertRep with pkiStatus ${status}`);
  const rep: CertRep = { status, transactionId: a.transactionId, senderNonce: a.senderNonce, recipientNonce: a.recipientNonce, signer, digest, certificates: [], crls: [] };
  if (status === PkiStatus.FAILURE) {
    rep.failInfo = a.failInfo !== undefined && isFailInfo(a.failInfo) ? a.failInfo : undefined;
    rep.failInfoText = a.failInfoText;
  }
  if (status !== PkiStatus.SUCCESS) return rep;
  if (!sd.content?.length) fail("SUCCESS CertRep without pkcsPKIEnvelope");
  try {
    const opened = await openEnvelope(parseEnvelope(sd.content), o.decryption);
    const bundle = parseSignedData(opened.content);
    return { ...rep, certificates: bundle.certificates, crls: bundle.crls, cipher: opened.cipher };
  } catch (err) {
    fail(`CertRep envelope: ${(err as Error).message}`, err);
  }
}

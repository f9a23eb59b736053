/**
 * `scepgate batch collect`: reading the CertRep a CA returned for a PKCSReq
 * that `--requests-only` wrote. That request was signed by the RA (only the
 * RA certificate carried), so the CA encrypted its answer to the RA
 * certificate (RFC 8894 §3.3.2): the RA's decryption keys open it, not the
 * device key. The answer must be signed by a certificate the upstream served
 * (the signers saved with the requests) and carry the request's
 * transactionID and, as recipientNonce, its senderNonce.
 */
import { parseCertificate, parseSignedData, type Certificate, type DecryptionKey } from "../crypto/index.js";
import { decodeCertRep, failInfoName, PkiStatus, readScepAttributes } from "../protocol/index.js";
import { BatchDeviceError } from "./batch-enrollment.js";

export type CollectedCertRep =
  | { status: "issued"; certificate: Certificate }
  | { status: "pending" }
  | { status: "rejected"; reason: string };

export interface CollectInput {
  /** The PKCSReq (NAME.p7). */
  request: Uint8Array;
  /** The CA's answer (NAME.p7r). */
  certRep: Uint8Array;
  /** The RA's keys (the request signer's identity). */
  decryption: readonly DecryptionKey[];
  /** Who may sign the CertRep: the upstream's CA and RA certificates, as saved with the requests. */
  trustedSigners: readonly Certificate[];
  /** The device key's SubjectPublicKeyInfo: the certificate must be for it. */
  deviceSpki: Uint8Array;
}

/** The transactionID and senderNonce of a request we built. */
export function requestIdentifiers(request: Uint8Array): { transactionId: string; senderNonce: Uint8Array } {
  let attrs;
  try {
    const si = parseSignedData(request).signers[0];
    attrs = si && readScepAttributes(si.attributes);
  } catch (err) {
    throw new BatchDeviceError(`the request is not a pkiMessage (${(err as Error).message})`, { cause: err });
  }
  if (!attrs?.transactionId || !attrs.senderNonce) throw new BatchDeviceError("the request has no transactionID or senderNonce");
  return { transactionId: attrs.transactionId, senderNonce: attrs.senderNonce };
}

/** Decodes and checks the CertRep to one device's request. Throws MalformedMessageError, CertRepError or BatchDeviceError. */
export async function collectCertRep(i: CollectInput): Promise<CollectedCertRep> {
  const { transactionId, senderNonce } = requestIdentifiers(i.request);
  const rep = await decodeCertRep(i.certRep, { decryption: i.decryption, trustedSigners: i.trustedSigners, transactionId, recipientNonce: senderNonce });
  // decodeCertRep also trusts certificates issued by a trusted one; the CA's end-entity certificates must not sign CertReps.
  if (!i.trustedSigners.some((c) => Buffer.compare(c.der, rep.signer.der) === 0)) {
    throw new BatchDeviceError(`the CertRep is signed by ${rep.signer.subjectText()}, which the upstream did not serve as a CA or RA certificate`);
  }
  if (rep.status === PkiStatus.PENDING) return { status: "pending" };
  if (rep.status === PkiStatus.FAILURE) {
    const why = rep.failInfo === undefined ? "no failInfo" : failInfoName(rep.failInfo);
    return { status: "rejected", reason: `the CA refused the request (${why}${rep.failInfoText ? `: ${rep.failInfoText}` : ""})` };
  }
  const certificate = rep.certificates.map(parseCertificate).find((c) => Buffer.compare(c.spki, i.deviceSpki) === 0);
  if (!certificate) throw new BatchDeviceError("the CertRep holds no certificate for the device key");
  return { status: "issued", certificate };
}

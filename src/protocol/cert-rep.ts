/**
 * Server side of RFC 8894 §3.3.2: build CertRep messages signed by the RA.
 */
import { randomBytes, type KeyObject } from "node:crypto";
import {
  buildEnvelope, degenerateSignedData, inThreadKeyOps, Oid, signDataWith,
  type Certificate, type CipherName, type DigestName, type KeyTransportName, type PrivateKeyOps,
} from "../crypto/index.js";
import { scepAttributes } from "./attributes.js";
import { MessageType, PkiStatus, type FailInfo } from "./types.js";

/** The RA's signing identity and the certificates its CertReps carry. */
export interface CertRepSigner {
  cert: Certificate;
  key: KeyObject;
  /** Certificates put in the CertRep's SignedData (typically the RA certificate). */
  certificates: readonly Uint8Array[];
  /** Where the signature is computed; default: on this thread. */
  ops?: PrivateKeyOps;
}

export interface CertRepCommon {
  signer: CertRepSigner;
  digest: DigestName;
  /** The request's transactionID; omitted only when the request had none. */
  transactionId?: string;
  /** The request's senderNonce. */
  recipientNonce?: Uint8Array;
  /** Fresh by default (16 random octets). */
  senderNonce?: Uint8Array;
  signingTime: Date;
}

export interface SuccessOptions extends CertRepCommon {
  /** Who can open the answer: the request's signer certificate. */
  recipient: Certificate;
  cipher: CipherName;
  keyTransport?: KeyTransportName;
  /** The OAEP hash when keyTransport is rsa-oaep (default SHA-1). */
  oaepHash?: DigestName;
  /** Issued certificate first, then any chain; or the certificate asked for by GetCert. */
  certificates: readonly Uint8Array[];
  /** For GetCRL. */
  crls?: readonly Uint8Array[];
}

function sign(c: CertRepCommon, status: PkiStatus, content: Uint8Array, failInfo?: FailInfo, failInfoText?: string): Promise<Uint8Array> {
  return signDataWith({
    contentType: Oid.data,
    content,
    certificates: c.signer.certificates,
    signerCert: c.signer.cert,
    signerKey: c.signer.key,
    digest: c.digest,
    signingTime: c.signingTime,
    attributes: scepAttributes({
      messageType: MessageType.CertRep,
      pkiStatus: status,
      failInfo,
      failInfoText,
      transactionId: c.transactionId,
      senderNonce: c.senderNonce ?? randomBytes(16),
      recipientNonce: c.recipientNonce,
    }),
  }, c.signer.ops ?? inThreadKeyOps);
}

/** SUCCESS: the certs-only bundle, enveloped to the requester (RFC 8894 §3.3.2.1). */
export async function certRepSuccess(o: SuccessOptions): Promise<Uint8Array> {
  const bundle = degenerateSignedData(o.certificates, o.crls);
  const envelope = buildEnvelope({ content: bundle, cipher: o.cipher, recipient: o.recipient, keyTransport: o.keyTransport, oaepHash: o.oaepHash });
  return sign(o, PkiStatus.SUCCESS, envelope);
}

/**
 * PENDING. NOTE(client): the eContent is present and empty; micromdm
 * scepclient and strongSwan both reject a CertRep without eContent.
 */
export async function certRepPending(o: CertRepCommon): Promise<Uint8Array> {
  return sign(o, PkiStatus.PENDING, new Uint8Array(0));
}

/** FAILURE with failInfo and, when given, failInfoText (RFC 8894 §3.2.1.4). */
export async function certRepFailure(o: CertRepCommon & { failInfo: FailInfo; failInfoText?: string }): Promise<Uint8Array> {
  return sign(o, PkiStatus.FAILURE, new Uint8Array(0), o.failInfo, o.failInfoText);
}

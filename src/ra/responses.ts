/**
 * CertRep answers of a profile: the RA signs, algorithms mirror the request
 * except where the profile pins them or compat rules say otherwise
 * (DESIGN.md "Cryptographic rules").
 */
import { randomBytes } from "node:crypto";
import type { CipherName, DigestName } from "../crypto/index.js";
import {
  certRepFailure, certRepPending, certRepSuccess, FailInfo, failInfoName,
  type CertRepCommon, type RequestAlgorithms, type ScepRequest,
} from "../protocol/index.js";
import type { Profile } from "./profile.js";
import type { Transaction } from "./ports.js";
import type { CertRepSummary } from "./service.js";

/** What a CertRep says, without the request's messageType. */
export type CertRepStatus = Omit<CertRepSummary, "messageType">;

/**
 * The status of every CertRep built here, keyed by its bytes: the service
 * reports it with the answer (CertRepSummary) without decoding what it just
 * encoded, and without every use-case returning it alongside the bytes.
 */
const statusOfBody = new WeakMap<Uint8Array, CertRepStatus>();

function tagged(body: Uint8Array, status: CertRepStatus): Uint8Array {
  statusOfBody.set(body, status);
  return body;
}

const PENDING_STATUS: CertRepStatus = { pkiStatus: "PENDING" };
const SUCCESS_STATUS: CertRepStatus = { pkiStatus: "SUCCESS" };

/** The pkiStatus (and failInfo) of a CertRep built by this module; undefined for other bytes. */
export function certRepStatus(body: Uint8Array): CertRepStatus | undefined {
  return statusOfBody.get(body);
}

/** The digest to answer with. */
export function responseDigest(profile: Profile, requested: DigestName | undefined): DigestName {
  const pinned = profile.settings.crypto.digest;
  if (pinned !== "mirror") return pinned;
  if (!requested) return "sha256";
  if (requested === "md5" && !profile.settings.compat.legacyDigest) return "sha1";
  return requested;
}

/** The content cipher to answer with: a single-DES request gets 3DES unless compat.legacyDes. */
export function responseCipher(profile: Profile, requested: CipherName): CipherName {
  const pinned = profile.settings.crypto.cipher;
  if (pinned !== "mirror") return pinned;
  if (requested === "des" && !profile.settings.compat.legacyDes) return "des3";
  return requested;
}

function common(profile: Profile, now: Date, digest: DigestName | undefined, transactionId?: string, nonce?: Uint8Array): CertRepCommon {
  return {
    signer: { cert: profile.identity.signer.cert, key: profile.identity.signer.key, certificates: [profile.identity.signer.cert.der], ops: profile.keyOps },
    digest: responseDigest(profile, digest),
    transactionId,
    recipientNonce: nonce,
    senderNonce: randomBytes(16),
    signingTime: now,
  };
}

export async function pending(profile: Profile, req: ScepRequest, now: Date): Promise<Uint8Array> {
  return tagged(await certRepPending(common(profile, now, req.algorithms.digest, req.transactionId, req.senderNonce)), PENDING_STATUS);
}

/** FAILURE to a request we could decode far enough to know its ids (or not). */
export async function failure(
  profile: Profile,
  now: Date,
  r: { transactionId?: string; senderNonce?: Uint8Array; digest?: DigestName },
  failInfo: FailInfo,
  reason: string,
): Promise<Uint8Array> {
  const body = await certRepFailure({ ...common(profile, now, r.digest, r.transactionId, r.senderNonce), failInfo, failInfoText: reason });
  return tagged(body, { pkiStatus: "FAILURE", failInfo: failInfoName(failInfo) });
}

/** SUCCESS with certificates (issued certificate first), enveloped to the request's signer. */
export async function success(profile: Profile, req: ScepRequest, now: Date, certificates: readonly Uint8Array[], crls?: readonly Uint8Array[]): Promise<Uint8Array> {
  const alg: RequestAlgorithms = req.algorithms;
  const body = await certRepSuccess({
    ...common(profile, now, alg.digest, req.transactionId, req.senderNonce),
    recipient: req.signer,
    cipher: responseCipher(profile, alg.cipher),
    keyTransport: alg.keyTransport === "rsa-oaep" ? "rsa-oaep" : "rsa-pkcs1",
    oaepHash: alg.oaepHash,
    certificates,
    crls,
  });
  return tagged(body, SUCCESS_STATUS);
}

/** The answer a stored transaction gives to its requester (a poll, or a resent PKCSReq). */
export async function answerFromRecord(profile: Profile, req: ScepRequest, tx: Transaction, now: Date): Promise<Uint8Array> {
  if (tx.state === "issued" && tx.certificate) {
    const chain = profile.settings.compat.caCertInCertRep ? (tx.chain ?? []) : [];
    return success(profile, req, now, [Buffer.from(tx.certificate, "base64"), ...chain.map((c) => Buffer.from(c, "base64"))]);
  }
  if (tx.state === "rejected" || tx.state === "failed") {
    return failure(profile, now, { ...req, digest: req.algorithms.digest }, tx.failInfo ?? FailInfo.badRequest, tx.reason ?? "request refused");
  }
  return pending(profile, req, now);
}

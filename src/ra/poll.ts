/**
 * CertPoll / GetCertInitial (RFC 8894 §3.3.3): the stored result, and only to
 * the key that sent the original request.
 */
import { FailInfo, type ScepRequest } from "../protocol/index.js";
import type { EnrollmentDeps } from "./enrollment.js";
import { keyId } from "./ids.js";
import type { Profile } from "./profile.js";
import { answerFromRecord, failure } from "./responses.js";

export async function handlePoll(deps: EnrollmentDeps, profile: Profile, req: ScepRequest): Promise<Uint8Array> {
  const tx = await deps.store.get(profile.name, req.transactionId);
  const now = deps.clock.now();
  // The same answer for "unknown" and "not yours": a poll must not reveal other devices' transactions.
  if (!tx || tx.requesterKeyId !== keyId(req.signer.spki)) {
    return failure(profile, now, { ...req, digest: req.algorithms.digest }, FailInfo.badCertId, "no transaction with this transactionID for this key");
  }
  return answerFromRecord(profile, req, tx, now);
}

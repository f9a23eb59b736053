/**
 * CertPoll / GetCertInitial (RFC 8894 §3.3.3): the stored result, and only to
 * the key that sent the original request. One Redis round trip per poll: the
 * record comes with the nonce check ({@link lookupRequest}).
 */
import { FailInfo, type ScepRequest } from "../protocol/index.js";
import { issueInline, type ForwardDeps } from "./forward.js";
import { keyId } from "./ids.js";
import type { Profile } from "./profile.js";
import type { NonceCheck, Transaction, TransactionStore } from "./ports.js";
import { answerFromRecord, failure } from "./responses.js";

/** What the store knows of a request's transactionID and senderNonce when it arrives. */
export interface RequestLookup {
  nonce: NonceCheck;
  tx: Transaction | undefined;
}

/** The nonce check and the record of the request's transactionID, in one round trip when the store can. */
export async function lookupRequest(store: TransactionStore, profile: Profile, req: ScepRequest, messageDigest: string): Promise<RequestLookup> {
  const window = profile.settings.replayWindowMs;
  if (store.lookup) return store.lookup(profile.name, req.transactionId, req.senderNonce, messageDigest, window);
  const nonce = await store.checkNonce(profile.name, req.senderNonce, messageDigest, window);
  return { nonce, tx: await store.get(profile.name, req.transactionId) };
}

/**
 * Answers a CertPoll from `tx`, the record of its transactionID (as looked up
 * on arrival). An `approved` record of an inline (embedded CA) profile is
 * issued first (see {@link issueInline}).
 */
export async function handlePoll(deps: ForwardDeps, profile: Profile, req: ScepRequest, tx: Transaction | undefined): Promise<Uint8Array> {
  // The same answer for "unknown" and "not yours": a poll must not reveal other devices' transactions.
  if (!tx || tx.requesterKeyId !== keyId(req.signer.spki)) {
    return failure(profile, deps.clock.now(), { ...req, digest: req.algorithms.digest }, FailInfo.badCertId, "no transaction with this transactionID for this key");
  }
  const current = tx.state === "approved" && profile.upstream.inline ? await issueInline(deps, profile, tx) : tx;
  return answerFromRecord(profile, req, current, deps.clock.now());
}

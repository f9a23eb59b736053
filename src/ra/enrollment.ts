/**
 * PKCSReq and RenewalReq (RFC 8894 §3.3.1): policy, the transaction record,
 * and the answer. Idempotent per (profile, transactionID): a resent request
 * is a poll and never issues twice; a new CSR under a finished transactionID
 * (or the same CSR after the resend window) is a new attempt (resend.ts).
 */
import type { Csr } from "../crypto/index.js";
import { FailInfo, type ScepRequest } from "../protocol/index.js";
import { issueInline } from "./forward.js";
import { keyId } from "./ids.js";
import { derBase64, newTransaction, successorOf } from "./new-transaction.js";
import { resendVerdict } from "./resend.js";
import type { Profile } from "./profile.js";
import type { Clock, ForwardQueue, Logger, NonceCheck, PolicyDecision, RequestContext, Transaction, TransactionState, TransactionStore } from "./ports.js";
import { answerFromRecord, failure } from "./responses.js";

export interface EnrollmentDeps {
  store: TransactionStore;
  clock: Clock;
  logger: Logger;
  /** Needed for profiles whose CA is not inline. */
  queue?: ForwardQueue;
}

type EnrollmentRequest = Extract<ScepRequest, { csr: Csr }>;

/** Handles a decoded PKCSReq/RenewalReq and returns the CertRep. */
export async function handleEnrollment(
  deps: EnrollmentDeps,
  profile: Profile,
  req: EnrollmentRequest,
  nonce: NonceCheck,
  context: RequestContext,
  /** The record of the transactionID as looked up on arrival (with the nonce check); absent: read here. */
  known?: { tx: Transaction | undefined },
): Promise<Uint8Array> {
  for (let round = 0; round < 3; round++) {
    const existing = round === 0 && known ? known.tx : await deps.store.get(profile.name, req.transactionId);
    const answer = await enrollOnce(deps, profile, req, nonce, context, existing);
    if (answer) return answer;
  }
  throw new Error(`transaction ${req.transactionId} of profile ${profile.name} keeps changing under this request`);
}

/** One look at the record and what follows from it; undefined when another request changed the record meanwhile. */
async function enrollOnce(
  deps: EnrollmentDeps, profile: Profile, req: EnrollmentRequest, nonce: NonceCheck, context: RequestContext, existing: Transaction | undefined,
): Promise<Uint8Array | undefined> {
  if (!existing) return startTransaction(deps, profile, req, context);
  const now = deps.clock.now();
  if (existing.requesterKeyId !== keyId(req.signer.spki)) {
    return failure(profile, now, { ...req, digest: req.algorithms.digest }, FailInfo.badRequest, "transactionID is in use by another key");
  }
  const csr = derBase64(req.csr.der);
  const verdict = resendVerdict(existing, { csr, resent: nonce === "resent" }, now, profile.settings.resendWindowMs);
  if (verdict.kind === "poll") return continueTransaction(deps, profile, req, existing);
  if (verdict.kind === "conflict") {
    deps.logger.info({ profile: profile.name, id: existing.id, state: existing.state }, "new CSR under an open transaction refused");
    return failure(profile, now, { ...req, digest: req.algorithms.digest }, FailInfo.badRequest, verdict.reason);
  }
  return startTransaction(deps, profile, req, context, { previous: existing, reason: verdict.reason });
}

/**
 * Runs policy and records the request: a new record, or the next attempt in
 * place of the finished `next.previous`. Undefined when another request got
 * there first (the caller looks again).
 */
async function startTransaction(
  deps: EnrollmentDeps,
  profile: Profile,
  req: EnrollmentRequest,
  context: RequestContext,
  next?: { previous: Transaction; reason: string },
): Promise<Uint8Array | undefined> {
  const { verdict, fresh } = await decide(deps, profile, req, context);
  const tx = next ? successorOf(fresh, next.previous) : fresh;
  const stored = next
    ? await deps.store.supersede(tx, next.previous, { actor: "policy", reason: next.reason })
    : (await deps.store.create(tx, "policy")).created;
  if (!stored) return undefined;
  return started(deps, profile, req, tx, verdict);
}

/**
 * A PKCSReq/RenewalReq of a profile whose policy is side-effect-free, in one
 * Redis round trip when it is new: policy first, then the nonce check and
 * the record's creation in one script. Undefined when that does not apply
 * (the caller looks the record up); else the answer when the record was
 * created, or what the store had (a replay, or a record under this
 * transactionID) for the usual path.
 */
export async function enrollChecked(
  deps: EnrollmentDeps, profile: Profile, req: EnrollmentRequest, messageDigest: string, context: RequestContext,
): Promise<{ answer: Uint8Array } | { lookup: { nonce: NonceCheck; tx: Transaction | undefined } } | undefined> {
  if (!profile.policy.sideEffectFree || !deps.store.createChecked) return undefined;
  const { verdict, fresh } = await decide(deps, profile, req, context);
  const nonce = { nonce: req.senderNonce, digest: messageDigest, windowMs: profile.settings.replayWindowMs };
  const r = await deps.store.createChecked(fresh, "policy", nonce);
  if (!r.created) return { lookup: { nonce: r.nonce, tx: r.tx } };
  return { answer: await started(deps, profile, req, r.tx, verdict) };
}

/** Policy's verdict on a request, and the record it would start. */
async function decide(deps: EnrollmentDeps, profile: Profile, req: EnrollmentRequest, context: RequestContext): Promise<{ verdict: PolicyDecision; fresh: Transaction }> {
  const now = deps.clock.now();
  const verdict = await profile.policy.evaluate({
    profile: profile.name,
    csr: req.csr,
    messageType: req.messageType,
    requesterCertDer: req.signer.der,
    now,
    transactionId: req.transactionId,
    context,
  });
  const state: TransactionState = verdict.decision === "reject" ? "rejected" : verdict.decision === "manual" ? "pending_approval" : "approved";
  const fresh: Transaction = {
    ...newTransaction({
      profile: profile.name,
      transactionId: req.transactionId,
      messageType: req.messageType,
      csr: req.csr,
      requesterCert: req.signer.der,
      requesterSpki: req.signer.spki,
      state,
      challenge: verdict.challenge,
      context,
      source: "scep",
      now,
    }),
    ...(verdict.decision === "reject" ? { failInfo: verdict.failInfo, reason: verdict.reason, decidedBy: "policy" } : {}),
    ...(verdict.decision === "approve" ? { decidedBy: "policy" } : {}),
  };
  return { verdict, fresh };
}

/** The answer to a request whose record `tx` was just written. */
async function started(deps: EnrollmentDeps, profile: Profile, req: EnrollmentRequest, tx: Transaction, verdict: PolicyDecision): Promise<Uint8Array> {
  if (verdict.decision === "manual" && verdict.reason) await auditHeld(deps, tx, verdict.reason);
  deps.logger.info({ profile: profile.name, id: tx.id, attempt: tx.attempt ?? 1, subject: tx.subject, state: tx.state }, "enrollment request");
  return continueTransaction(deps, profile, req, tx);
}

/** Moves an approved transaction on and answers with its current state. */
async function continueTransaction(deps: EnrollmentDeps, profile: Profile, req: EnrollmentRequest, tx: Transaction): Promise<Uint8Array> {
  let current: Transaction | undefined = tx;
  if (tx.state === "approved" && profile.upstream.inline) {
    current = await issueInline(deps, profile, tx, req.csr);
  } else if (tx.state === "approved" || tx.state === "forwarding" || tx.state === "upstream_pending") {
    if (tx.state === "approved") await requireQueue(deps).enqueueForward(profile.name, tx.transactionId);
    current = (await deps.store.waitForFinal(profile.name, tx.transactionId, profile.settings.syncWaitMs)) ?? tx;
  }
  return answerFromRecord(profile, req, current ?? tx, deps.clock.now());
}

/** Records on the new record why policy held it for an operator (e.g. the challenge webhook did not answer). */
async function auditHeld(deps: EnrollmentDeps, tx: Transaction, reason: string): Promise<void> {
  deps.logger.warn({ profile: tx.profile, id: tx.id, reason }, "request held for an operator");
  await deps.store.transition(tx.profile, tx.transactionId, ["pending_approval"], {}, { actor: "policy", event: "held-for-operator", reason });
}

function requireQueue(deps: EnrollmentDeps): ForwardQueue {
  if (!deps.queue) throw new Error("this profile forwards to a remote CA but no forward queue is configured");
  return deps.queue;
}

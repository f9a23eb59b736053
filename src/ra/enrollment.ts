/**
 * PKCSReq and RenewalReq (RFC 8894 §3.3.1): policy, the transaction record,
 * and the answer. Idempotent per (profile, transactionID): a resent request
 * is a poll and never issues twice.
 */
import type { Csr } from "../crypto/index.js";
import { FailInfo, type ScepRequest } from "../protocol/index.js";
import { enrollUpstream, recordUpstreamResult } from "./forward.js";
import { keyId } from "./ids.js";
import { newTransaction } from "./new-transaction.js";
import type { Profile } from "./profile.js";
import type { Clock, ForwardQueue, Logger, NonceCheck, RequestContext, Transaction, TransactionState, TransactionStore } from "./ports.js";
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
): Promise<Uint8Array> {
  const existing = await deps.store.get(profile.name, req.transactionId);
  if (!existing) return startTransaction(deps, profile, req, context, false);
  if (existing.requesterKeyId !== keyId(req.signer.spki)) {
    return failure(profile, deps.clock.now(), { ...req, digest: req.algorithms.digest }, FailInfo.badRequest, "transactionID is in use by another key");
  }
  const refused = existing.state === "rejected" || existing.state === "failed";
  const sameCsr = existing.csr === Buffer.from(req.csr.der).toString("base64");
  // NOTE(client): micromdm scepclient polls by re-sending the same PKCSReq; only a changed CSR is a new attempt.
  if (refused && !sameCsr && nonce === "fresh") return startTransaction(deps, profile, req, context, true);
  return continueTransaction(deps, profile, req, existing);
}

async function startTransaction(deps: EnrollmentDeps, profile: Profile, req: EnrollmentRequest, context: RequestContext, restart: boolean): Promise<Uint8Array> {
  const now = deps.clock.now();
  const verdict = await profile.policy.evaluate({
    profile: profile.name,
    csr: req.csr,
    messageType: req.messageType,
    requesterCertDer: req.signer.der,
    now,
  });
  const state: TransactionState = verdict.decision === "reject" ? "rejected" : verdict.decision === "manual" ? "pending_approval" : "approved";
  const tx: Transaction = {
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
  const stored = restart
    ? (await deps.store.restart(tx, "policy")) ? { created: true, tx } : { created: false, tx: await deps.store.get(profile.name, req.transactionId) }
    : await deps.store.create(tx, "policy");
  if (!stored.tx) throw new Error(`transaction ${tx.id} vanished`);
  deps.logger.info({ profile: profile.name, id: stored.tx.id, subject: tx.subject, state: stored.tx.state, created: stored.created }, "enrollment request");
  return continueTransaction(deps, profile, req, stored.tx);
}

/** Moves an approved transaction on and answers with its current state. */
async function continueTransaction(deps: EnrollmentDeps, profile: Profile, req: EnrollmentRequest, tx: Transaction): Promise<Uint8Array> {
  let current: Transaction | undefined = tx;
  if (tx.state === "approved" && profile.upstream.inline) {
    const result = await enrollUpstream(profile, tx, req.csr);
    current = (await recordUpstreamResult(deps, tx, result, ["approved"])) ?? (await deps.store.get(profile.name, tx.transactionId));
  } else if (tx.state === "approved" || tx.state === "forwarding" || tx.state === "upstream_pending") {
    if (tx.state === "approved") await requireQueue(deps).enqueueForward(profile.name, tx.transactionId);
    current = (await deps.store.waitForFinal(profile.name, tx.transactionId, profile.settings.syncWaitMs)) ?? tx;
  }
  return answerFromRecord(profile, req, current ?? tx, deps.clock.now());
}

function requireQueue(deps: EnrollmentDeps): ForwardQueue {
  if (!deps.queue) throw new Error("this profile forwards to a remote CA but no forward queue is configured");
  return deps.queue;
}

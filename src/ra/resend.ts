/**
 * What a PKCSReq/RenewalReq means when its transactionID already has a record
 * of the same key (RFC 8894 §3.3.1: a resent request is a poll; §3.2.1.1 lets
 * clients derive the transactionID from the public key, so a new CSR with the
 * same key comes under the same transactionID).
 */
import { FinalStates, type Transaction } from "./ports.js";

/**
 * - `poll`: the same request again, answered from the record (never a second
 *   certificate);
 * - `new`: a new enrollment through policy, superseding the finished record;
 * - `conflict`: another CSR while the record is still open.
 */
export type ResendVerdict = { kind: "poll" } | { kind: "new"; reason: string } | { kind: "conflict"; reason: string };

/**
 * Decides how to treat a request (its CSR as base64 DER; `resent` when its
 * senderNonce came with these very bytes before) under the transactionID of
 * `existing`, at `now`, with the profile's resend window.
 *
 * NOTE(client): micromdm scepclient polls by re-sending the same PKCSReq, and
 * sscep and strongSwan pki take the transactionID from the key: the same key
 * with a new subject, or a renewal a year later, must not get the old
 * certificate.
 */
export function resendVerdict(existing: Transaction, req: { csr: string; resent: boolean }, now: Date, resendWindowMs: number): ResendVerdict {
  const sameCsr = existing.csr === req.csr;
  if (!FinalStates.has(existing.state)) {
    if (sameCsr) return { kind: "poll" };
    return {
      kind: "conflict",
      reason: `transactionID has an open request (${existing.state}) for another CSR: wait for its answer before sending a new CSR`,
    };
  }
  if (!sameCsr) return { kind: "new", reason: `new CSR after the request was ${existing.state}` };
  // The very message seen before (same senderNonce and bytes): a resend, however late.
  if (req.resent) return { kind: "poll" };
  const endedAt = Date.parse(existing.updatedAt);
  if (now.getTime() - endedAt <= resendWindowMs) return { kind: "poll" };
  return { kind: "new", reason: `same CSR sent again ${Math.round((now.getTime() - endedAt) / 60_000)} min after the request was ${existing.state} (resendWindow ${Math.round(resendWindowMs / 60_000)} min)` };
}

/**
 * Forwarding an approved transaction to the profile's CA and recording the
 * answer: the one step shared by the front (embedded CA, inline) and the
 * forward worker (remote upstream).
 */
import { parseCertificate, parseCsr, type Csr } from "../crypto/index.js";
import { upstreamTransactionId } from "./ids.js";
import type { Profile } from "./profile.js";
import type { Clock, Transaction, TransactionStore, UpstreamResult } from "./ports.js";

export interface ForwardDeps {
  store: TransactionStore;
  clock: Clock;
}

/** Records an upstream answer on the transaction; returns the new record (undefined if it moved meanwhile). */
export async function recordUpstreamResult(
  deps: ForwardDeps,
  tx: Transaction,
  result: UpstreamResult,
  from: readonly Transaction["state"][],
): Promise<Transaction | undefined> {
  const updatedAt = deps.clock.now().toISOString();
  if (result.status === "issued") {
    const cert = parseCertificate(result.certificate);
    return deps.store.transition(
      tx.profile,
      tx.transactionId,
      from,
      {
        state: "issued",
        updatedAt,
        certificate: Buffer.from(result.certificate).toString("base64"),
        chain: result.chain.map((c) => Buffer.from(c).toString("base64")),
        serial: cert.serialHex,
        notAfter: cert.notAfter.toISOString(),
      },
      { actor: "upstream", event: "issued" },
    );
  }
  if (result.status === "pending") {
    return deps.store.transition(tx.profile, tx.transactionId, from, { state: "upstream_pending", updatedAt }, { actor: "upstream", event: "upstream-pending" });
  }
  return deps.store.transition(
    tx.profile,
    tx.transactionId,
    from,
    { state: "failed", updatedAt, failInfo: result.failInfo, reason: result.reason, decidedBy: "upstream" },
    { actor: "upstream", event: "upstream-rejected", reason: result.reason },
  );
}

/** Sends the CSR of an approved transaction to the profile's CA. */
export function enrollUpstream(profile: Profile, tx: Transaction, csr?: Csr): Promise<UpstreamResult> {
  return profile.upstream.enroll({
    profile: profile.name,
    upstreamTransactionId: upstreamTransactionId(profile.name, tx.transactionId, tx.attempt),
    csr: csr ?? parseCsr(Buffer.from(tx.csr, "base64")),
    messageType: tx.messageType,
  });
}

/**
 * Issues an `approved` transaction of a profile whose CA is inline (the
 * embedded CA) and records the result; returns the record as it is then.
 * Whoever finds such a record runs it: the approval that wrote `approved`
 * may have died before its issuance (two writes), and no queue or worker
 * would move it on. Recording is from `approved` only, so of two runs one
 * certificate is kept.
 */
export async function issueInline(deps: ForwardDeps, profile: Profile, tx: Transaction, csr?: Csr): Promise<Transaction> {
  const result = await enrollUpstream(profile, tx, csr);
  return (await recordUpstreamResult(deps, tx, result, ["approved"])) ?? (await deps.store.get(profile.name, tx.transactionId)) ?? tx;
}

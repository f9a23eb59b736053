/** Building the Transaction record of a new enrollment request. */
import { Oid, parseSubjectAltName, type Csr } from "../crypto/index.js";
import { attemptRecordId, keyId, transactionRecordId } from "./ids.js";
import type { ChallengeOutcome, RequestContext, Transaction, TransactionState } from "./ports.js";

export interface NewTransactionInput {
  profile: string;
  transactionId: string;
  messageType: "17" | "19";
  csr: Csr;
  requesterCert: Uint8Array;
  requesterSpki: Uint8Array;
  state: TransactionState;
  challenge: ChallengeOutcome;
  context: RequestContext;
  source: "scep" | "batch";
  now: Date;
}

/** The SANs of a CSR as "DNS:…", "IP:…" strings (empty when none or unreadable). */
export function csrSubjectAltNames(csr: Csr): string[] {
  const ext = csr.extensions.get(Oid.subjectAltName);
  if (!ext) return [];
  try {
    return parseSubjectAltName(ext.value);
  } catch {
    return ["(unreadable subjectAltName)"];
  }
}

/** Base64 of DER bytes without copying them first (`Buffer.from(uint8array)` copies; a view does not). */
export function derBase64(der: Uint8Array): string {
  return Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("base64");
}

export function newTransaction(i: NewTransactionInput): Transaction {
  const at = i.now.toISOString();
  return {
    id: transactionRecordId(i.profile, i.transactionId),
    profile: i.profile,
    transactionId: i.transactionId,
    messageType: i.messageType,
    state: i.state,
    source: i.source,
    csr: derBase64(i.csr.der),
    subject: i.csr.subjectText,
    commonName: i.csr.commonName,
    sans: csrSubjectAltNames(i.csr),
    key: i.csr.key(),
    requesterCert: derBase64(i.requesterCert),
    requesterKeyId: keyId(i.requesterSpki),
    challenge: i.challenge,
    context: i.context,
    createdAt: at,
    updatedAt: at,
  };
}

/**
 * `tx` as the next attempt after `previous` (a finished record of the same
 * transactionID): numbered one higher, pointing at the id `previous` is kept
 * under once superseded.
 */
export function successorOf(tx: Transaction, previous: Transaction): Transaction {
  const attempt = previous.attempt ?? 1;
  return { ...tx, attempt: attempt + 1, previousId: attemptRecordId(previous.profile, previous.transactionId, attempt) };
}

/**
 * Transactions as operators see them in JSON (admin API, `scepgate requests
 * … --json`): the Transaction's own field names, in a fixed order, without
 * the raw base64 blobs unless asked for. Scripts rely on this shape.
 */
import type { Transaction } from "../ra/ports.js";

/** Fields holding raw base64 DER: left out unless `full`. */
export const BLOB_FIELDS = ["csr", "requesterCert", "certificate", "chain"] as const;

/** Every Transaction field, in the order the JSON shows them. */
const FIELD_ORDER: readonly (keyof Transaction)[] = [
  "id", "profile", "transactionId", "messageType", "state", "source", "subject", "commonName", "sans", "key", "challenge",
  "context", "createdAt", "updatedAt", "decidedBy", "approvals", "failInfo", "reason", "serial", "notAfter", "upstream", "requesterKeyId",
  "attempt", "previousId", "supersededBy", "csr", "requesterCert", "certificate", "chain",
];

const BLOBS: ReadonlySet<string> = new Set(BLOB_FIELDS);
const KNOWN: ReadonlySet<string> = new Set(FIELD_ORDER);

/** A Transaction for JSON output; without the {@link BLOB_FIELDS} unless `full`. */
export type TransactionView = Omit<Transaction, (typeof BLOB_FIELDS)[number]> & Partial<Pick<Transaction, (typeof BLOB_FIELDS)[number]>>;

/**
 * The JSON view of `tx`: its fields in a fixed order (a record read back from
 * Redis has no reliable field order), absent fields left out, the blobs only
 * when `full`. Fields this version does not know are kept, at the end.
 */
export function transactionView(tx: Transaction, full = false): TransactionView {
  const out: Record<string, unknown> = {};
  const source = tx as unknown as Record<string, unknown>;
  for (const field of FIELD_ORDER) {
    if (!full && BLOBS.has(field)) continue;
    if (source[field] !== undefined) out[field] = source[field];
  }
  for (const field of Object.keys(source).sort()) {
    if (!KNOWN.has(field) && source[field] !== undefined) out[field] = source[field];
  }
  return out as TransactionView;
}

/** Identifiers derived from (profile, device transactionID). */
import { createHash } from "node:crypto";

const BASE32 = "abcdefghijkmnpqrstuvwxyz23456789"; // no l, o, 0, 1: easy to read aloud

function shortId(...parts: string[]): string {
  const h = createHash("sha256").update(parts.join("\0")).digest();
  let out = "";
  for (let i = 0; i < 12; i++) out += BASE32[h[i]! & 31];
  return out;
}

/**
 * The short record id operators use (`scepgate requests show ID`): 12
 * characters of a hash of (profile, transactionID), so the current attempt of
 * a device transaction always has the same id.
 */
export function transactionRecordId(profile: string, transactionId: string): string {
  return shortId(profile, transactionId);
}

/**
 * The record id a finished attempt moves to when a later attempt takes its
 * transactionID (TransactionStore.supersede): stable, so the same attempt is
 * always found under the same id.
 */
export function attemptRecordId(profile: string, transactionId: string, attempt: number): string {
  return shortId(profile, transactionId, "attempt", String(attempt));
}

/**
 * The transactionID used upstream for a device transaction: deterministic, so
 * a forward retried after a crash is the same upstream transaction (and the
 * upstream issues once). A later attempt under the same device transactionID
 * is another upstream transaction. Hex, as RFC 8894 §3.2.1.1 suggests for
 * SHA-based ids.
 */
export function upstreamTransactionId(profile: string, transactionId: string, attempt = 1): string {
  const h = createHash("sha256").update("scepgate upstream\0").update(profile).update("\0").update(transactionId);
  if (attempt > 1) h.update(`\0attempt ${attempt}`);
  return h.digest("hex");
}

/** sha256 of a SubjectPublicKeyInfo, hex: identifies the key allowed to collect a result. */
export function keyId(spki: Uint8Array): string {
  return createHash("sha256").update(spki).digest("hex");
}

/** Identifiers derived from (profile, device transactionID). */
import { createHash } from "node:crypto";

const BASE32 = "abcdefghijkmnpqrstuvwxyz23456789"; // no l, o, 0, 1: easy to read aloud

/**
 * The short record id operators use (`scepgate requests show ID`): 12
 * characters of a hash of (profile, transactionID), so the same device
 * transaction always has the same id.
 */
export function transactionRecordId(profile: string, transactionId: string): string {
  const h = createHash("sha256").update(profile).update("\0").update(transactionId).digest();
  let out = "";
  for (let i = 0; i < 12; i++) out += BASE32[h[i]! & 31];
  return out;
}

/**
 * The transactionID used upstream for a device transaction: deterministic, so
 * a forward retried after a crash is the same upstream transaction (and the
 * upstream issues once). Hex, as RFC 8894 §3.2.1.1 suggests for SHA-based ids.
 */
export function upstreamTransactionId(profile: string, transactionId: string): string {
  return createHash("sha256").update("scepgate upstream\0").update(profile).update("\0").update(transactionId).digest("hex");
}

/** sha256 of a SubjectPublicKeyInfo, hex: identifies the key allowed to collect a result. */
export function keyId(spki: Uint8Array): string {
  return createHash("sha256").update(spki).digest("hex");
}

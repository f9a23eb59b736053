/** Challenge password checks (RFC 8894 §2.5, §3.2: the CSR's challengePassword attribute). */
import { createHash, timingSafeEqual } from "node:crypto";

/** Constant-time comparison of two secrets of any length (compares their SHA-256). */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}

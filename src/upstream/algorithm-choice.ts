/**
 * The algorithms and HTTP method the RA uses towards the upstream, from its
 * GetCACaps keywords (RFC 8894 §3.5.2).
 *
 * - Content cipher: `AES` → AES-128-CBC; else `DES3` → DES-EDE3-CBC; else
 *   single DES-CBC. RFC 8894 §3.5.2 defines the `AES` keyword as "CA supports
 *   the AES128-CBC encryption algorithm" and asks clients, "in the interests
 *   of interoperability", to use AES128-CBC; nothing announces AES-192/256,
 *   so sending those would rely on more than the CA promised. (micromdm 2.1.0
 *   happens to open AES-256 too: test/integration/upstream.) The CEK travels
 *   under RSA-2048 or so (~112-bit strength), so AES-128 is not the weak link.
 * - Digest: `SHA-512` → SHA-512; else `SHA-256` → SHA-256; else SHA-1.
 * - `SCEPStandard` implies `AES`, `POSTPKIOperation` and `SHA-256` (RFC 8894
 *   §3.5.2; they are its mandatory-to-implement set, §2.9).
 * - No keywords at all (an empty answer or an HTTP 4xx to GetCACaps): RFC 8894
 *   §3.5.2 says to act "as if none of the capabilities listed are supported",
 *   i.e. a pre-RFC CA. Such a CA is only sure to have single DES and GET; for
 *   the digest we send SHA-1 (what every SCEP implementation verifies), never
 *   MD5 (collisions are practical).
 * - `POSTPKIOperation` → POST; else GET with the base64 pkiMessage in `message`.
 */
import type { CipherName, DigestName } from "../crypto/index.js";

export interface UpstreamAlgorithms {
  cipher: CipherName;
  digest: DigestName;
  method: "POST" | "GET";
}

/** Picks from keywords as `parseCapabilities` returns them (upper case). */
export function chooseAlgorithms(caps: ReadonlySet<string>): UpstreamAlgorithms {
  const has = (k: string): boolean => caps.has(k.toUpperCase());
  const standard = has("SCEPStandard");
  const cipher: CipherName = standard || has("AES") ? "aes128" : has("DES3") ? "des3" : "des";
  const digest: DigestName = has("SHA-512") ? "sha512" : standard || has("SHA-256") ? "sha256" : "sha1";
  const method = standard || has("POSTPKIOperation") ? "POST" : "GET";
  return { cipher, digest, method };
}

/** Whether the upstream announced `keyword` (e.g. GetNextCACert, Renewal). */
export function hasCapability(caps: ReadonlySet<string>, keyword: string): boolean {
  return caps.has(keyword.toUpperCase());
}

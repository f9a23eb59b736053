/**
 * HMAC-SHA256 signatures of scepgate's outgoing webhooks (the challenge
 * webhook and the notifications), so a receiver knows the body came from
 * scepgate and is fresh:
 *
 * - `X-Scepgate-Signature: t=<unix seconds>,v1=<hex>` where hex =
 *   HMAC-SHA256(key, `<t>.<body>`); a receiver recomputes it over the raw
 *   body, compares in constant time and refuses a `t` older than a few
 *   minutes (replays).
 * - `X-Smallstep-Signature: <hex>` = HMAC-SHA256(key, body), what step-ca
 *   sends, so existing step-ca webhook servers verify scepgate too.
 *
 * The key is the secret's UTF-8 bytes, or for `base64:…` the decoded bytes
 * (step-ca's webhook secrets are base64).
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** The header carrying scepgate's timestamped signature. */
export const SIGNATURE_HEADER = "x-scepgate-signature";
/** The header step-ca webhook servers verify. */
export const SMALLSTEP_SIGNATURE_HEADER = "x-smallstep-signature";
/** How old a signature timestamp {@link verifySignature} accepts by default. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The HMAC key of a configured secret: `base64:…` decoded, else its UTF-8 bytes. */
export function webhookKey(secret: string): Buffer {
  return secret.startsWith("base64:") ? Buffer.from(secret.slice(7), "base64") : Buffer.from(secret, "utf8");
}

function hmacHex(key: Buffer, ...parts: string[]): string {
  const mac = createHmac("sha256", key);
  for (const part of parts) mac.update(part, "utf8");
  return mac.digest("hex");
}

/** The `X-Scepgate-Signature` value of `body` at `unixSeconds`. */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  return `t=${t},v1=${hmacHex(webhookKey(secret), String(t), ".", body)}`;
}

/** Both signature headers of one request body, signed `now`. */
export function signedHeaders(secret: string, body: string, now: Date): Record<string, string> {
  return {
    [SIGNATURE_HEADER]: signatureHeader(secret, body, now.getTime() / 1000),
    [SMALLSTEP_SIGNATURE_HEADER]: hmacHex(webhookKey(secret), body),
  };
}

/** What {@link verifySignature} found. */
export type SignatureCheck = "valid" | "malformed" | "mismatch" | "stale";

/**
 * Checks an `X-Scepgate-Signature` value against the raw body, as a receiver
 * does: the `v1` HMAC over `t.body` (constant-time), then the age of `t`.
 */
export function verifySignature(
  secret: string, header: string | undefined, body: string, now: Date, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): SignatureCheck {
  const m = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header?.trim() ?? "");
  if (!m?.[1] || !m[2]) return "malformed";
  const expected = Buffer.from(hmacHex(webhookKey(secret), m[1], ".", body), "hex");
  if (!timingSafeEqual(expected, Buffer.from(m[2], "hex"))) return "mismatch";
  return Math.abs(now.getTime() / 1000 - Number(m[1])) > toleranceSeconds ? "stale" : "valid";
}

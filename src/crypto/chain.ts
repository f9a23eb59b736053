/** Certificate chain checks with OpenSSL (node:crypto X509Certificate). */
import { X509Certificate } from "node:crypto";
import type { Certificate } from "./certificate.js";

/** Whether `cert` is signed by `issuer`'s key and names it as issuer. */
export function isIssuedBy(cert: Certificate, issuer: Certificate): boolean {
  if (Buffer.compare(cert.issuer, issuer.subject) !== 0) return false;
  try {
    return new X509Certificate(Buffer.from(cert.der)).verify(issuer.publicKey());
  } catch {
    return false;
  }
}

/** Whether `cert` is one of `anchors` or issued by one of them (one level, as SCEP RA/CA answers are). */
export function isTrustedBy(cert: Certificate, anchors: readonly Certificate[]): boolean {
  return anchors.some((a) => Buffer.compare(a.der, cert.der) === 0 || isIssuedBy(cert, a));
}

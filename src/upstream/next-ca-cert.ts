/**
 * GetNextCACert's answer (RFC 8894 §4.7.1): a SignedData signed by the
 * current CA (or RA) whose content is a certs-only SignedData with the
 * rollover certificates.
 */
import {
  certificatesOf, CryptoError, findSignerCertificate, parseCarriedCertificates, parseSignedData, verifySigner, type Certificate,
} from "../crypto/index.js";
import { UpstreamError } from "../ra/errors.js";

/** Verifies the answer against the upstream's served certificates and returns the new certificates (DER). */
export function parseNextCaCert(body: Uint8Array, trustedSigners: readonly Certificate[]): Uint8Array[] {
  try {
    const sd = parseSignedData(body);
    const si = sd.signers[0];
    if (!si) throw new UpstreamError("upstream GetNextCACert: the answer is not signed", "protocol");
    const signer = findSignerCertificate(si, [...trustedSigners, ...parseCarriedCertificates(sd)]);
    if (!signer || !trustedSigners.some((c) => Buffer.compare(c.der, signer.der) === 0)) {
      throw new UpstreamError("upstream GetNextCACert: not signed by a certificate the upstream serves in GetCACert", "protocol");
    }
    verifySigner(sd, si, signer);
    if (!sd.content?.length) throw new UpstreamError("upstream GetNextCACert: signed answer without content", "protocol");
    const certs = certificatesOf(sd.content);
    if (certs.length === 0) throw new UpstreamError("upstream GetNextCACert: no certificate in the answer", "protocol");
    return certs;
  } catch (err) {
    if (err instanceof UpstreamError) throw err;
    if (!(err instanceof CryptoError)) throw err;
    throw new UpstreamError(`upstream GetNextCACert: ${err.message}`, "protocol", undefined, { cause: err });
  }
}

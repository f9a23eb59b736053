/**
 * What the upstream's GetCACert served, sorted into roles (RFC 8894 §4.2.1):
 *
 * - a CA serves its own certificate (micromdm: a single DER certificate);
 * - an RA (NDES, another scepgate) serves a certs-only bundle with its RA
 *   certificate(s) and the CA chain; requests are encrypted to the RA
 *   certificate meant for encryption (keyUsage keyEncipherment), and CertReps
 *   are signed by one of its certificates.
 *
 * The CA path runs from the issuing CA up to the root (when served). The pin
 * (`upstream.caFingerprint`) must match a certificate on that path; RA
 * certificates count only when a CA on the path issued them, so a pinned
 * upstream's recipient and CertRep signers are all authenticated by the pin.
 */
import {
  children, contents, isIssuedBy, Oid, parseDer, Tag, type Certificate,
} from "../crypto/index.js";

/** The served certificates, by role. */
export interface ServedCertificates {
  /** The CA path: issuing CA first, root (if served) last. */
  caPath: Certificate[];
  /** The upstream's own RA certificates (end-entity certificates issued by a CA on the path). */
  ra: Certificate[];
  /** Where requests are encrypted to: the RA encryption certificate, else the issuing CA. */
  recipient: Certificate;
  /** Who may sign CertReps and GetNextCACert answers: the RA certificates and the CA path. */
  trustedSigners: Certificate[];
  /** Served certificates that fit no role (not issued by the path): never used. */
  ignored: Certificate[];
}

/** Reads basicConstraints.cA; undefined when the extension is absent. */
function basicConstraintsCa(cert: Certificate): boolean | undefined {
  const ext = cert.extensions.get(Oid.basicConstraints);
  if (!ext) return undefined;
  try {
    const first = children(parseDer(ext.value))[0];
    return first?.tag === Tag.BOOLEAN && contents(first)[0] !== 0;
  } catch {
    return false;
  }
}

/** A CA certificate: basicConstraints cA, or (without that extension) keyCertSign, self-issued, or the issuer of another served certificate. */
export function looksLikeCa(cert: Certificate, all: readonly Certificate[]): boolean {
  const ca = basicConstraintsCa(cert);
  if (ca !== undefined) return ca;
  if (cert.keyUsage?.keyCertSign || cert.isSelfIssued) return true;
  return all.some((other) => other !== cert && isIssuedBy(other, cert));
}

/** The issuers of `cert` among `candidates`, nearest first, up to a self-issued one. */
export function issuerPath(cert: Certificate, candidates: readonly Certificate[]): Certificate[] {
  const path: Certificate[] = [];
  let current = cert;
  while (!current.isSelfIssued && path.length < 10) {
    const from = current;
    const next = candidates.find((c) => c !== cert && !path.includes(c) && isIssuedBy(from, c));
    if (!next) break;
    path.push(next);
    current = next;
  }
  return path;
}

/**
 * RA certificates in order of preference as the encryption recipient:
 * keyEncipherment, then no keyUsage, then a signing-only RSA RA certificate.
 * An upstream that serves an RA certificate is an RA, and it is the RA that
 * decrypts requests, not its CA; a signing-only RA certificate is what an RA
 * gets from a CA that issues digitalSignature only (NOTE(upstream): another
 * scepgate enrolled from micromdm scepserver, whose certificates carry
 * digitalSignature alone).
 */
function encryptionCandidates(ra: readonly Certificate[]): Certificate[] {
  const rsa = ra.filter((c) => c.publicKey().asymmetricKeyType === "rsa");
  const explicit = rsa.filter((c) => c.keyUsage?.keyEncipherment === true);
  const unrestricted = rsa.filter((c) => c.keyUsage === undefined);
  const signingOnly = rsa.filter((c) => c.keyUsage !== undefined && !c.keyUsage.keyEncipherment);
  return [...explicit, ...unrestricted, ...signingOnly];
}

/** The issuing CA: the issuer of the (preferred) RA certificate, else a CA that issued no other served CA. */
function issuingCa(cas: readonly Certificate[], endEntities: readonly Certificate[]): Certificate {
  for (const ee of [...encryptionCandidates(endEntities), ...endEntities]) {
    const issuer = cas.find((ca) => isIssuedBy(ee, ca));
    if (issuer) return issuer;
  }
  const leaves = cas.filter((ca) => !cas.some((other) => other !== ca && isIssuedBy(other, ca)));
  return leaves[0] ?? cas[0]!;
}

/**
 * Sorts what GetCACert served. Throws Error when nothing usable was served.
 * A single certificate that does not look like a CA is taken as the CA anyway
 * (legacy CAs serve a bare certificate without extensions).
 */
export function sortServedCertificates(served: readonly Certificate[]): ServedCertificates {
  if (served.length === 0) throw new Error("GetCACert served no certificate");
  const flagged = served.filter((c) => looksLikeCa(c, served));
  const cas = flagged.length > 0 ? flagged : [served[0]!];
  const endEntities = served.filter((c) => !cas.includes(c));
  const issuing = issuingCa(cas, endEntities);
  const caPath = [issuing, ...issuerPath(issuing, cas)];
  const ra = endEntities.filter((c) => caPath.some((ca) => isIssuedBy(c, ca)));
  const recipient = encryptionCandidates(ra)[0] ?? issuing;
  const trustedSigners = [...ra, ...caPath];
  const ignored = served.filter((c) => !trustedSigners.includes(c));
  return { caPath, ra, recipient, trustedSigners, ignored };
}

/** The fingerprint an operator is expected to pin: the root when served, else the issuing CA. */
export function pinnedCaCertificate(sorted: ServedCertificates): Certificate {
  const last = sorted.caPath[sorted.caPath.length - 1]!;
  return last.isSelfIssued ? last : sorted.caPath[0]!;
}

/** Whether `fingerprint` (SHA-256, lower-case hex) names a certificate of the CA path. */
export function matchesPin(sorted: ServedCertificates, fingerprint: string): boolean {
  const want = fingerprint.toLowerCase();
  return sorted.caPath.some((c) => c.fingerprint256() === want);
}

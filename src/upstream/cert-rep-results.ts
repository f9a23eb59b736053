/**
 * An upstream CertRep (RFC 8894 §3.3.2) as the RA's port results:
 * SUCCESS → issued (enrollment) or ok (GetCert/GetCRL), PENDING → pending,
 * FAILURE → rejected with its failInfo and failInfoText.
 */
import { parseCertificate, type Certificate } from "../crypto/index.js";
import { failInfoName, FailInfo, PkiStatus, type CertRep } from "../protocol/index.js";
import { UpstreamError } from "../ra/errors.js";
import type { UpstreamQueryResult, UpstreamResult } from "../ra/ports.js";
import { issuerPath } from "./upstream-certs.js";
import type { UpstreamInfo } from "./upstream-directory.js";

type Rejected = Extract<UpstreamResult, { status: "rejected" }>;

function rejected(rep: CertRep): Rejected {
  const failInfo = rep.failInfo ?? FailInfo.badRequest;
  const reason = rep.failInfoText?.trim() || (rep.failInfo ? failInfoName(rep.failInfo) : "rejected by the CA (no failInfo given)");
  return { status: "rejected", failInfo, reason };
}

function protocolError(label: string, message: string, cause?: unknown): UpstreamError {
  return new UpstreamError(`upstream ${label}: ${message}`, "protocol", undefined, cause === undefined ? undefined : { cause });
}

function parseAll(ders: readonly Uint8Array[], label: string): Certificate[] {
  try {
    return ders.map((d) => parseCertificate(d));
  } catch (err) {
    throw protocolError(label, `bad certificate in the CertRep: ${(err as Error).message}`, err);
  }
}

/**
 * An enrollment's answer. SUCCESS must hold a certificate for the CSR's key
 * (not blindly the first: CAs add their own certificates to the bundle),
 * issued by a CA on the bundle's other certificates, the served CA path or an
 * active rollover CA;
 * the chain is that path, issuing CA first.
 */
export function enrollmentResult(rep: CertRep, csrSpki: Uint8Array, info: UpstreamInfo, label: string): UpstreamResult {
  if (rep.status === PkiStatus.PENDING) return { status: "pending" };
  if (rep.status === PkiStatus.FAILURE) return rejected(rep);
  const certs = parseAll(rep.certificates, label);
  const issued = certs.find((c) => Buffer.compare(c.spki, csrSpki) === 0);
  if (!issued) throw protocolError(label, `SUCCESS without a certificate for the requested key (${certs.length} certificate(s) in the bundle)`);
  // trustedSigners: the CA path, and a rollover CA from its notBefore (its issuing may precede its GetCACert).
  const path = issuerPath(issued, [...certs.filter((c) => c !== issued), ...info.trustedSigners]);
  if (path.length === 0) throw protocolError(label, `the issued certificate's issuer (${issued.issuerText()}) is neither in the bundle nor the upstream's CA`);
  return { status: "issued", certificate: issued.der, chain: path.map((c) => c.der) };
}

/** A GetCert / GetCRL answer (RFC 8894 §3.3.4, §3.3.5). */
export function queryResult(rep: CertRep): UpstreamQueryResult {
  if (rep.status === PkiStatus.PENDING) return { status: "pending" };
  if (rep.status === PkiStatus.FAILURE) return rejected(rep);
  return { status: "ok", certificates: rep.certificates, crls: rep.crls };
}

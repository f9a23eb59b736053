/**
 * X.509 CRLs (RFC 5280 §5): building a (usually empty) CRL for the embedded
 * CA, and the shape check of the CRLs a SignedData carries.
 */
import { sign as nodeSign, type KeyObject } from "node:crypto";
import { Digests, signatureOid } from "./algorithms.js";
import type { Certificate } from "./certificate.js";
import { algorithmId, bitString, children, ctx, derNull, expectChildren, expectTag, int, intRaw, oid, octets, raw, seq, Tag, time, timeValue, type Tlv } from "./der.js";
import { expectAlgorithm, expectVersion } from "./der-shape.js";
import { DerError } from "./errors.js";
import { expectName } from "./name.js";
import { authorityKeyIdentifier, parseExtensionList } from "./extensions.js";
import { Oid } from "./oids.js";

export interface CrlOptions {
  issuerCert: Certificate;
  issuerKey: KeyObject;
  thisUpdate: Date;
  nextUpdate: Date;
  /** CRL number (monotonic per issuer). */
  number: number;
  revoked?: ReadonlyArray<{ serial: Uint8Array; at: Date }>;
}

export function buildCrl(o: CrlOptions): Uint8Array {
  const keyType = o.issuerKey.asymmetricKeyType === "ec" ? "ec" : "rsa";
  const sigAlg = keyType === "rsa" ? algorithmId(signatureOid("rsa", "sha256"), derNull()) : algorithmId(signatureOid("ec", "sha256"));
  const revoked = o.revoked?.length ? [seq(...o.revoked.map((r) => seq(intRaw(r.serial), time(r.at))))] : [];
  const extensions = ctx(
    0,
    seq(
      seq(oid(Oid.authorityKeyIdentifier), octets(authorityKeyIdentifier(o.issuerCert.spki))),
      seq(oid("2.5.29.20"), octets(int(o.number))),
    ),
  );
  const tbs = seq(int(1), sigAlg, o.issuerCert.subject, time(o.thisUpdate), time(o.nextUpdate), ...revoked, extensions);
  return seq(tbs, sigAlg, bitString(nodeSign(Digests.sha256.node, tbs, o.issuerKey)));
}

const isTime = (t: Tlv | undefined): boolean => t?.tag === Tag.UTC_TIME || t?.tag === Tag.GENERALIZED_TIME;

/**
 * Checks that `tlv` is a CertificateList (RFC 5280 §5.1) and returns it.
 * The CRLs of a SignedData are carried on as bytes (a GetCRL answer is
 * re-wrapped for the device), so without this a certificate, or anything
 * else with a SEQUENCE tag, in `crls [1]` was relayed as a CRL (issue 12,
 * fuzz-signeddata-crl-choice):
 *
 *     CertificateList ::= SEQUENCE { tbsCertList TBSCertList, signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }
 *     TBSCertList ::= SEQUENCE { version Version OPTIONAL, signature AlgorithmIdentifier, issuer Name,
 *         thisUpdate Time, nextUpdate Time OPTIONAL,
 *         revokedCertificates SEQUENCE OF SEQUENCE { userCertificate CertificateSerialNumber,
 *             revocationDate Time, crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
 *         crlExtensions [0] EXPLICIT Extensions OPTIONAL }
 */
export function expectCertificateList(tlv: Tlv | undefined): Tlv {
  const outer = expectChildren(tlv, Tag.SEQUENCE, "CertificateList", 3);
  if (outer.length > 3) throw new DerError("CertificateList: more than 3 elements");
  expectAlgorithm(outer[1], "CertificateList signatureAlgorithm");
  expectTag(outer[2], Tag.BIT_STRING, "CertificateList signatureValue");
  const kids = expectChildren(outer[0], Tag.SEQUENCE, "TBSCertList", 4);
  let i = 0;
  if (kids[0]!.tag === Tag.INTEGER) expectVersion(kids[i++], "TBSCertList");
  expectAlgorithm(kids[i++], "TBSCertList signature");
  expectName(kids[i++], "TBSCertList issuer");
  if (!isTime(kids[i])) throw new DerError("TBSCertList thisUpdate: expected a time");
  timeValue(kids[i++]!);
  if (isTime(kids[i])) timeValue(kids[i++]!);
  if (kids[i]?.tag === Tag.SEQUENCE) {
    for (const entry of expectChildren(kids[i++], Tag.SEQUENCE, "revokedCertificates")) {
      const e = expectChildren(entry, Tag.SEQUENCE, "revokedCertificate", 2);
      if (e.length > 3) throw new DerError("revokedCertificate: more than 3 elements");
      expectTag(e[0], Tag.INTEGER, "userCertificate");
      if (!isTime(e[1])) throw new DerError("revocationDate: expected a time");
      timeValue(e[1]!);
      if (e[2]) parseExtensionList(raw(e[2]));
    }
  }
  if (kids[i]?.tag === 0xa0) {
    const wrapped = children(kids[i++]!);
    if (wrapped.length !== 1) throw new DerError(`crlExtensions: expected 1 element, got ${wrapped.length}`);
    parseExtensionList(raw(wrapped[0]!));
  }
  if (kids[i]) throw new DerError(`TBSCertList: unexpected element 0x${kids[i]!.tag.toString(16)}`);
  return tlv!;
}

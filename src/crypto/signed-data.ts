/**
 * CMS SignedData (RFC 5652 §5): parse, verify one signer, sign, and the
 * certs-only degenerate form (RFC 8894 §3.4).
 */
import { createHash, type KeyObject } from "node:crypto";
import { digestByOid, Digests, signatureOid, type DigestName } from "./algorithms.js";
import { matchesIssuerSerial, parseCertificate, type Certificate } from "./certificate.js";
import { contentInfo, parseContentInfo } from "./content-info.js";
import { expectCertificateList } from "./crl.js";
import {
  algorithmId, children, contents, ctx, derNull, expectChildren, expectTag, int, intRaw, octetValue, octets, oid, oidValue, raw, retag, seq, setOf, Tag,
  time, type Tlv,
} from "./der.js";
import { expectAlgorithm, expectAttribute, expectAttributeSet, expectVersion } from "./der-shape.js";
import { DerError, SignatureError, UnsupportedAlgorithmError } from "./errors.js";
import { expectName } from "./name.js";
import { Oid } from "./oids.js";
import { signNow, type PrivateKeyOps } from "./private-key-ops.js";
import { signatureCheck } from "./verify-signature.js";

export interface SignerInfo {
  sid: { issuer: Uint8Array; serial: Uint8Array } | { ski: Uint8Array };
  digestOid: string;
  /** The [0] IMPLICIT signedAttrs as encoded (re-tagged as SET to verify). */
  signedAttrs: Uint8Array | undefined;
  /** signedAttrs by type: the values of each attribute. */
  attributes: ReadonlyMap<string, Tlv[]>;
  signatureOid: string;
  /** DER of the signatureAlgorithm parameters, undefined when absent (RSASSA-PSS-params for id-RSASSA-PSS, RFC 4056 §3). */
  signatureParams: Uint8Array | undefined;
  signature: Uint8Array;
}

export interface ParsedSignedData {
  contentType: string;
  content: Uint8Array | undefined;
  /** DER of each certificate in `certificates` (other choices skipped). */
  certificates: Uint8Array[];
  /** DER of each CRL in `crls`. */
  crls: Uint8Array[];
  signers: SignerInfo[];
}

function parseSignerInfo(t: Tlv): SignerInfo {
  const kids = expectChildren(t, Tag.SEQUENCE, "SignerInfo", 5);
  expectVersion(kids[0], "SignerInfo");
  const sidTlv = kids[1]!;
  const sid =
    sidTlv.tag === 0x80
      ? { ski: contents(sidTlv) }
      : (() => {
          const [issuer, serial] = expectChildren(sidTlv, Tag.SEQUENCE, "IssuerAndSerialNumber", 2);
          return { issuer: raw(expectName(issuer, "issuer")), serial: contents(expectTag(serial, Tag.INTEGER, "serialNumber")) };
        })();
  const digestOid = expectAlgorithm(kids[2], "digestAlgorithm");
  let i = 3;
  let signedAttrs: Uint8Array | undefined;
  const attributes = new Map<string, Tlv[]>();
  if (kids[i]?.tag === 0xa0) {
    signedAttrs = raw(kids[i]!);
    // RFC 5652 §5.3: SignedAttributes ::= SET SIZE (1..MAX) OF Attribute; an empty one was taken (issue 12).
    for (const attr of expectChildren(kids[i++]!, 0xa0, "signedAttrs", 1)) {
      const { type, values } = expectAttribute(attr, "Attribute");
      // One attribute of a type (RFC 5652 §11.1-3 for contentType, messageDigest, signingTime; the same ambiguity for the SCEP ones): the map kept the last, pkijs the first (issue 12, fuzz-signedattrs-duplicate).
      if (attributes.has(type)) throw new DerError(`signedAttrs: duplicate attribute ${type}`);
      attributes.set(type, values);
    }
  }
  const sigOid = expectAlgorithm(kids[i], "signatureAlgorithm");
  const [, sigParams] = children(kids[i++]!);
  const signature = octetValue(expectTag(kids[i++], Tag.OCTET_STRING, "signature"));
  // Only unsignedAttrs [1] may follow the signature (RFC 5652 §5.3); anything was skipped unread (issue 12, fuzz-signerinfo-tail).
  if (kids[i]?.tag === 0xa1) expectAttributeSet(kids[i++], 0xa1, "unsignedAttrs");
  if (kids[i]) throw new DerError(`SignerInfo: unexpected element 0x${kids[i]!.tag.toString(16)} after signature`);
  return { sid, digestOid, signedAttrs, attributes, signatureOid: sigOid, signatureParams: sigParams && raw(sigParams), signature };
}

/**
 * The outer shape of a CHOICE alternative that is skipped, never read nor
 * relayed (RFC 5652 §10.2.1-2); each was skipped whatever it held (issue 12):
 *
 *     [0] extendedCertificate (obsolete PKCS#6): some contents
 *     [1] v1AttrCert, [2] v2AttrCert: AttributeCertificate ::= SEQUENCE { acinfo SEQUENCE, signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }
 *     [3] other (certificates), [1] other (crls): SEQUENCE { format OBJECT IDENTIFIER, value ANY }
 */
function expectSkippedChoice(t: Tlv, other: number, what: string): void {
  const kids = children(t);
  const n = t.tag === other ? 2 : t.tag === 0xa0 ? 1 : 3;
  if (kids.length < n) throw new DerError(`${what} [${t.tag & 0x1f}]: expected at least ${n} elements, got ${kids.length}`);
  if (kids.length > n && n > 1) throw new DerError(`${what} [${t.tag & 0x1f}]: more than ${n} elements`);
  if (t.tag === other) oidValue(expectTag(kids[0], Tag.OID, `${what} [${t.tag & 0x1f}] format`));
  else if (n === 3) {
    expectTag(kids[0], Tag.SEQUENCE, `${what} [${t.tag & 0x1f}] acinfo`);
    expectAlgorithm(kids[1], `${what} [${t.tag & 0x1f}] signatureAlgorithm`);
    expectTag(kids[2], Tag.BIT_STRING, `${what} [${t.tag & 0x1f}] signatureValue`);
  }
}

/** The SEQUENCE elements of a SET OF CHOICE; `others` are the tags of the alternatives that are skipped, `other` the tag of the `other` one. */
function choices(set: Tlv, others: readonly number[], other: number, what: string): Tlv[] {
  const kids = children(set);
  const bad = kids.find((c) => c.tag !== Tag.SEQUENCE && !others.includes(c.tag));
  if (bad) throw new DerError(`${what}: unexpected element 0x${bad.tag.toString(16)}`);
  for (const c of kids) if (c.tag !== Tag.SEQUENCE) expectSkippedChoice(c, other, what);
  return kids.filter((c) => c.tag === Tag.SEQUENCE);
}

/**
 * The certificates (DER) of a `[0] IMPLICIT CertificateSet` (SignedData
 * certificates, OriginatorInfo certs). The other CHOICEs (RFC 5652 §10.2.2
 * [0]..[3]) are skipped after a shape check; any other element is refused (issue 12).
 */
export function certificateSet(t: Tlv): Uint8Array[] {
  return choices(t, [0xa0, 0xa1, 0xa2, 0xa3], 0xa3, "CertificateChoices").map(raw);
}

/**
 * The CRLs (DER) of a `[1] IMPLICIT RevocationInfoChoices`. RFC 5652 §10.2.1:
 * a SEQUENCE here is a CertificateList (RFC 5280 §5.1); it was taken unread,
 * a certificate too (issue 12, fuzz-signeddata-crl-choice).
 */
export function revocationInfoChoices(t: Tlv): Uint8Array[] {
  return choices(t, [0xa1], 0xa1, "RevocationInfoChoice").map((c) => raw(expectCertificateList(c)));
}

/** Parses ContentInfo(signedData); throws DerError when malformed. */
export function parseSignedData(der: Uint8Array): ParsedSignedData {
  const { contentType, content } = parseContentInfo(der);
  if (contentType !== Oid.signedData) throw new DerError(`expected signedData, got content type ${contentType}`);
  const kids = expectChildren(content, Tag.SEQUENCE, "SignedData", 4);
  expectVersion(kids[0], "SignedData");
  for (const d of expectChildren(kids[1], Tag.SET, "digestAlgorithms")) expectAlgorithm(d, "digestAlgorithms");
  const [eType, eContent] = expectChildren(kids[2], Tag.SEQUENCE, "EncapsulatedContentInfo", 1);
  let i = 3;
  const certificates: Uint8Array[] = [];
  if (kids[i]?.tag === 0xa0) certificates.push(...certificateSet(kids[i++]!));
  const crls: Uint8Array[] = [];
  if (kids[i]?.tag === 0xa1) crls.push(...revocationInfoChoices(kids[i++]!));
  const signers = expectChildren(kids[i], Tag.SET, "SignerInfos").map(parseSignerInfo);
  const [eContentValue] = eContent ? expectChildren(eContent, 0xa0, "eContent", 1) : [];
  return {
    contentType: oidValue(eType!),
    // eContent is an OCTET STRING, primitive or (BER) constructed: octetValue alone took any primitive (issue 12, fuzz-shape-fields).
    content: eContentValue ? octetValue(expectTag(eContentValue, eContentValue.tag === 0x24 ? 0x24 : Tag.OCTET_STRING, "eContent")) : undefined,
    certificates,
    crls,
    signers,
  };
}

/** Finds the signer's certificate among `certs` by its sid. */
export function findSignerCertificate(signer: SignerInfo, certs: readonly Certificate[]): Certificate | undefined {
  const sid = signer.sid;
  if ("ski" in sid) {
    return certs.find((c) => {
      const ext = c.extensions.get(Oid.subjectKeyIdentifier);
      return ext && Buffer.compare(ext.value.subarray(2), sid.ski) === 0;
    });
  }
  return certs.find((c) => matchesIssuerSerial(c, sid.issuer, sid.serial));
}

/**
 * Verifies `signer` over `content` with `cert`'s key (RFC 5652 §5.4, §5.6):
 * messageDigest and contentType attributes, then the signature. Returns the
 * digest used. Throws SignatureError or UnsupportedAlgorithmError.
 */
export function verifySigner(sd: ParsedSignedData, signer: SignerInfo, cert: Certificate): DigestName {
  const digest = digestByOid(signer.digestOid);
  const check = signatureCheck({ oid: signer.signatureOid, params: signer.signatureParams }, digest);
  if (check.pss && signer.signedAttrs && check.hash !== digest) {
    throw new UnsupportedAlgorithmError(`RSASSA-PSS hash ${check.hash} differs from the digestAlgorithm ${digest} (RFC 4056 §3: one hash for the content and the signed attributes)`);
  }
  const content = sd.content ?? new Uint8Array(0);
  let signed: Uint8Array = content;
  if (signer.signedAttrs) {
    const md = signer.attributes.get(Oid.messageDigest)?.[0];
    if (!md || md.tag !== Tag.OCTET_STRING) throw new SignatureError("signedAttrs without messageDigest");
    const actual = createHash(Digests[digest].node).update(content).digest();
    if (Buffer.compare(actual, contents(md)) !== 0) throw new SignatureError("messageDigest does not match the content");
    const ct = signer.attributes.get(Oid.contentType)?.[0];
    if (ct && oidValue(ct) !== sd.contentType) throw new SignatureError("contentType attribute does not match the content");
    signed = retag(signer.signedAttrs, Tag.SET);
  }
  const ok = check.verify({ data: signed, signature: signer.signature, spki: cert.spki, publicKey: cert.publicKey });
  if (!ok) throw new SignatureError("bad signature");
  return digest;
}

/** One signed attribute: its type and its encoded values. */
export interface Attribute {
  type: string;
  values: Uint8Array[];
}

export interface SignOptions {
  contentType: string;
  content: Uint8Array;
  /** Included in `certificates` in this order. */
  certificates: readonly Uint8Array[];
  signerCert: Certificate;
  signerKey: KeyObject;
  digest: DigestName;
  /** Extra signed attributes; contentType, messageDigest and signingTime are added. */
  attributes: readonly Attribute[];
  signingTime: Date;
}

/**
 * What is signed (the DER-sorted signedAttrs) and how to finish the
 * SignedData once the signature is there: shared by the synchronous and the
 * off-thread signing below.
 * NOTE(client): signedAttrs are DER-sorted (Go's micromdm scepclient re-sorts
 * the SET OF before verifying), eContent is a primitive OCTET STRING and an
 * RSA signerInfo says plain rsaEncryption (strongSwan 5.9.8 rejects anything else).
 */
function prepareSignedData(o: SignOptions): { signedAttrs: Uint8Array; assemble(signature: Uint8Array): Uint8Array } {
  const dig = Digests[o.digest];
  const messageDigest = createHash(dig.node).update(o.content).digest();
  const attrs = [
    { type: Oid.contentType, values: [oid(o.contentType)] },
    { type: Oid.signingTime, values: [time(o.signingTime)] },
    { type: Oid.messageDigest, values: [octets(messageDigest)] },
    ...o.attributes,
  ].map((a) => seq(oid(a.type), setOf(...a.values)));
  const signedAttrs = setOf(...attrs);
  const keyType = o.signerKey.asymmetricKeyType;
  if (keyType !== "rsa" && keyType !== "ec") throw new UnsupportedAlgorithmError(`cannot sign with a ${keyType} key`);
  const sigAlg = keyType === "rsa" ? algorithmId(Oid.rsaEncryption, derNull()) : algorithmId(signatureOid("ec", o.digest));
  const assemble = (signature: Uint8Array): Uint8Array => {
    const signerInfo = seq(
      int(1),
      seq(o.signerCert.issuer, intRaw(o.signerCert.serial)),
      algorithmId(dig.oid, derNull()),
      retag(signedAttrs, 0xa0),
      sigAlg,
      octets(signature),
    );
    const sd = seq(
      int(1),
      setOf(algorithmId(dig.oid, derNull())),
      seq(oid(o.contentType), ctx(0, octets(o.content))),
      ...(o.certificates.length ? [ctx(0, ...o.certificates)] : []),
      setOf(signerInfo),
    );
    return contentInfo(Oid.signedData, sd);
  };
  return { signedAttrs, assemble };
}

/** Signs `content` and returns ContentInfo(signedData), DER. */
export function signData(o: SignOptions): Uint8Array {
  const p = prepareSignedData(o);
  return p.assemble(signNow(o.digest, p.signedAttrs, o.signerKey));
}

/** signData with the private-key operation on `ops` (off the event loop on a server). */
export async function signDataWith(o: SignOptions, ops: PrivateKeyOps): Promise<Uint8Array> {
  const p = prepareSignedData(o);
  return p.assemble(await ops.sign(o.digest, p.signedAttrs, o.signerKey));
}

/**
 * The degenerate SignedData (RFC 8894 §3.4): no content, no signers, only
 * certificates (certs-only) and optionally CRLs (a GetCRL answer).
 */
export function degenerateSignedData(certificates: readonly Uint8Array[], crls: readonly Uint8Array[] = []): Uint8Array {
  const sd = seq(
    int(1),
    setOf(),
    seq(oid(Oid.data)),
    ...(certificates.length ? [ctx(0, ...certificates)] : []),
    ...(crls.length ? [ctx(1, ...crls)] : []),
    setOf(),
  );
  return contentInfo(Oid.signedData, sd);
}

/** The certificates of a certs-only SignedData (or any SignedData), DER, in order. */
export function certificatesOf(der: Uint8Array): Uint8Array[] {
  return parseSignedData(der).certificates;
}

/** Parses every certificate carried, skipping none; throws DerError naming the bad one. */
export function parseCarriedCertificates(sd: ParsedSignedData): Certificate[] {
  return sd.certificates.map((der, i) => {
    try {
      return parseCertificate(der);
    } catch (err) {
      throw new DerError(`certificate ${i} in SignedData: ${(err as Error).message}`, { cause: err });
    }
  });
}

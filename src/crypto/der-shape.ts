/**
 * Shape checks for the small fixed structures that several parsers share
 * but carry on as opaque bytes: AlgorithmIdentifier, SubjectPublicKeyInfo
 * and the version INTEGERs. Without them a parser accepted, say, an
 * AlgorithmIdentifier whose first element is not an OID, or a version that
 * is an OCTET STRING, which pkijs (and every other decoder) refuses
 * (issue 12, fuzz-shape-fields).
 */
import { children, contents, expectChildren, expectTag, oidValue, Tag, type Tlv } from "./der.js";
import { DerError } from "./errors.js";

/**
 * Checks an AlgorithmIdentifier and returns its algorithm OID (RFC 5280 §4.1.1.2):
 *
 *     AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }
 */
export function expectAlgorithm(tlv: Tlv | undefined, what: string): string {
  const kids = expectChildren(tlv, Tag.SEQUENCE, what, 1);
  return oidValue(expectTag(kids[0], Tag.OID, `${what} algorithm`));
}

/**
 * Checks a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) and returns it:
 *
 *     SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
 */
export function expectSpki(tlv: Tlv | undefined, what: string): Tlv {
  const kids = expectChildren(tlv, Tag.SEQUENCE, what, 2);
  expectAlgorithm(kids[0], `${what} algorithm`);
  expectTag(kids[1], Tag.BIT_STRING, `${what} subjectPublicKey`);
  return tlv!;
}

/**
 * Checks a version field (CMS, X.509, PKCS#10: `version INTEGER`, or
 * `[0] EXPLICIT INTEGER` when `explicit`). An INTEGER has at least one
 * contents octet (X.690 §8.3.1).
 */
export function expectVersion(tlv: Tlv | undefined, what: string, explicit = false): void {
  let v = tlv;
  if (explicit) {
    const kids = children(expectTag(tlv, 0xa0, `${what} version`));
    if (kids.length !== 1) throw new DerError(`${what} version: expected 1 element, got ${kids.length}`);
    v = kids[0];
  }
  if (contents(expectTag(v, Tag.INTEGER, `${what} version`)).length === 0) throw new DerError(`${what} version: empty INTEGER`);
}

/**
 * Checks what follows subjectPublicKeyInfo in a TBSCertificate (RFC 5280 §4.1):
 * `issuerUniqueID [1] IMPLICIT BIT STRING OPTIONAL, subjectUniqueID [2] ... OPTIONAL,
 * extensions [3] EXPLICIT Extensions OPTIONAL`, in that order. Anything else
 * used to be skipped unread. The unique IDs must be primitive (no CA has
 * made them since RFC 3280, and pkijs takes no constructed form); extensions
 * is constructed. Returns the extensions element, if any.
 */
export function expectTbsTail(tail: readonly Tlv[]): Tlv | undefined {
  let last = 0;
  for (const t of tail) {
    const n = (t.tag & 0xc0) === 0x80 ? t.tag & 0x1f : 0;
    if (n < 1 || n > 3 || n <= last || t.tag !== (n === 3 ? 0xa3 : 0x80 | n)) throw new DerError(`TBSCertificate: unexpected element 0x${t.tag.toString(16)} after subjectPublicKeyInfo`);
    last = n;
  }
  return tail.find((t) => t.tag === 0xa3);
}

/**
 * Checks an Attribute (RFC 5652 §5.3) and returns its type OID and values:
 *
 *     Attribute ::= SEQUENCE { attrType OBJECT IDENTIFIER, attrValues SET OF AttributeValue }
 */
export function expectAttribute(tlv: Tlv | undefined, what: string): { type: string; values: Tlv[] } {
  const kids = expectChildren(tlv, Tag.SEQUENCE, what, 2);
  if (kids.length > 2) throw new DerError(`${what}: more than 2 elements`);
  return { type: oidValue(expectTag(kids[0], Tag.OID, `${what} type`)), values: expectChildren(kids[1], Tag.SET, `${what} values`) };
}

/**
 * Checks a SET SIZE (1..MAX) OF Attribute with a context tag (unsignedAttrs,
 * unprotectedAttrs: RFC 5652 §5.3, §6.1), which scepgate does not read: they
 * used to be skipped whatever they held (issue 12, fuzz-signerinfo-tail).
 */
export function expectAttributeSet(tlv: Tlv | undefined, tag: number, what: string): void {
  for (const a of expectChildren(tlv, tag, what, 1)) expectAttribute(a, `${what} Attribute`);
}

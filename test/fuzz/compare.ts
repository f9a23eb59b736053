/**
 * The verdict on one input: our decoder against the reference.
 *
 * Acceptable: both reject; both accept with the same view; we reject, the
 * reference accepts, and our reason is one of the documented strictness
 * differences below. Everything else is a finding: a crash (an error that is
 * not one of our typed errors), a disagreement on accept/reject, or a field
 * that decodes differently.
 */
import type { Outcome } from "./ours.js";
import type { RefOutcome } from "./reference.js";

/**
 * Where scepgate is knowingly STRICTER than asn1js/pkijs. Each entry: the
 * pattern of our error message and why the refusal is right.
 *
 * 1. trailing data: pkijs' fromBER ignores bytes after the outer element; we
 *    refuse them (RFC 8894 §3: the body is one pkiMessage; trailing bytes
 *    would be unauthenticated).
 * 2. multi-byte tags (tag number >= 31): no structure SCEP, CMS or X.509
 *    uses has one; asn1js reads them.
 * 3. length octets: more than 4 (a length over 4 GiB cannot fit a request
 *    body limited to 64 KiB); asn1js reads up to 8.
 * 4. nesting deeper than 40 indefinite-length levels (stack-exhaustion guard;
 *    the deepest real message nests 12); asn1js has no limit.
 * 5. a BMPString of odd length (not UTF-16BE code units, X.680 §41); asn1js
 *    decodes the odd octet away.
 * 6. an empty RelativeDistinguishedName: X.501 says SET SIZE (1..MAX) OF
 *    AttributeTypeAndValue; pkijs takes the empty SET.
 * 7. OBJECT IDENTIFIER contents that are empty or whose arc starts with a
 *    0x80 octet: X.690 §8.19.2 requires at least one subidentifier, each in
 *    the fewest octets (BER too, not only DER); asn1js decodes them.
 * 8. an indefinite length on a primitive element (X.690 §8.1.3.2 allows it
 *    only for constructed ones).
 * 9. an element whose length runs past its parent's contents (X.690 §8.1.1:
 *    a constructed element's contents are exactly its children); asn1js
 *    bounds a child only by the end of the buffer.
 * 10. an indefinite length with no end-of-contents octets (X.690 §8.1.3.6);
 *    asn1js closes it at the end of the buffer.
 * 11. an INTEGER with no contents octet (X.690 §8.3.1) as a version field.
 * 12. extra elements after the last component of a SEQUENCE with no
 *    extension marker: Certificate (RFC 5280 §4.1: exactly tbsCertificate,
 *    signatureAlgorithm, signatureValue; bytes after them are unsigned),
 *    AttributeTypeAndValue (X.501) and Extension (RFC 5280 §4.1); pkijs reads
 *    the components it knows and ignores the rest. Likewise an Extension of 3
 *    whose middle one is not the BOOLEAN critical: pkijs takes the middle one
 *    as extnValue, we took the last. And a version [0] EXPLICIT holding more
 *    than the one INTEGER (X.690 §8.14.2: an explicit tag wraps exactly one encoding).
 *    The same for CertificationRequest / CertificationRequestInfo (RFC 2986
 *    §4: a second attributes [0] was read past), ContentInfo (RFC 5652 §3,
 *    and its [0] EXPLICIT content: one element), a CRL in SignedData crls (CertificateList, TBSCertList, a
 *    revokedCertificates entry, crlExtensions [0] EXPLICIT: RFC 5280 §5.1) and
 *    for the skipped CertificateChoices / RevocationInfoChoice alternatives
 *    (AttributeCertificate of 3, Other*Format of 2: RFC 5652 §10.2, RFC 5755 §4.1).
 * 13. one extension twice in a certificate or CSR (RFC 5280 §4.2: "MUST NOT
 *    include more than one instance of a particular extension"), and one
 *    signed attribute type twice in a SignerInfo (RFC 5652 §11.1-3 for
 *    contentType, messageDigest, signingTime; for the SCEP attributes two
 *    readers would pick different ones: pkijs takes the first).
 * 13b. a keyUsage extension whose value is not a primitive BIT STRING (RFC
 *    5280 §4.2.1.3, certificates are DER): pkijs does not decode extension
 *    values; ours reads keyUsage (the RA certificate's uses).
 * 14. eContent that is not an OCTET STRING (RFC 5652 §5.2); pkijs takes any.
 * 15. typed values pkijs does not check: a challengePassword that is not a
 *    DirectoryString (RFC 2985 §5.4.1), an attribute with an empty values
 *    SET (RFC 2986 §4.1: SET SIZE(1..MAX)), SCEP attributes of another type
 *    than RFC 8894 §3.2.1 gives them (messageType, transactionID: PrintableString;
 *    senderNonce, recipientNonce: OCTET STRING).
 * 16. a UTF8String that is not UTF-8 (RFC 3629) where a string is required
 *    (challengePassword); in a Name it is shown as "#hex" (fuzz-utf8-invalid).
 * 17. a UTCTime with a 4-digit year or a GeneralizedTime with a 2-digit one
 *    (RFC 5280 §4.1.2.5.1-2: YYMMDDHHMMSSZ, YYYYMMDDHHMMSSZ); asn1js reads a
 *    date out of either (fuzz-time-year-digits).
 */
export const DOCUMENTED_STRICTER: ReadonlyArray<{ pattern: RegExp; reason: string }> = [
  { pattern: /trailing data after the element/, reason: "trailing bytes after the pkiMessage / structure" },
  { pattern: /multi-byte tags are not supported/, reason: "high tag numbers (>= 31)" },
  { pattern: /length field too large/, reason: "more than 4 length octets" },
  { pattern: /nesting too deep/, reason: "more than 40 nested indefinite lengths" },
  { pattern: /BMPString of odd length/, reason: "BMPString with an odd number of octets" },
  { pattern: /RelativeDistinguishedName: expected at least 1 elements/, reason: "empty RelativeDistinguishedName (X.501 SIZE (1..MAX))" },
  { pattern: /empty object identifier|leading 0x80 octet/, reason: "empty OID, or an arc with a leading 0x80 octet (X.690 §8.19.2)" },
  { pattern: /indefinite length on a primitive element/, reason: "indefinite length on a primitive element" },
  { pattern: /length exceeds the data|truncated element/, reason: "a child element overruns its parent (X.690 §8.1.1)" },
  { pattern: /missing end-of-contents/, reason: "indefinite length without end-of-contents (X.690 §8.1.3.6)" },
  { pattern: /version: empty INTEGER/, reason: "empty INTEGER as version (X.690 §8.3.1)" },
  { pattern: /Certificate: more than 3 elements|AttributeTypeAndValue: more than 2 elements|Extension: more than 3 elements|critical: expected tag 0x1,|version: expected 1 element|EnvelopedData: unexpected element after|TBSCertificate: unexpected element|CertificateList: more than 3 elements|revokedCertificate: more than 3 elements|crlExtensions: expected 1 element|TBSCertList: unexpected element|CertificationRequest: more than 3 elements|CertificationRequestInfo: unexpected element|ContentInfo: more than 2 elements|ContentInfo: content \[0\] holds more than 1|SignerInfo: unexpected element|Attribute: more than 2 elements|RecipientInfo \[\d\]: (more elements|expected 2 elements)|(CertificateChoices|RevocationInfoChoice) \[\d\]: more than/, reason: "extra or mistyped SEQUENCE components (RFC 5280 §4.1, X.501)" },
  { pattern: /duplicate extension|signedAttrs: duplicate attribute/, reason: "an extension or a signed attribute twice (RFC 5280 §4.2, RFC 5652 §11)" },
  { pattern: /KeyUsage: expected tag 0x3,/, reason: "keyUsage value not a (primitive, DER) BIT STRING (RFC 5280 §4.2.1.3): ours reads it" },
  { pattern: /eContent: expected tag/, reason: "eContent not an OCTET STRING (RFC 5652 §5.2)" },
  { pattern: /DerError: expected a string, got tag|attribute values: expected at least 1 elements|AttributeError: (messageType|transactionID|pkiStatus|failInfo|failInfoText) is not a string|AttributeError: (senderNonce|recipientNonce) is not an OCTET STRING/, reason: "attribute value of the wrong type or empty (RFC 2985 §5.4.1, RFC 2986 §4.1, RFC 8894 §3.2.1)" },
  { pattern: /UTF8String is not valid UTF-8/, reason: "UTF8String that is not UTF-8 (RFC 3629)" },
  { pattern: /bad (UTCTime|GeneralizedTime) value/, reason: "a time not in the syntax of its type (RFC 5280 §4.1.2.5.1-2)" },
];

/**
 * asn1js refusals that follow no BER rule but limits of asn1js itself:
 * universal tag numbers it reserves ([UNIVERSAL 0] constructed, 15, 37 and
 * up: our TLV layer does not give universal tag numbers a meaning, and the
 * typed parsers refuse them where they expect a type), lengths and INTEGERs
 * beyond its own bounds (a 4-octet length with leading zeros, X.690 §8.1.3.5
 * allows it in BER). Judged like VALUE_CHECKS.
 */
export const REFERENCE_LIMITS = /is reserved|upper tags are reserved|Too big integer|Maximum ASN.1 content length exceeded/;

/**
 * asn1js checks on primitive VALUES (string lengths, BIT STRING unused bits,
 * time syntax, OID completeness, constructed forms of types that have none).
 * Our generic TLV layer ("der" inputs) does not interpret values: the typed
 * parsers do, and those are judged on their own kinds. So for "der" inputs
 * such a rejection by asn1js alone is not a disagreement.
 */
export const VALUE_CHECKS = /value length must be a multiple|Unused bits for BitString|Wrong input string for conversion|End of input reached before message was fully decoded|Constructed encoding used for primitive type|OCTET STRING may consists of OCTET STRINGs only|BIT STRING may consists of BIT STRINGs only|Maximum ASN.1 nesting depth|Zero buffer length|Error during parsing of BOOLEAN|length of NULL|Non-zero length of value block for Null type/;

/**
 * asn1js refuses the whole input for a BER error in an element our decoder
 * never reads (an extra element it skips, a part it carries as opaque bytes):
 * the decoder did not look there, so this is reported as lenient, not failed.
 * The "der" kind reads every element and does refuse these.
 */
export const IN_SKIPPED_PARTS = /Indefinite length form used for primitive encoding form|a child element runs past its definite-length parent/;

export type Verdict =
  | { kind: "ok" }
  /** A "der" input whose primitive values asn1js refuses: the TLV layer does not read values. */
  | { kind: "opaque" }
  /**
   * asn1js refuses a primitive value inside a part our decoder carries as
   * opaque bytes (extension values, algorithm parameters, the signature) or
   * shows as "#hex" (an attribute value it cannot decode). Counted and
   * reported by reason; not a crash, never a field we return decoded.
   */
  | { kind: "lenient"; reason: string }
  | { kind: "stricter"; reason: string }
  | { kind: "crash"; detail: string }
  | { kind: "disagreement"; detail: string };

function firstDiff(a: unknown, b: unknown, path = ""): string {
  if (JSON.stringify(a) === JSON.stringify(b)) return "";
  if (a && b && typeof a === "object" && typeof b === "object") {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
  }
  return `${path || "."}: ours ${JSON.stringify(a)?.slice(0, 200)} reference ${JSON.stringify(b)?.slice(0, 200)}`;
}

export function judge(ours: Outcome, ref: RefOutcome, inputKind?: string): Verdict {
  if (!ours.ok && !ours.typed) return { kind: "crash", detail: ours.error };
  if (ours.ok) {
    if (!ref.ok && ref.error.includes("skip:")) return { kind: "opaque" };
    if (!ref.ok && (VALUE_CHECKS.test(ref.error) || REFERENCE_LIMITS.test(ref.error) || IN_SKIPPED_PARTS.test(ref.error))) return { kind: inputKind === "der" ? "opaque" : "lenient", reason: ref.error.replace(/\d+/g, "N").slice(0, 90) };
    if (!ref.ok) return { kind: "disagreement", detail: `we accept, the reference rejects (${ref.error})` };
    if (ref.trailing) return { kind: "disagreement", detail: "we accept an element with trailing data" };
    const d = firstDiff(JSON.parse(JSON.stringify(ours.view)), ref.view);
    return d ? { kind: "disagreement", detail: `field ${d}` } : { kind: "ok" };
  }
  if (!ref.ok) return { kind: "ok" };
  const documented = DOCUMENTED_STRICTER.find((s) => s.pattern.test(ours.error));
  if (documented) return { kind: "stricter", reason: documented.reason };
  if (ref.trailing) return { kind: "stricter", reason: DOCUMENTED_STRICTER[0]!.reason };
  return { kind: "disagreement", detail: `we reject (${ours.error}), the reference accepts` };
}

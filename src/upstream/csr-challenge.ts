/**
 * Puts the upstream's challenge password into a device's CSR.
 *
 * NOTE(micromdm): scepserver reads the challenge from the challengePassword
 * attribute of the CSR it gets (not from anything the RA signs) and does not
 * verify the CSR's self-signature. So when `upstream.challenge` is set, the
 * RA forwards the device's CSR with that attribute replaced (or added): the
 * CertificationRequestInfo is re-encoded with the new attribute and the
 * original signatureAlgorithm and signature are kept, byte for byte. The
 * CSR's signature then no longer verifies; that is acceptable because the RA
 * has already checked the proof of possession (DESIGN.md flow step 1) and
 * its own signature on the pkiMessage vouches for the request.
 *
 *   CertificationRequest ::= SEQUENCE {
 *     certificationRequestInfo CertificationRequestInfo,
 *     signatureAlgorithm AlgorithmIdentifier,
 *     signature BIT STRING }
 *   CertificationRequestInfo ::= SEQUENCE {
 *     version INTEGER, subject Name, subjectPKInfo SubjectPublicKeyInfo,
 *     attributes [0] IMPLICIT SET OF Attribute }          -- RFC 2986 §4.1
 *
 * Every other element keeps its encoding; the attributes are re-sorted into
 * DER SET OF order (X.690 §11.6), which leaves an already sorted set in place.
 */
import { children, ctx, expectChildren, expectTag, oid, oidValue, parseDer, printable, raw, seq, setOf, Oid, Tag, utf8 } from "../crypto/index.js";

/** PrintableString when the password fits its alphabet, else UTF8String (RFC 2985 §5.4.1 DirectoryString). */
function encodePassword(password: string): Uint8Array {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(password) ? printable(password) : utf8(password);
}

/**
 * Returns the CSR with its challengePassword attribute set to `password`
 * (replacing every existing one, or added). Throws DerError on a malformed CSR.
 */
export function withChallengePassword(csrDer: Uint8Array, password: string): Uint8Array {
  const [info, sigAlg, signature] = expectChildren(parseDer(csrDer), Tag.SEQUENCE, "CertificationRequest", 3);
  const [version, subject, spki, attrs] = expectChildren(info, Tag.SEQUENCE, "CertificationRequestInfo", 3);
  const kept = attrs
    ? children(expectTag(attrs, 0xa0, "attributes")).filter((a) => {
        const type = expectChildren(a, Tag.SEQUENCE, "Attribute", 2)[0]!;
        return oidValue(type) !== Oid.challengePassword;
      })
    : [];
  const challenge = seq(oid(Oid.challengePassword), setOf(encodePassword(password)));
  const attributes = [...kept.map(raw), challenge].sort((a, b) => Buffer.compare(a, b));
  const newInfo = seq(raw(version!), raw(subject!), raw(spki!), ctx(0, ...attributes));
  return seq(newInfo, raw(sigAlg!), raw(signature!));
}

/**
 * PKCS#10 certification requests (RFC 2986): parse, verify, and build.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { publicKeyFromSpki } from "./public-key.js";
import { signatureOid, type DigestName } from "./algorithms.js";
import { signNow } from "./private-key-ops.js";
import { algorithmId, bitString, children, contents, ctx, derNull, expectChildren, expectTag, int, oid, oidValue, parseDer, printable, raw, seq, setOf, stringValue, Tag, utf8 } from "./der.js";
import { CryptoError, DerError, SignatureError, UnsupportedAlgorithmError } from "./errors.js";
import { encodeExtension, parseExtensionList, type ExtensionSpec } from "./extensions.js";
import { expectSpki, expectVersion } from "./der-shape.js";
import { describeKey, type KeyDescription } from "./keys.js";
import { commonName, formatName, nameAttributes, type NameAttribute } from "./name.js";
import { Oid } from "./oids.js";
import { signatureCheck, type SignatureAlgorithm, type SignedBytes } from "./verify-signature.js";

export interface Csr {
  readonly der: Uint8Array;
  /** DER of the subject Name. */
  readonly subject: Uint8Array;
  readonly subjectAttributes: NameAttribute[];
  readonly subjectText: string;
  readonly commonName: string | undefined;
  /** DER of SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  readonly challengePassword: string | undefined;
  /** Requested extensions (extensionRequest attribute), by OID. */
  readonly extensions: ReadonlyMap<string, { critical: boolean; value: Uint8Array }>;
  readonly signatureOid: string;
  /** DER of the signatureAlgorithm parameters, undefined when absent (RSASSA-PSS-params for id-RSASSA-PSS, RFC 4055 §3.1). */
  readonly signatureParams: Uint8Array | undefined;
  publicKey(): KeyObject;
  key(): KeyDescription;
  /**
   * Checks the self-signature (proof of possession, RFC 2986 §3). Throws
   * UnsupportedAlgorithmError (badAlg) for a signature algorithm or
   * parameters we do not support, SignatureError (badMessageCheck) when it
   * does not verify.
   */
  checkSignature(): void;
  /** Whether the self-signature verifies ({@link checkSignature} as a boolean: false for any failure). */
  verify(): boolean;
}

/** Parses a DER PKCS#10 request; throws DerError when malformed. */
export function parseCsr(der: Uint8Array): Csr {
  const [infoTlv, algTlv, sigTlv, ...extra] = expectChildren(parseDer(der), Tag.SEQUENCE, "CertificationRequest", 3);
  // RFC 2986 §4: nothing follows the signature nor the attributes; a second attributes [0] (with another challengePassword) was skipped unread (issue 12, fuzz-csr-second-attributes).
  if (extra.length) throw new DerError("CertificationRequest: more than 3 elements");
  const [versionTlv, subjectTlv, spkiTlv, attrsTlv, ...after] = expectChildren(infoTlv, Tag.SEQUENCE, "CertificationRequestInfo", 3);
  if (after.length) throw new DerError(`CertificationRequestInfo: unexpected element 0x${after[0]!.tag.toString(16)} after attributes`);
  expectVersion(versionTlv, "CertificationRequestInfo");
  expectTag(subjectTlv, Tag.SEQUENCE, "subject");
  expectSpki(spkiTlv, "subjectPKInfo");
  let challengePassword: string | undefined;
  let extensions = new Map<string, { critical: boolean; value: Uint8Array }>();
  if (attrsTlv) {
    const seen = new Set<string>();
    for (const attr of children(expectTag(attrsTlv, 0xa0, "attributes"))) {
      const [type, values] = expectChildren(attr, Tag.SEQUENCE, "Attribute", 2);
      const first = expectChildren(values, Tag.SET, "attribute values", 1)[0]!;
      const t = oidValue(type!);
      // Two challengePasswords (or extensionRequests): the RA would check one and the CA might read the other.
      if (seen.has(t)) throw new DerError(`CertificationRequestInfo: attribute ${t} appears twice`);
      seen.add(t);
      if (t === Oid.challengePassword) challengePassword = stringValue(first);
      else if (t === Oid.extensionRequest) extensions = parseExtensionList(raw(first));
    }
  }
  const [sigOidTlv, sigParamsTlv] = expectChildren(algTlv, Tag.SEQUENCE, "signatureAlgorithm", 1);
  const signatureOidValue = oidValue(sigOidTlv!);
  const signature = contents(expectTag(sigTlv, Tag.BIT_STRING, "signature")).subarray(1);
  const subjectAttributes = nameAttributes(subjectTlv!);
  let key: KeyObject | undefined;
  const publicKey = (): KeyObject => (key ??= publicKeyFromSpki(raw(spkiTlv!)));
  const signatureParams = sigParamsTlv && raw(sigParamsTlv);
  const checkSignature = (): void =>
    checkCsrSignature({ oid: signatureOidValue, params: signatureParams }, { data: raw(infoTlv!), signature, spki: raw(spkiTlv!), publicKey });
  return {
    der,
    subject: raw(subjectTlv!),
    subjectAttributes,
    subjectText: formatName(subjectAttributes),
    commonName: commonName(subjectAttributes),
    spki: raw(spkiTlv!),
    challengePassword,
    extensions,
    signatureOid: signatureOidValue,
    signatureParams,
    publicKey,
    key: () => describeKey(publicKey()),
    checkSignature,
    verify: () => {
      try {
        checkSignature();
        return true;
      } catch {
        return false;
      }
    },
  };
}

function checkCsrSignature(alg: SignatureAlgorithm, signed: SignedBytes): void {
  // A CSR signatureAlgorithm names its hash (plain rsaEncryption is not one: no digest given).
  const check = signatureCheck(alg, undefined);
  let ok: boolean;
  try {
    ok = check.verify(signed);
  } catch (err) {
    if (err instanceof CryptoError) throw err;
    throw new SignatureError(`its public key cannot be used (${(err as Error).message})`, { cause: err });
  }
  if (!ok) throw new SignatureError("its signature does not verify");
}

export interface CsrOptions {
  /** DER Name (see name.buildName). */
  subject: Uint8Array;
  key: KeyObject;
  challengePassword?: string;
  extensions?: readonly ExtensionSpec[];
  digest?: DigestName;
}

/** Builds and signs a PKCS#10 request. */
export function buildCsr(o: CsrOptions): Uint8Array {
  const keyType = o.key.asymmetricKeyType;
  if (keyType !== "rsa" && keyType !== "ec") throw new UnsupportedAlgorithmError(`cannot sign a CSR with a ${keyType} key`);
  const digest = o.digest ?? "sha256";
  const spki = (o.key.type === "public" ? o.key : createPublicKey(o.key)).export({ format: "der", type: "spki" });
  const attrs: Uint8Array[] = [];
  if (o.challengePassword !== undefined) {
    const pw = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(o.challengePassword) ? printable(o.challengePassword) : utf8(o.challengePassword);
    attrs.push(seq(oid(Oid.challengePassword), setOf(pw)));
  }
  if (o.extensions?.length) attrs.push(seq(oid(Oid.extensionRequest), setOf(seq(...o.extensions.map(encodeExtension)))));
  // attributes is a SET OF: DER order (X.690 §11.6), so that re-encoding it (upstream/csr-challenge.ts) keeps the signed bytes.
  const info = seq(int(0), o.subject, spki, ctx(0, ...attrs.sort((a, b) => Buffer.compare(a, b))));
  const sigOid = signatureOid(keyType, digest);
  const signature = signNow(digest, info, o.key);
  return seq(info, keyType === "rsa" ? algorithmId(sigOid, derNull()) : algorithmId(sigOid), bitString(signature));
}

/** Wraps a parse failure of CSR bytes. */
export function parseCsrAs(der: Uint8Array, what: string): Csr {
  try {
    return parseCsr(der);
  } catch (err) {
    throw new DerError(`${what}: not a PKCS#10 request (${(err as Error).message})`, { cause: err });
  }
}

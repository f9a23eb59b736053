/**
 * One signature check for every signed thing scepgate verifies itself (CMS
 * signerInfos, RFC 5652 §5.6; PKCS#10 requests, RFC 2986 §4.2): picks the
 * scheme from the signatureAlgorithm OID and its parameters, checks that the
 * key fits it, and verifies with node:crypto. RSASSA-PSS (RFC 4055) goes to
 * rsa-pss.ts; PKCS#1 v1.5 and ECDSA are the algorithms.ts schemes.
 */
import { verify as nodeVerify, type KeyObject } from "node:crypto";
import { Digests, signatureSchemeByOid, type DigestName } from "./algorithms.js";
import { SignatureError, UnsupportedAlgorithmError } from "./errors.js";
import { Oid } from "./oids.js";
import { verifyRsaPss } from "./rsa-pss.js";
import { parsePssParams, type PssParams } from "./rsa-pss-params.js";

/** A signatureAlgorithm AlgorithmIdentifier as found. */
export interface SignatureAlgorithm {
  oid: string;
  /** DER of the parameters element, undefined when absent. */
  params: Uint8Array | undefined;
}

/** What was signed, the signature, and the signer's key. */
export interface SignedBytes {
  data: Uint8Array;
  signature: Uint8Array;
  /** DER SubjectPublicKeyInfo of the signer. */
  spki: Uint8Array;
  /** The same key as a KeyObject (cached by the caller). */
  publicKey: () => KeyObject;
}

/** A signature check with the algorithm already understood. */
export interface SignatureCheck {
  /** The hash the signature is computed with. */
  readonly hash: DigestName;
  /** The RSASSA-PSS parameters, for an id-RSASSA-PSS signature. */
  readonly pss: PssParams | undefined;
  /** False when the signature does not verify; SignatureError for a key of another kind than the signature. */
  verify(s: SignedBytes): boolean;
}

/**
 * Understands `alg` (and, for a plain rsaEncryption signatureAlgorithm,
 * which names no hash, `digest`: a CMS signerInfo's digestAlgorithm,
 * RFC 5652 §5.3) before anything is hashed or verified, so that an
 * unsupported algorithm is reported as such. Throws
 * UnsupportedAlgorithmError (badAlg) for an algorithm or parameters we do
 * not support.
 */
export function signatureCheck(alg: SignatureAlgorithm, digest: DigestName | undefined): SignatureCheck {
  if (alg.oid === Oid.rsassaPss) {
    // RFC 4055 §3.1: in a signature's AlgorithmIdentifier the parameters MUST be present.
    if (alg.params === undefined) throw new UnsupportedAlgorithmError("RSASSA-PSS signature without its parameters (RFC 4055 §3.1 requires them)");
    const params = parsePssParams(alg.params);
    return { hash: params.hash, pss: params, verify: (s) => verifyRsaPss({ ...s, params }) };
  }
  const scheme = signatureSchemeByOid(alg.oid);
  const hash = scheme.digest ?? digest;
  if (!hash) throw new UnsupportedAlgorithmError(`signature algorithm ${alg.oid} names no digest`);
  return { hash, pss: undefined, verify: (s) => verifyClassic(scheme.key, hash, s) };
}

/** PKCS#1 v1.5 (RFC 8017 §8.2) or ECDSA. */
function verifyClassic(keyType: "rsa" | "ec", hash: DigestName, s: SignedBytes): boolean {
  const key = s.publicKey();
  if (key.asymmetricKeyType === "rsa-pss" && keyType === "rsa") {
    throw new UnsupportedAlgorithmError("a PKCS#1 v1.5 signature from an id-RSASSA-PSS key (RFC 4055 §1.2: such a key signs with RSASSA-PSS only)");
  }
  if (key.asymmetricKeyType !== keyType) throw new SignatureError(`a ${keyType} signature from a ${key.asymmetricKeyType} key`);
  try {
    return nodeVerify(Digests[hash].node, s.data, key, s.signature);
  } catch (err) {
    throw new SignatureError("signature verification failed", { cause: err });
  }
}

/** {@link signatureCheck} and the check at once. */
export function verifySignatureValue(alg: SignatureAlgorithm, digest: DigestName | undefined, s: SignedBytes): boolean {
  return signatureCheck(alg, digest).verify(s);
}

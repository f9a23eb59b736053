/**
 * RSASSA-PSS signature verification (RFC 8017 §8.1.2) with the parameters of
 * the signature's AlgorithmIdentifier (RFC 4055 §3.1), by node:crypto.
 *
 * node:crypto `verify` with `padding: RSA_PKCS1_PSS_PADDING` runs MGF1 with
 * the signature hash and has no option for another MGF1 hash. When the
 * parameters name another one, the check runs on an id-RSASSA-PSS key
 * object built from the same modulus and those parameters, whose MGF1 hash
 * OpenSSL then uses: the MGF1 hash asked for is the one verified, never a
 * silent substitute.
 */
import { constants, createPublicKey, verify as nodeVerify, type KeyObject } from "node:crypto";
import { Digests } from "./algorithms.js";
import { algorithmId, bitString, contents, expectChildren, oidValue, parseDer, raw, seq, Tag } from "./der.js";
import { DerError, SignatureError, UnsupportedAlgorithmError } from "./errors.js";
import { Oid } from "./oids.js";
import { describePss, encodePssParams, maxSaltLength, parsePssParams, type PssParams } from "./rsa-pss-params.js";

/** What a PSS signature is checked over and with. */
export interface PssVerifyInput {
  /** The signed bytes (the message M of RFC 8017 §8.1.2). */
  data: Uint8Array;
  signature: Uint8Array;
  /** The signature's parameters. */
  params: PssParams;
  /** The signer's SubjectPublicKeyInfo, DER (rsaEncryption or id-RSASSA-PSS). */
  spki: Uint8Array;
  /** The same key as a KeyObject (cached by the caller). */
  publicKey: () => KeyObject;
}

/** An RSA SubjectPublicKeyInfo: its RSAPublicKey and, for id-RSASSA-PSS, the key's own restrictions. */
interface RsaSpki {
  pkcs1: Uint8Array;
  restrictions: PssParams | undefined;
}

function readRsaSpki(spki: Uint8Array): RsaSpki {
  const [alg, bits] = expectChildren(parseDer(spki), Tag.SEQUENCE, "SubjectPublicKeyInfo", 2);
  const [algOid, params] = expectChildren(alg, Tag.SEQUENCE, "AlgorithmIdentifier", 1);
  const type = oidValue(algOid!);
  if (type !== Oid.rsaEncryption && type !== Oid.rsassaPss) throw new SignatureError(`an RSASSA-PSS signature from a key of type ${type}`);
  if (bits?.tag !== Tag.BIT_STRING) throw new DerError("subjectPublicKey: not a BIT STRING");
  const pkcs1 = contents(bits).subarray(1);
  if (type === Oid.rsaEncryption) return { pkcs1, restrictions: undefined };
  // RFC 4055 §3.1: absent parameters in an id-RSASSA-PSS key mean "any PSS parameters".
  return { pkcs1, restrictions: params ? parsePssParams(raw(params)) : undefined };
}

/**
 * RFC 4055 §3.3: a key with RSASSA-PSS-params may only sign with that hash
 * and mask generation function, and a salt at least that long.
 */
function checkKeyRestrictions(sig: PssParams, key: PssParams | undefined): void {
  if (!key) return;
  if (sig.hash !== key.hash || sig.mgf1Hash !== key.mgf1Hash || sig.saltLength < key.saltLength) {
    throw new UnsupportedAlgorithmError(
      `the signature's ${describePss(sig)} breaks the key's id-RSASSA-PSS restrictions (${describePss(key)}, salt at least ${key.saltLength}; RFC 4055 §3.3)`,
    );
  }
}

function checkSaltFits(p: PssParams, key: KeyObject): void {
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  const max = maxSaltLength(bits, p.hash);
  if (p.saltLength > max) {
    throw new UnsupportedAlgorithmError(`RSASSA-PSS saltLength ${p.saltLength} does not fit a ${bits}-bit key with ${p.hash} (at most ${Math.max(max, 0)}; RFC 8017 §9.1.1)`);
  }
}

/** An id-RSASSA-PSS key object for `pkcs1` restricted to `p`, so that OpenSSL runs MGF1 with p.mgf1Hash. */
function keyWithParams(pkcs1: Uint8Array, p: PssParams): KeyObject {
  const spki = seq(algorithmId(Oid.rsassaPss, encodePssParams(p)), bitString(pkcs1));
  return createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
}

/**
 * Verifies an RSASSA-PSS signature (RFC 8017 §8.1.2) with exactly the
 * parameters given: hash, MGF1 hash and salt length (checked exactly, never
 * "auto"). Returns false when the signature does not verify; throws
 * UnsupportedAlgorithmError for parameters the key cannot have signed with,
 * SignatureError for a key that is not RSA.
 */
export function verifyRsaPss(i: PssVerifyInput): boolean {
  const rsa = readRsaSpki(i.spki);
  checkKeyRestrictions(i.params, rsa.restrictions);
  const key = i.publicKey();
  checkSaltFits(i.params, key);
  const verifyKey = i.params.mgf1Hash === i.params.hash ? key : keyWithParams(rsa.pkcs1, i.params);
  try {
    return nodeVerify(
      Digests[i.params.hash].node,
      i.data,
      { key: verifyKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: i.params.saltLength },
      i.signature,
    );
  } catch (err) {
    throw new SignatureError("RSASSA-PSS signature verification failed", { cause: err });
  }
}

/**
 * SubjectPublicKeyInfo → KeyObject, fast.
 *
 * OpenSSL 3's generic SPKI decoder costs ~90 µs per key here (it tries every
 * decoder), while handing it the inner PKCS#1 RSAPublicKey, or an EC point as
 * JWK, costs ~7 µs. Every request carries one or two keys to check, so this
 * matters on the hot path; anything else falls back to the generic decoder.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { contents, expectChildren, oidValue, parseDer, Tag } from "./der.js";
import { Oid } from "./oids.js";

const jwkCurves: Record<string, { crv: string; size: number }> = {
  [Oid.prime256v1]: { crv: "P-256", size: 32 },
  [Oid.secp384r1]: { crv: "P-384", size: 48 },
  [Oid.secp521r1]: { crv: "P-521", size: 66 },
};

export function publicKeyFromSpki(spki: Uint8Array): KeyObject {
  const [alg, bits] = expectChildren(parseDer(spki), Tag.SEQUENCE, "SubjectPublicKeyInfo", 2);
  const [algOid, params] = expectChildren(alg, Tag.SEQUENCE, "AlgorithmIdentifier", 1);
  const type = oidValue(algOid!);
  const key = contents(bits!).subarray(1);
  if (type === Oid.rsaEncryption) return createPublicKey({ key: Buffer.from(key), format: "der", type: "pkcs1" });
  if (type === Oid.ecPublicKey && params?.tag === Tag.OID) {
    const curve = jwkCurves[oidValue(params)];
    if (curve && key[0] === 4 && key.length === 1 + 2 * curve.size) {
      const x = Buffer.from(key.subarray(1, 1 + curve.size)).toString("base64url");
      const y = Buffer.from(key.subarray(1 + curve.size)).toString("base64url");
      return createPublicKey({ key: { kty: "EC", crv: curve.crv, x, y }, format: "jwk" });
    }
  }
  return createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
}

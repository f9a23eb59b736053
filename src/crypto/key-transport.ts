/**
 * RSA key transport of content-encryption keys (RFC 5652 §6.2.1):
 * PKCS#1 v1.5 (RFC 8017 §7.2) and RSAES-OAEP (RFC 8017 §7.1, RFC 3560).
 */
import { constants, createHmac, privateDecrypt, publicEncrypt, type KeyObject } from "node:crypto";
import { inThreadKeyOps, type PrivateKeyOps } from "./private-key-ops.js";
import type { DigestName } from "./algorithms.js";
import { DecryptionError } from "./errors.js";

/**
 * Unwraps a PKCS#1 v1.5 encrypted key of known length with implicit rejection.
 *
 * Node 20.20 refuses RSA_PKCS1_PADDING for private decryption (CVE-2023-46809)
 * unless started with a CLI flag that NODE_OPTIONS cannot carry, and PKI.js'
 * WebCrypto engine has no RSAES-PKCS1-v1_5 at all; so we decrypt raw and check
 * the padding here. To leave no padding oracle, a bad padding does not fail:
 * it yields a key derived from the ciphertext and a per-key secret, so the
 * caller sees the same content-decryption failure as for any wrong key
 * (draft-irtf-cfrg-rsa-guidance, "implicit rejection"). Because the CEK length
 * is fixed by the content cipher, every check is at a fixed position and the
 * selection below is branch-free.
 */
export async function unwrapPkcs1(
  key: KeyObject,
  rejectionSecret: Uint8Array,
  encryptedKey: Uint8Array,
  keyLength: number,
  ops: PrivateKeyOps = inThreadKeyOps,
): Promise<Uint8Array> {
  const synthetic = syntheticKey(rejectionSecret, encryptedKey, keyLength);
  let em: Uint8Array;
  try {
    em = await ops.rsaRaw(key, encryptedKey);
  } catch {
    return synthetic; // wrong ciphertext length or value >= modulus: public facts, no oracle
  }
  const k = em.length;
  const sep = k - keyLength - 1;
  let bad = sep < 10 ? 1 : 0;
  bad |= em[0]! | (em[1]! ^ 0x02) | em[Math.max(sep, 0)]!;
  for (let i = 2; i < sep; i++) bad |= em[i]! === 0 ? 1 : 0;
  const mask = -((bad | -bad) >>> 31) & 0xff; // 0xff when bad, 0 when good
  const out = new Uint8Array(keyLength);
  for (let i = 0; i < keyLength; i++) out[i] = (em[sep + 1 + i]! & ~mask) | (synthetic[i]! & mask);
  return out;
}

function syntheticKey(secret: Uint8Array, encryptedKey: Uint8Array, length: number): Uint8Array {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * 32 < length; counter++) {
    blocks.push(createHmac("sha256", secret).update(Uint8Array.of(counter)).update(encryptedKey).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** RSAES-OAEP with one hash for both OAEP and MGF1 (what OpenSSL and Node support). */
export function unwrapOaep(key: KeyObject, hash: DigestName, encryptedKey: Uint8Array): Uint8Array {
  try {
    return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, encryptedKey);
  } catch (err) {
    throw new DecryptionError("key transport (RSAES-OAEP) failed", { cause: err });
  }
}

export function wrapPkcs1(publicKey: KeyObject, cek: Uint8Array): Uint8Array {
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, cek);
}

export function wrapOaep(publicKey: KeyObject, hash: DigestName, cek: Uint8Array): Uint8Array {
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, cek);
}

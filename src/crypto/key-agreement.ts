/**
 * ECDH key agreement for CMS (RFC 5753 §3.1, ephemeral-static
 * dhSinglePass-stdDH-sha*kdf-scheme with AES key wrap), used when the
 * requester's certificate holds an EC key and the CertRep must be encrypted
 * to it. node:crypto does the ECDH, the X9.63 KDF (hash) and RFC 3394 wrap.
 */
import { createCipheriv, createDecipheriv, createHash, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from "node:crypto";
import { Digests, type DigestName } from "./algorithms.js";
import { algorithmId, ctx, int, octets, seq } from "./der.js";
import { DecryptionError, UnsupportedAlgorithmError } from "./errors.js";
import { Oid } from "./oids.js";

const WRAP_IV = Buffer.from("a6a6a6a6a6a6a6a6", "hex");

/** The key-agreement schemes we implement, by OID: KDF hash and AES-wrap key length. */
const schemes: Record<string, { hash: DigestName; wrapOid: string; wrapBits: number }> = {
  [Oid.dhSinglePassStdDHsha256kdf]: { hash: "sha256", wrapOid: Oid.aes128Wrap, wrapBits: 128 },
  [Oid.dhSinglePassStdDHsha384kdf]: { hash: "sha384", wrapOid: Oid.aes256Wrap, wrapBits: 256 },
};
const wrapCiphers: Record<string, { bits: number; node: string }> = {
  [Oid.aes128Wrap]: { bits: 128, node: "id-aes128-wrap" },
  [Oid.aes256Wrap]: { bits: 256, node: "id-aes256-wrap" },
};

/** ANSI X9.63 KDF over ECC-CMS-SharedInfo (RFC 5753 §7.2). */
function deriveKek(z: Uint8Array, hash: DigestName, wrapOid: string, bits: number, ukm?: Uint8Array): Uint8Array {
  const suppPubInfo = Buffer.alloc(4);
  suppPubInfo.writeUInt32BE(bits);
  const sharedInfo = seq(algorithmId(wrapOid), ...(ukm ? [ctx(0, octets(ukm))] : []), ctx(2, octets(suppPubInfo)));
  const out: Buffer[] = [];
  for (let counter = 1; out.length * Digests[hash].size * 8 < bits; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    out.push(createHash(Digests[hash].node).update(z).update(c).update(sharedInfo).digest());
  }
  return Buffer.concat(out).subarray(0, bits / 8);
}

export interface KeyAgreementResult {
  /** DER SubjectPublicKeyInfo of the ephemeral originator key. */
  originatorSpki: Uint8Array;
  /** keyEncryptionAlgorithm AlgorithmIdentifier DER. */
  keyEncryptionAlgorithm: Uint8Array;
  encryptedKey: Uint8Array;
}

/** Wraps `cek` for an EC recipient public key with a fresh ephemeral key. */
export function agreeAndWrap(recipient: KeyObject, cek: Uint8Array): KeyAgreementResult {
  const curve = recipient.asymmetricKeyDetails?.namedCurve;
  if (!curve) throw new UnsupportedAlgorithmError("EC recipient without a named curve");
  const schemeOid = curve === "prime256v1" ? Oid.dhSinglePassStdDHsha256kdf : Oid.dhSinglePassStdDHsha384kdf;
  const scheme = schemes[schemeOid]!;
  // RFC 3394 AES key wrap takes two or more 64-bit blocks; OpenSSL refuses the same.
  if (cek.length < 16 || cek.length % 8 !== 0) {
    throw new UnsupportedAlgorithmError(`AES key wrap cannot carry a ${cek.length * 8}-bit content key (single DES to an EC recipient)`);
  }
  const eph = generateKeyPairSync("ec", { namedCurve: curve });
  const z = diffieHellman({ privateKey: eph.privateKey, publicKey: recipient });
  const kek = deriveKek(z, scheme.hash, scheme.wrapOid, scheme.wrapBits);
  const wrap = createCipheriv(wrapCiphers[scheme.wrapOid]!.node, kek, WRAP_IV);
  return {
    originatorSpki: eph.publicKey.export({ format: "der", type: "spki" }),
    keyEncryptionAlgorithm: algorithmId(schemeOid, algorithmId(scheme.wrapOid)),
    encryptedKey: Buffer.concat([wrap.update(cek), wrap.final()]),
  };
}

/** Unwraps a CEK sent by key agreement to our EC private key. */
export function agreeAndUnwrap(
  privateKey: KeyObject,
  originatorSpki: Uint8Array,
  schemeOid: string,
  wrapOid: string,
  encryptedKey: Uint8Array,
  ukm?: Uint8Array,
): Uint8Array {
  const scheme = schemes[schemeOid];
  const wrap = wrapCiphers[wrapOid];
  if (!scheme || !wrap) throw new UnsupportedAlgorithmError(`unsupported key agreement ${schemeOid} / ${wrapOid}`);
  try {
    const originator = createPublicKey({ key: Buffer.from(originatorSpki), format: "der", type: "spki" });
    const z = diffieHellman({ privateKey, publicKey: originator });
    const kek = deriveKek(z, scheme.hash, wrapOid, wrap.bits, ukm);
    const d = createDecipheriv(wrap.node, kek, WRAP_IV);
    return Buffer.concat([d.update(encryptedKey), d.final()]);
  } catch (err) {
    throw new DecryptionError("key agreement unwrap failed", { cause: err });
  }
}

/** Re-exported for envelope building: the KARI version is 3 (RFC 5652 §6.2.2). */
export const KARI_VERSION = int(3);

/**
 * Password-based encryption of PKCS#12 bags, done with node:crypto:
 *
 * - PBES2 (RFC 8018 §6.2) with PBKDF2 (HMAC-SHA-1/224/256/384/512) and
 *   AES-128/192/256-CBC or DES-EDE3-CBC — what OpenSSL 3 writes by default;
 * - the PKCS#12 PBE schemes (RFC 7292 App. C) with the PKCS#12 key derivation
 *   (RFC 7292 App. B.2): pbeWithSHAAnd3-KeyTripleDES-CBC and 2-key 3DES, and
 *   pbeWithSHAAnd40BitRC2-CBC / 128BitRC2-CBC (RC2 in ./rc2.ts, since RC2 is
 *   only in OpenSSL 3's legacy provider). The RC4 variants are not supported.
 *
 * pkijs' own engine only does PBES2 with AES, and it splits the ciphertext
 * into a BER constructed OCTET STRING; see ./pkcs12.ts for how this plugs in.
 */
import { createCipheriv, createDecipheriv, createHash, pbkdf2Sync, randomBytes } from "node:crypto";
import { algorithmId, contents, expectChildren, expectTag, int, octets, oid, oidValue, parseDer, seq, smallIntValue, Tag, type Tlv } from "./der.js";
import { DecryptionError, UnsupportedAlgorithmError } from "./errors.js";
import { rc2CbcDecrypt } from "./rc2.js";

/** PBKDF2 / PKCS#12 KDF iterations of files we write. */
export const PKCS12_ITERATIONS = 2048;

export const PbeOid = {
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  sha1And128BitRc4: "1.2.840.113549.1.12.1.1",
  sha1And40BitRc4: "1.2.840.113549.1.12.1.2",
  sha1And3KeyTripleDesCbc: "1.2.840.113549.1.12.1.3",
  sha1And2KeyTripleDesCbc: "1.2.840.113549.1.12.1.4",
  sha1And128BitRc2Cbc: "1.2.840.113549.1.12.1.5",
  sha1And40BitRc2Cbc: "1.2.840.113549.1.12.1.6",
} as const;

/** PBKDF2 PRFs: hmacWithSHA* OID → node digest name. */
const prfs: Record<string, string> = {
  "1.2.840.113549.2.7": "sha1",
  "1.2.840.113549.2.8": "sha224",
  "1.2.840.113549.2.9": "sha256",
  "1.2.840.113549.2.10": "sha384",
  "1.2.840.113549.2.11": "sha512",
};

/** PBES2 encryption schemes: OID → node cipher and key length. */
const pbes2Ciphers: Record<string, { node: string; keyLength: number }> = {
  "2.16.840.1.101.3.4.1.2": { node: "aes-128-cbc", keyLength: 16 },
  "2.16.840.1.101.3.4.1.22": { node: "aes-192-cbc", keyLength: 24 },
  "2.16.840.1.101.3.4.1.42": { node: "aes-256-cbc", keyLength: 32 },
  "1.2.840.113549.3.7": { node: "des-ede3-cbc", keyLength: 24 },
};

/** PKCS#12 PBE schemes (RFC 7292 App. C), all keyed with SHA-1. */
const pkcs12Schemes: Record<string, { cipher: "3des" | "2des" | "rc2"; keyLength: number }> = {
  [PbeOid.sha1And3KeyTripleDesCbc]: { cipher: "3des", keyLength: 24 },
  [PbeOid.sha1And2KeyTripleDesCbc]: { cipher: "2des", keyLength: 16 },
  [PbeOid.sha1And128BitRc2Cbc]: { cipher: "rc2", keyLength: 16 },
  [PbeOid.sha1And40BitRc2Cbc]: { cipher: "rc2", keyLength: 5 },
};

/** Refuses iteration counts that would pin a core for minutes (files are operator-supplied, still). */
const MAX_ITERATIONS = 10_000_000;

/** The password as PKCS#12 wants it for its KDF and MAC: BMPString (UTF-16BE) with a two-zero-byte terminator. */
export function bmpPassword(passphrase: string): Uint8Array {
  const out = Buffer.alloc(passphrase.length * 2 + 2);
  for (let i = 0; i < passphrase.length; i++) out.writeUInt16BE(passphrase.charCodeAt(i), i * 2);
  return out;
}

/** The PKCS#12 key derivation (RFC 7292 App. B.2). `id` 1 = key, 2 = IV, 3 = MAC key. */
export function pkcs12Kdf(digest: "sha1" | "sha256" | "sha384" | "sha512", password: Uint8Array, salt: Uint8Array, id: 1 | 2 | 3, iterations: number, n: number): Uint8Array {
  const u = createHash(digest).digest().length;
  const v = digest === "sha384" || digest === "sha512" ? 128 : 64;
  const fill = (src: Uint8Array): Buffer => {
    const out = Buffer.alloc(v * Math.ceil(src.length / v));
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length]!;
    return out;
  };
  const d = Buffer.alloc(v, id);
  const i = Buffer.concat([fill(salt), fill(password)]);
  const out = Buffer.alloc(n);
  for (let done = 0; done < n; done += u) {
    let a: Buffer = createHash(digest).update(d).update(i).digest();
    for (let r = 1; r < iterations; r++) a = createHash(digest).update(a).digest();
    a.copy(out, done, 0, Math.min(u, n - done));
    if (done + u >= n) break;
    const b = fill(a);
    for (let j = 0; j < i.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        carry += i[j + k]! + b[k]!;
        i[j + k] = carry & 0xff;
        carry >>= 8;
      }
    }
  }
  return out;
}

function iterationsOf(t: Tlv): number {
  const n = smallIntValue(t);
  if (n < 1 || n > MAX_ITERATIONS) throw new DecryptionError(`PBE iteration count ${n} out of range`);
  return n;
}

function nodeDecrypt(cipher: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  try {
    const d = createDecipheriv(cipher, key, iv);
    return Buffer.concat([d.update(data), d.final()]);
  } catch (err) {
    throw new DecryptionError("PBE decryption failed (wrong passphrase?)", { cause: err });
  }
}

function pbes2Decrypt(params: Tlv, data: Uint8Array, passphrase: string): Uint8Array {
  const [kdf, scheme] = expectChildren(params, Tag.SEQUENCE, "PBES2-params", 2);
  const [kdfOid, kdfParams] = expectChildren(kdf, Tag.SEQUENCE, "keyDerivationFunc", 2);
  if (oidValue(kdfOid!) !== PbeOid.pbkdf2) throw new UnsupportedAlgorithmError(`PBES2 key derivation ${oidValue(kdfOid!)} is not supported`);
  const [saltTlv, iterTlv, ...rest] = expectChildren(kdfParams, Tag.SEQUENCE, "PBKDF2-params", 2);
  const prfTlv = rest.find((t) => t.tag === Tag.SEQUENCE);
  const prfOid = prfTlv ? oidValue(expectChildren(prfTlv, Tag.SEQUENCE, "prf", 1)[0]!) : "1.2.840.113549.2.7";
  const prf = prfs[prfOid];
  if (!prf) throw new UnsupportedAlgorithmError(`PBKDF2 PRF ${prfOid} is not supported`);
  const [encOid, ivTlv] = expectChildren(scheme, Tag.SEQUENCE, "encryptionScheme", 2);
  const cipher = pbes2Ciphers[oidValue(encOid!)];
  if (!cipher) throw new UnsupportedAlgorithmError(`PBES2 cipher ${oidValue(encOid!)} is not supported`);
  const salt = contents(expectTag(saltTlv, Tag.OCTET_STRING, "PBKDF2 salt"));
  const key = pbkdf2Sync(Buffer.from(passphrase, "utf8"), salt, iterationsOf(iterTlv!), cipher.keyLength, prf);
  return nodeDecrypt(cipher.node, key, contents(expectTag(ivTlv, Tag.OCTET_STRING, "IV")), data);
}

function pkcs12PbeDecrypt(algOid: string, params: Tlv, data: Uint8Array, passphrase: string): Uint8Array {
  const scheme = pkcs12Schemes[algOid];
  if (!scheme) throw new UnsupportedAlgorithmError(`PKCS#12 encryption ${algOid} is not supported`);
  const [saltTlv, iterTlv] = expectChildren(params, Tag.SEQUENCE, "pkcs-12PbeParams", 2);
  const salt = contents(expectTag(saltTlv, Tag.OCTET_STRING, "PBE salt"));
  const iterations = iterationsOf(iterTlv!);
  const password = bmpPassword(passphrase);
  const key = pkcs12Kdf("sha1", password, salt, 1, iterations, scheme.keyLength);
  const iv = pkcs12Kdf("sha1", password, salt, 2, iterations, 8);
  if (scheme.cipher === "3des") return nodeDecrypt("des-ede3-cbc", key, iv, data);
  if (scheme.cipher === "2des") return nodeDecrypt("des-ede-cbc", key, iv, data);
  try {
    return rc2CbcDecrypt(key, scheme.keyLength * 8, iv, data);
  } catch (err) {
    throw new DecryptionError("PBE decryption failed (wrong passphrase?)", { cause: err });
  }
}

/**
 * Decrypts `data` protected with the AlgorithmIdentifier `algorithm` (DER):
 * PBES2 (password as UTF-8) or a PKCS#12 PBE scheme (password as BMPString).
 */
export function pbeDecrypt(algorithm: Uint8Array, data: Uint8Array, passphrase: string): Uint8Array {
  const [algOidTlv, params] = expectChildren(parseDer(algorithm), Tag.SEQUENCE, "AlgorithmIdentifier", 2);
  const algOid = oidValue(algOidTlv!);
  return algOid === PbeOid.pbes2 ? pbes2Decrypt(params!, data, passphrase) : pkcs12PbeDecrypt(algOid, params!, data, passphrase);
}

/** How new PKCS#12 content is protected. */
export type PbeScheme = "aes256" | "3des";

/**
 * Encrypts `data`: "aes256" = PBES2 + PBKDF2-HMAC-SHA256 + AES-256-CBC (OpenSSL 3's
 * default), "3des" = pbeWithSHAAnd3-KeyTripleDES-CBC (what old devices read).
 * Returns the DER AlgorithmIdentifier and the ciphertext.
 */
export function pbeEncrypt(scheme: PbeScheme, data: Uint8Array, passphrase: string, iterations: number): { algorithm: Uint8Array; ciphertext: Uint8Array } {
  const salt = randomBytes(16);
  if (scheme === "3des") {
    const password = bmpPassword(passphrase);
    const key = pkcs12Kdf("sha1", password, salt, 1, iterations, 24);
    const iv = pkcs12Kdf("sha1", password, salt, 2, iterations, 8);
    const c = createCipheriv("des-ede3-cbc", key, iv);
    return {
      algorithm: algorithmId(PbeOid.sha1And3KeyTripleDesCbc, seq(octets(salt), int(iterations))),
      ciphertext: Buffer.concat([c.update(data), c.final()]),
    };
  }
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(passphrase, "utf8"), salt, iterations, 32, "sha256");
  const c = createCipheriv("aes-256-cbc", key, iv);
  const kdf = algorithmId(PbeOid.pbkdf2, seq(octets(salt), int(iterations), algorithmId("1.2.840.113549.2.9", Uint8Array.of(Tag.NULL, 0))));
  return {
    algorithm: seq(oid(PbeOid.pbes2), seq(kdf, algorithmId("2.16.840.1.101.3.4.1.42", octets(iv)))),
    ciphertext: Buffer.concat([c.update(data), c.final()]),
  };
}

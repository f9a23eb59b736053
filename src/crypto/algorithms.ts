/**
 * The digest, content-cipher and signature algorithms SCEP peers use, keyed by
 * our own short names, with their OIDs and node:crypto names.
 */
import { UnsupportedAlgorithmError } from "./errors.js";
import { Oid } from "./oids.js";

export type DigestName = "md5" | "sha1" | "sha256" | "sha384" | "sha512";
export type CipherName = "des" | "des3" | "aes128" | "aes192" | "aes256";
/** How a content-encryption key reaches the recipient. */
export type KeyTransportName = "rsa-pkcs1" | "rsa-oaep";

export const Digests: Record<DigestName, { oid: string; node: string; size: number }> = {
  md5: { oid: Oid.md5, node: "md5", size: 16 },
  sha1: { oid: Oid.sha1, node: "sha1", size: 20 },
  sha256: { oid: Oid.sha256, node: "sha256", size: 32 },
  sha384: { oid: Oid.sha384, node: "sha384", size: 48 },
  sha512: { oid: Oid.sha512, node: "sha512", size: 64 },
};

export const Ciphers: Record<CipherName, { oid: string; keyLength: number; ivLength: number; node: string }> = {
  des: { oid: Oid.desCbc, keyLength: 8, ivLength: 8, node: "des-cbc" },
  des3: { oid: Oid.desEde3Cbc, keyLength: 24, ivLength: 8, node: "des-ede3-cbc" },
  aes128: { oid: Oid.aes128Cbc, keyLength: 16, ivLength: 16, node: "aes-128-cbc" },
  aes192: { oid: Oid.aes192Cbc, keyLength: 24, ivLength: 16, node: "aes-192-cbc" },
  aes256: { oid: Oid.aes256Cbc, keyLength: 32, ivLength: 16, node: "aes-256-cbc" },
};

const digestByOidMap = new Map(Object.entries(Digests).map(([name, d]) => [d.oid, name as DigestName]));
const cipherByOidMap = new Map(Object.entries(Ciphers).map(([name, c]) => [c.oid, name as CipherName]));

export function digestByOid(oid: string): DigestName {
  const name = digestByOidMap.get(oid);
  if (!name) throw new UnsupportedAlgorithmError(`unsupported digest algorithm ${oid}`);
  return name;
}

export function cipherByOid(oid: string): CipherName {
  const name = cipherByOidMap.get(oid);
  if (!name) throw new UnsupportedAlgorithmError(`unsupported content encryption algorithm ${oid}`);
  return name;
}

/** A signature scheme as named by a signatureAlgorithm OID. */
export interface SignatureScheme {
  key: "rsa" | "ec";
  /** The digest the OID fixes; undefined for plain rsaEncryption (the digestAlgorithm decides). */
  digest?: DigestName;
}

const signatureSchemes = new Map<string, SignatureScheme>([
  [Oid.rsaEncryption, { key: "rsa" }],
  [Oid.md5WithRSA, { key: "rsa", digest: "md5" }],
  [Oid.sha1WithRSA, { key: "rsa", digest: "sha1" }],
  [Oid.sha256WithRSA, { key: "rsa", digest: "sha256" }],
  [Oid.sha384WithRSA, { key: "rsa", digest: "sha384" }],
  [Oid.sha512WithRSA, { key: "rsa", digest: "sha512" }],
  [Oid.ecdsaWithSHA1, { key: "ec", digest: "sha1" }],
  [Oid.ecdsaWithSHA256, { key: "ec", digest: "sha256" }],
  [Oid.ecdsaWithSHA384, { key: "ec", digest: "sha384" }],
  [Oid.ecdsaWithSHA512, { key: "ec", digest: "sha512" }],
]);

export function signatureSchemeByOid(oid: string): SignatureScheme {
  const scheme = signatureSchemes.get(oid);
  if (!scheme) throw new UnsupportedAlgorithmError(`unsupported signature algorithm ${oid}`);
  return scheme;
}

/** The signatureAlgorithm OID for a key type and digest (X.509 and CSR signatures). */
export function signatureOid(key: "rsa" | "ec", digest: DigestName): string {
  for (const [oid, s] of signatureSchemes) if (s.key === key && s.digest === digest) return oid;
  throw new UnsupportedAlgorithmError(`no ${key} signature algorithm with ${digest}`);
}

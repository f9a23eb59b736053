/**
 * The real-client captures in test/vectors (see test/vectors/README.md):
 * listing, file access and the meta.json fields the codec tests assert.
 * Values differ per capture, so tests read them from here, never hard-code.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  implicitRejectionSecret, loadPrivateKey, parseCertificate, pemCertificates, type Certificate, type DecryptionKey, type NameAttribute,
} from "../../src/crypto/index.js";

export const VECTORS_DIR = fileURLToPath(new URL("../vectors/", import.meta.url));

/** The meta.json fields used by the tests (all strings exactly as on the wire). */
export interface VectorMeta {
  vector: string;
  client: string;
  messageType: string;
  transactionID: string;
  senderNonceHex: string;
  digest: string;
  digestOid: string;
  keyEncryptionOid: string;
  contentEncryptionOid: string;
  requestDecryptNeedsLegacyProvider: boolean;
  signerKeyFile: string;
  csrSubject?: string;
  challengePassword?: string;
  issuerAndSubjectIssuer?: string;
  issuerAndSubjectSubject?: string;
  responseFile: string | null;
  responseMessageType?: string;
  responsePkiStatus?: string;
  responseFailInfo?: string | null;
  responseTransactionID?: string;
  responseSenderNonceHex?: string;
  responseRecipientNonceHex?: string;
}

export interface Vector {
  name: string;
  dir: string;
  meta: VectorMeta;
  file(name: string): Buffer;
  has(name: string): boolean;
  /** The first certificate of a PEM file. */
  cert(name: string): Certificate;
  /** A clear PKCS#8 PEM key file as a DecryptionKey together with `certFile`. */
  decryptionKey(certFile: string, keyFile: string): DecryptionKey;
}

function vector(name: string): Vector {
  const dir = join(VECTORS_DIR, name);
  const file = (f: string): Buffer => readFileSync(join(dir, f));
  const cert = (f: string): Certificate => {
    const der = pemCertificates(file(f).toString("latin1"))[0];
    if (!der) throw new Error(`${name}/${f}: no certificate`);
    return parseCertificate(der);
  };
  return {
    name,
    dir,
    meta: JSON.parse(file("meta.json").toString("utf8")) as VectorMeta,
    file,
    has: (f) => existsSync(join(dir, f)),
    cert,
    decryptionKey(certFile, keyFile) {
      const key = loadPrivateKey(file(keyFile).toString("utf8"));
      return { cert: cert(certFile), key, rejectionSecret: implicitRejectionSecret(key) };
    },
  };
}

/** Every vector directory that holds a request.der, sorted by name. */
export function requestVectors(): Vector[] {
  return readdirSync(VECTORS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(VECTORS_DIR, d.name, "request.der")))
    .map((d) => vector(d.name))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Content-encryption OIDs (RFC 8018, NIST CSOR) to scepgate's cipher names. */
export const cipherNameByOid: Readonly<Record<string, string>> = {
  "1.3.14.3.2.7": "des",
  "1.2.840.113549.3.7": "des3",
  "2.16.840.1.101.3.4.1.2": "aes128",
  "2.16.840.1.101.3.4.1.22": "aes192",
  "2.16.840.1.101.3.4.1.42": "aes256",
};

/** Key-encryption OIDs to scepgate's key-transport names. */
export const keyTransportByOid: Readonly<Record<string, string>> = {
  "1.2.840.113549.1.1.1": "rsa-pkcs1",
  "1.2.840.113549.1.1.7": "rsa-oaep",
};

function escape2253(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, "\\$1").replace(/^([ #])/, "\\$1").replace(/ $/, "\\ ");
}

/** A Name as `openssl -nameopt RFC2253` prints it: last RDN first, comma-separated, no spaces. */
export function rfc2253(attrs: readonly NameAttribute[]): string {
  return [...attrs].reverse().map((a) => `${a.type}=${escape2253(a.value)}`).join(",");
}

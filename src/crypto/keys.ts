/**
 * Private keys: loading (PEM PKCS#8/PKCS#1/SEC1, optionally encrypted),
 * generation, description, and the pairing check of a key with a certificate.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import type { Certificate } from "./certificate.js";
import { KeyError } from "./errors.js";

const generateKeyPairAsync = promisify(generateKeyPair);

/** What a public key is, for policy and display. */
export interface KeyDescription {
  type: "rsa" | "ec" | "other";
  /** Modulus bits for RSA, curve bits for EC. */
  bits: number;
  /** NIST curve name for EC keys ("P-256", ...). */
  curve?: string;
}

const curveNames: Record<string, { name: string; bits: number }> = {
  prime256v1: { name: "P-256", bits: 256 },
  secp384r1: { name: "P-384", bits: 384 },
  secp521r1: { name: "P-521", bits: 521 },
};

export function describeKey(key: KeyObject): KeyDescription {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "rsa") return { type: "rsa", bits: d.modulusLength ?? 0 };
  if (key.asymmetricKeyType === "ec") {
    const c = curveNames[d.namedCurve ?? ""];
    return { type: "ec", bits: c?.bits ?? 0, curve: c?.name ?? d.namedCurve ?? "unknown" };
  }
  return { type: "other", bits: 0 };
}

/** "RSA 2048" / "EC P-256" */
export function keyLabel(d: KeyDescription): string {
  return d.type === "rsa" ? `RSA ${d.bits}` : d.type === "ec" ? `EC ${d.curve}` : "unsupported key";
}

/** Loads a PEM or DER private key; `passphrase` for encrypted PEM/PKCS#8. */
export function loadPrivateKey(data: string | Uint8Array, passphrase?: string): KeyObject {
  try {
    if (typeof data === "string" || isPem(data)) {
      return createPrivateKey({ key: Buffer.from(data).toString("utf8"), format: "pem", passphrase: passphrase ?? "" });
    }
    return createPrivateKey({ key: Buffer.from(data), format: "der", type: "pkcs8", passphrase });
  } catch (err) {
    const hint = /bad decrypt|passphrase/i.test(String(err)) ? " (wrong or missing passphrase?)" : "";
    throw new KeyError(`cannot load private key${hint}`, { cause: err });
  }
}

function isPem(data: Uint8Array): boolean {
  return Buffer.from(data.subarray(0, 64)).toString("latin1").includes("-----BEGIN");
}

/** Throws KeyError unless `key` is the private half of the certificate's public key. */
export function assertKeyMatchesCertificate(key: KeyObject, cert: Certificate, what: string): void {
  const fromKey = (key.type === "public" ? key : createPublicKey(key)).export({ format: "der", type: "spki" });
  if (Buffer.compare(fromKey, cert.spki) !== 0) {
    throw new KeyError(`${what}: the private key does not match the certificate (${cert.subjectText()})`);
  }
}

export type KeySpec = "rsa-2048" | "rsa-3072" | "rsa-4096" | "ec-p256" | "ec-p384";

/** Generates a key pair (asynchronously: RSA generation runs on libuv's thread pool). */
export async function generateKey(spec: KeySpec): Promise<KeyObject> {
  if (spec.startsWith("rsa-")) {
    const { privateKey } = await generateKeyPairAsync("rsa", { modulusLength: Number(spec.slice(4)), publicExponent: 0x10001 });
    return privateKey;
  }
  const namedCurve = spec === "ec-p256" ? "prime256v1" : "secp384r1";
  const { privateKey } = await generateKeyPairAsync("ec", { namedCurve });
  return privateKey;
}

/** PKCS#8 PEM, encrypted with AES-256-CBC when a passphrase is given. */
export function privateKeyPem(key: KeyObject, passphrase?: string): string {
  const opts = passphrase
    ? { format: "pem" as const, type: "pkcs8" as const, cipher: "aes-256-cbc", passphrase }
    : { format: "pem" as const, type: "pkcs8" as const };
  return key.export(opts).toString();
}

/**
 * Secret for implicit rejection of bad PKCS#1 v1.5 padding, derived from the
 * private key so that it is stable per key (draft-irtf-cfrg-rsa-guidance §7.2).
 */
export function implicitRejectionSecret(key: KeyObject): Uint8Array {
  const der = key.export({ format: "der", type: "pkcs8" });
  return createHash("sha256").update("scepgate implicit rejection").update(der).digest();
}

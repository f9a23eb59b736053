/**
 * The RA identity of a profile (ra/identity.ts), built at start:
 *
 * - from the profile's `ra` files: PEM certificate (+ chain) and key, or a
 *   PKCS#12 file, or a key and certificate on a PKCS#11 token (`ra.pkcs11`),
 *   and optionally a separate `ra.encryption` identity; checked
 *   the way smallstep checks its SCEP options at boot (the key matches its
 *   certificate, the decrypter is RSA, the key usages fit);
 * - or, with no `ra` configured, the zero-config development identity: a key
 *   made in the data directory and a certificate from the embedded CA.
 */
import type { KeyObject } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { RaConfig } from "../config/index.js";
import {
  assertKeyMatchesCertificate, buildName, describeKey, implicitRejectionSecret, isIssuedBy, KeyError, keyLabel, loadPkcs12, loadPrivateKey,
  parseCertificate, parseCertificateAs, pemCertificates, spkiOf, toPem, type Certificate, type DecryptionKey,
} from "../crypto/index.js";
import { PUBLIC_MODE, readIfExists, writeFileAtomic } from "../fsutil/secret-file.js";
import { HsmError, openTokenKey, readTokenCertificate } from "../hsm/index.js";
import type { RaIdentity } from "../ra/identity.js";
import { loadOrCreateKey, type EmbeddedCa } from "../upstream/embedded-ca.js";

/** An RA identity with what else its files held and what is worth telling the operator. */
export interface LoadedRaIdentity {
  identity: RaIdentity;
  /** The certificates of the files that are not RA certificates (intermediate and root CAs), deduplicated. */
  chain: Uint8Array[];
  /** Problems that do not stop the start (printed by the caller). */
  warnings: string[];
}

/** One identity's files (`ra` or `ra.encryption`), as the config gives them (paths absolute). */
type IdentityFiles = Pick<RaConfig, "cert" | "key" | "keyPassphrase" | "p12" | "p12Passphrase" | "pkcs11">;

/** A key and certificate on a PKCS#11 token (`ra.pkcs11`). */
export type Pkcs11Config = NonNullable<RaConfig["pkcs11"]>;

interface LoadedPair {
  key: KeyObject;
  cert: Certificate;
  /** The other certificates of the files. */
  others: Uint8Array[];
  /** The file(s) it came from, for messages. */
  source: string;
  /** For a key on a token (whose private half cannot be exported to derive it). */
  rejectionSecret?: Uint8Array;
  /** Problems of this pair that do not stop the start. */
  warnings?: string[];
  /** False for a token key without CKA_DECRYPT. */
  decrypts?: boolean;
}

const DAY = 86_400_000;
/** The development RA certificate is renewed when it has fewer days left than this. */
export const DEV_RA_RENEW_DAYS = 30;

async function readOrFail(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new KeyError(`${what}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
}

function certificatesOf(data: Buffer, file: string, what: string): Certificate[] {
  const text = data.toString("latin1");
  const ders = text.includes("-----BEGIN") ? pemCertificates(text) : [new Uint8Array(data)];
  if (ders.length === 0) throw new KeyError(`${what}: no PEM CERTIFICATE in ${file}`);
  return ders.map((der) => parseCertificateAs(der, `${what}: ${file}`));
}

async function loadPem(files: IdentityFiles, certFile: string, keyFile: string, what: string): Promise<LoadedPair> {
  const certs = certificatesOf(await readOrFail(certFile, `${what}.cert`), certFile, `${what}.cert`);
  const keyData = await readOrFail(keyFile, `${what}.key`);
  let key: KeyObject;
  try {
    key = loadPrivateKey(keyData, files.keyPassphrase);
  } catch (err) {
    throw new KeyError(`${what}.key: ${keyFile}: ${(err as Error).message}`, { cause: err });
  }
  const spki = spkiOf(key);
  const cert = certs.find((c) => Buffer.compare(c.spki, spki) === 0);
  if (!cert) assertKeyMatchesCertificate(key, certs[0]!, `${what}: ${keyFile} (key) vs ${certFile} (certificate${certs.length > 1 ? "s" : ""})`);
  return { key, cert: cert!, others: certs.filter((c) => c !== cert).map((c) => c.der), source: certFile };
}

async function loadP12(files: IdentityFiles, p12File: string, what: string): Promise<LoadedPair> {
  const data = await readOrFail(p12File, `${what}.p12`);
  try {
    const p12 = await loadPkcs12(data, files.p12Passphrase ?? "");
    const cert = parseCertificate(p12.cert);
    assertKeyMatchesCertificate(p12.key, cert, `${what}.p12: ${p12File}`);
    return { key: p12.key, cert, others: p12.chain, source: p12File };
  } catch (err) {
    throw new KeyError(`${what}.p12: ${p12File}: ${(err as Error).message}`, { cause: err });
  }
}

/** The key on the token and its certificate (labelled `certLabel`, else like the key); the key is opened once per process. */
export function loadTokenPair(cfg: Pkcs11Config, what: string): LoadedPair {
  const where = `${what}.pkcs11 (key "${cfg.keyLabel}")`;
  try {
    const key = openTokenKey(cfg);
    const label = cfg.certLabel ?? cfg.keyLabel;
    const der = readTokenCertificate(key.token, label);
    if (!der) throw new HsmError(`${key.token.name}: no certificate labelled "${label}": run scepgate ra init --pkcs11`);
    const cert = parseCertificateAs(der, `${where}: certificate "${label}"`);
    if (Buffer.compare(key.publicKey.export({ format: "der", type: "spki" }), cert.spki) !== 0) {
      throw new HsmError(`the key does not match the certificate "${label}" (${cert.subjectText()})`);
    }
    const warnings = key.exportable ? [`${where}: the token lets this private key be exported (CKA_EXTRACTABLE or not CKA_SENSITIVE)`] : [];
    return { key: key.publicKey, cert, others: [], source: key.source, rejectionSecret: key.rejectionSecret, warnings, decrypts: key.decrypts };
  } catch (err) {
    if (err instanceof KeyError) throw err;
    throw new KeyError(`${where}: ${(err as Error).message}`, { cause: err });
  }
}

async function loadPair(files: IdentityFiles, what: string): Promise<LoadedPair> {
  if (files.pkcs11 !== undefined) return loadTokenPair(files.pkcs11, what);
  if (files.p12 !== undefined) return loadP12(files, files.p12, what);
  if (files.cert === undefined || files.key === undefined) throw new KeyError(`${what}: expected cert+key, p12 or pkcs11`);
  return loadPem(files, files.cert, files.key, what);
}

function describe(pair: LoadedPair): string {
  return `${pair.source} (${pair.cert.subjectText()})`;
}

/** Checks the pairs' roles and builds the RaIdentity the use-cases take. */
function assemble(signer: LoadedPair, encryption: LoadedPair | undefined, what: string): LoadedRaIdentity {
  const warnings: string[] = [...(signer.warnings ?? []), ...(encryption?.warnings ?? [])];
  const signerKey = describeKey(signer.key);
  if (signerKey.type === "other") throw new KeyError(`${what}: ${signer.source}: the RA key must be RSA or EC to sign CertReps`);
  if (signer.cert.keyUsage && !signer.cert.keyUsage.digitalSignature) {
    throw new KeyError(`${what}: the RA certificate ${describe(signer)} lacks keyUsage digitalSignature, needed to sign CertReps`);
  }
  const separate = encryption && Buffer.compare(encryption.cert.der, signer.cert.der) !== 0 ? encryption : undefined;
  if (separate) {
    const encKey = describeKey(separate.key);
    if (encKey.type !== "rsa") {
      throw new KeyError(`${what}.encryption: ${separate.source}: the decryption key must be RSA (clients encrypt to it with RSA key transport), not ${keyLabel(encKey)}`);
    }
    if (separate.cert.keyUsage && !separate.cert.keyUsage.keyEncipherment) {
      throw new KeyError(`${what}.encryption: the certificate ${describe(separate)} lacks keyUsage keyEncipherment, needed to receive requests`);
    }
  } else if (signerKey.type !== "rsa") {
    throw new KeyError(
      `${what}: ${signer.source}: the decryption key must be RSA, not ${keyLabel(signerKey)}; use an RSA RA key or add an RSA ra.encryption identity`,
    );
  } else if (signer.cert.keyUsage && !signer.cert.keyUsage.keyEncipherment) {
    warnings.push(
      `${what}: the RA certificate ${describe(signer)} has no keyUsage keyEncipherment: ` +
        "clients that pick the recipient by keyUsage (iOS, Windows) need keyEncipherment; add an ra.encryption identity or reissue it",
    );
  }
  const decrypters = [...(separate ? [separate] : []), ...(signerKey.type === "rsa" && signer.decrypts !== false ? [signer] : [])];
  const unable = separate?.decrypts === false ? separate : !separate && signer.decrypts === false ? signer : undefined;
  if (unable) throw new KeyError(`${unable === separate ? `${what}.encryption` : what}: ${unable.source}: the token key may not decrypt (CKA_DECRYPT false), and the RA must decrypt requests`);
  const decryption: DecryptionKey[] = decrypters.map((p) => ({ cert: p.cert, key: p.key, rejectionSecret: p.rejectionSecret ?? implicitRejectionSecret(p.key) }));
  const raCerts = separate ? [signer.cert, separate.cert] : [signer.cert];
  const seen = new Set(raCerts.map((c) => Buffer.from(c.der).toString("base64")));
  const chain: Uint8Array[] = [];
  for (const der of [...signer.others, ...(encryption?.others ?? [])]) {
    const id = Buffer.from(der).toString("base64");
    if (!seen.has(id)) chain.push(der);
    seen.add(id);
  }
  return { identity: { signer: { cert: signer.cert, key: signer.key }, decryption, certificates: raCerts }, chain, warnings };
}

/**
 * Loads and checks a profile's configured RA identity (`ra`, and
 * `ra.encryption` when given). Throws KeyError naming the profile and the
 * file on anything that would make the profile unusable.
 */
export async function loadRaIdentity(cfg: RaConfig, profile = "default"): Promise<LoadedRaIdentity> {
  const what = `profile "${profile}": ra`;
  const signer = await loadPair(cfg, what);
  const encryption = cfg.encryption ? await loadPair(cfg.encryption, `${what}.encryption`) : undefined;
  return assemble(signer, encryption, what);
}

/** Development RA subject for a profile. */
export function devRaSubject(profile: string): string {
  return `CN=scepgate RA (${profile}), O=scepgate`;
}

/** The certificate in `file` when it is still good: this key, issued by this CA, not about to expire. */
async function usableDevCert(file: string, key: KeyObject, ca: EmbeddedCa): Promise<Certificate | undefined> {
  const pem = await readIfExists(file);
  const der = pem && pemCertificates(pem.toString("latin1"))[0];
  if (!der) return undefined;
  let cert: Certificate;
  try {
    cert = parseCertificate(der);
  } catch {
    return undefined;
  }
  const fresh = cert.notAfter.getTime() - ca.clock.now().getTime() > DEV_RA_RENEW_DAYS * DAY;
  return fresh && Buffer.compare(cert.spki, spkiOf(key)) === 0 && isIssuedBy(cert, ca.certificate) ? cert : undefined;
}

/**
 * The zero-config development RA identity of `profile`, kept in `dir`
 * (`ra.key`, mode 0600, and `ra.crt`): made on first use and issued by the
 * embedded CA; the certificate is reissued when it is not from the current
 * CA or expires within 30 days. Processes racing on an empty `dir` end up
 * with one key. `dir` must be the profile's own directory.
 */
export async function bootstrapDevRaIdentity(dir: string, ca: EmbeddedCa, profile: string): Promise<LoadedRaIdentity> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyFile = path.join(dir, "ra.key");
  const certFile = path.join(dir, "ra.crt");
  const key = await loadOrCreateKey(keyFile);
  let cert = await usableDevCert(certFile, key, ca);
  if (!cert) {
    const der = ca.issueRaCertificate(spkiOf(key), buildName(devRaSubject(profile)));
    const absent = (await readIfExists(certFile)) === undefined;
    // A new file is created exclusively (a racing process's certificate wins); a stale one is replaced.
    const written = await writeFileAtomic(certFile, toPem(der), { mode: PUBLIC_MODE, exclusive: absent });
    cert = (!written && (await usableDevCert(certFile, key, ca))) || parseCertificate(der);
  }
  return assemble({ key, cert, others: [], source: certFile }, undefined, `profile "${profile}": development ra`);
}

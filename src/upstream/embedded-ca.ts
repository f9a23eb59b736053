/**
 * The embedded development CA behind the UpstreamCa port: with no `upstream`
 * configured, requests are issued in-process (`inline`), so `scepgate serve`
 * works out of the box. Not for production: one RSA key in a file, no CRL,
 * no revocation, everything the CSR asks for in its subject and SANs.
 *
 * Files in its directory: `ca.key` (PKCS#8 PEM, mode 0600) and `ca.crt` (PEM).
 * The first open makes them; processes that race on an empty directory each
 * try an exclusive create and the losers load the winner's files, so all end
 * up with one CA.
 */
import { randomBytes, type KeyObject } from "node:crypto";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import {
  authorityKeyIdentifier, basicConstraints, buildName, encodeKeyUsage, ExtKeyUsage, extKeyUsage, generateKey, issueCertificate, issueCertificateWith, KeyError,
  loadPrivateKey, Oid, parseCertificate, pemCertificates, privateKeyPem, spkiOf, subjectKeyIdentifier, toPem, type Certificate, type Csr,
  type ExtensionSpec, type IssueOptions, type PrivateKeyOps, inThreadKeyOps,
  buildCrl,
} from "../crypto/index.js";
import { createSecretFile, PUBLIC_MODE, readIfExists, writeFileAtomic } from "../fsutil/secret-file.js";
import { FailInfo } from "../protocol/index.js";
import type { CertificateRef, Clock, EnrollRequest, UpstreamCa, UpstreamQueryResult, UpstreamResult } from "../ra/ports.js";

export const CA_KEY_FILE = "ca.key";
export const CA_CERT_FILE = "ca.crt";
export const CA_SUBJECT = "CN=scepgate development CA, O=scepgate";

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Validity of RA certificates the CA issues for the development bootstrap. */
export const RA_CERT_DAYS = 730;

export interface EmbeddedCaOptions {
  clock: Clock;
  /** Validity of issued end-entity certificates (a profile's `issuance.validityDays`). */
  validityDays: number;
  /** Where the CA's signatures are computed (worker threads on a server); default: the calling thread. */
  keyOps?: PrivateKeyOps;
}

// Extension values that never change, encoded once.
const KU_RSA = encodeKeyUsage({ digitalSignature: true, keyEncipherment: true });
const KU_EC = encodeKeyUsage({ digitalSignature: true, keyAgreement: true });
const KU_CA = encodeKeyUsage({ keyCertSign: true, cRLSign: true, digitalSignature: true });
const EKU_TLS = extKeyUsage([ExtKeyUsage.clientAuth, ExtKeyUsage.serverAuth]);
const BC_EE = basicConstraints(false);

/** A random positive 16-octet serial (top bit clear, second bit set so it keeps all 16 octets). */
function newSerial(): Uint8Array {
  const s = randomBytes(16);
  s[0] = (s[0]! & 0x3f) | 0x40;
  return s;
}

export class EmbeddedCa implements UpstreamCa {
  readonly inline = true;
  /** DER AuthorityKeyIdentifier value naming this CA. */
  private readonly aki: Uint8Array;
  private chain: Uint8Array[] | undefined;

  private constructor(
    /** The CA certificate. */
    readonly certificate: Certificate,
    private readonly key: KeyObject,
    readonly clock: Clock,
    private readonly validityDays: number,
    private readonly keyOps: PrivateKeyOps,
  ) {
    this.aki = authorityKeyIdentifier(certificate.spki);
  }

  /** Loads the CA from `dir`, making its key and certificate on first use. */
  static async open(dir: string, opts: EmbeddedCaOptions): Promise<EmbeddedCa> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const keyFile = path.join(dir, CA_KEY_FILE);
    const key = await loadOrCreateKey(keyFile);
    const cert = await loadOrCreateCert(path.join(dir, CA_CERT_FILE), keyFile, key, opts.clock);
    return new EmbeddedCa(cert, key, opts.clock, opts.validityDays, opts.keyOps ?? inThreadKeyOps);
  }

  /** The same CA issuing with another validity (per profile). */
  withValidity(validityDays: number): EmbeddedCa {
    return validityDays === this.validityDays ? this : new EmbeddedCa(this.certificate, this.key, this.clock, validityDays, this.keyOps);
  }

  /** The same array every time, so callers may cache what they derive from it. */
  async caChain(): Promise<Uint8Array[]> {
    return (this.chain ??= [this.certificate.der]);
  }

  async enroll(req: EnrollRequest): Promise<UpstreamResult> {
    return { status: "issued", certificate: await this.issueFromCsr(req.csr), chain: [this.certificate.der] };
  }

  /** Inline CAs are never polled: enroll() always answers at once. */
  async poll(_req: EnrollRequest): Promise<UpstreamResult> {
    throw new Error("embedded CA never answers PENDING");
  }

  /** The development CA keeps no record of what it issued (the RA's store does). */
  async getCert(_ref: CertificateRef): Promise<UpstreamQueryResult> {
    return { status: "rejected", failInfo: FailInfo.badCertId, reason: "the development CA keeps no certificate store" };
  }

  /** An empty CRL, valid for a day: the development CA revokes nothing. */
  async getCrl(ref: CertificateRef): Promise<UpstreamQueryResult> {
    if (Buffer.compare(ref.issuer, this.certificate.subject) !== 0) {
      return { status: "rejected", failInfo: FailInfo.badCertId, reason: "not issued by this CA" };
    }
    const now = this.clock.now();
    const crl = buildCrl({ issuerCert: this.certificate, issuerKey: this.key, thisUpdate: now, nextUpdate: new Date(now.getTime() + 86_400_000), number: Math.floor(now.getTime() / 1000) });
    return { status: "ok", certificates: [], crls: [crl] };
  }

  async getNextCaCert(): Promise<Uint8Array[] | undefined> {
    return undefined;
  }

  /**
   * Issues an end-entity certificate: subject and key from the CSR,
   * subjectAltName copied from its extensionRequest, TLS client+server use.
   */
  async issueFromCsr(csr: Csr): Promise<Uint8Array> {
    const san = csr.extensions.get(Oid.subjectAltName);
    const keyUsage = csr.key().type === "ec" ? KU_EC : KU_RSA;
    const extensions: ExtensionSpec[] = [
      { oid: Oid.basicConstraints, critical: true, value: BC_EE },
      { oid: Oid.keyUsage, critical: true, value: keyUsage },
      { oid: Oid.extKeyUsage, value: EKU_TLS },
      { oid: Oid.subjectKeyIdentifier, value: subjectKeyIdentifier(csr.spki) },
      { oid: Oid.authorityKeyIdentifier, value: this.aki },
    ];
    // RFC 5280 §4.2.1.6: with an empty subject the subjectAltName must be critical.
    if (san) extensions.push({ oid: Oid.subjectAltName, critical: san.critical || csr.subjectAttributes.length === 0, value: san.value });
    return issueCertificateWith(this.certificateOptions(csr.subject, csr.spki, this.validityDays, extensions), this.keyOps);
  }

  /** Issues the RA certificate of the development bootstrap: digitalSignature + keyEncipherment, 2 years. */
  issueRaCertificate(spki: Uint8Array, subject: Uint8Array): Uint8Array {
    return this.issue(subject, spki, RA_CERT_DAYS, [
      { oid: Oid.basicConstraints, critical: true, value: BC_EE },
      { oid: Oid.keyUsage, critical: true, value: KU_RSA },
      { oid: Oid.subjectKeyIdentifier, value: subjectKeyIdentifier(spki) },
      { oid: Oid.authorityKeyIdentifier, value: this.aki },
    ]);
  }

  private issue(subject: Uint8Array, spki: Uint8Array, days: number, extensions: ExtensionSpec[]): Uint8Array {
    return issueCertificate(this.certificateOptions(subject, spki, days, extensions));
  }

  private certificateOptions(subject: Uint8Array, spki: Uint8Array, days: number, extensions: ExtensionSpec[]): IssueOptions {
    const now = this.clock.now().getTime();
    const notAfter = Math.min(now + days * DAY, this.certificate.notAfter.getTime());
    return {
      subject,
      spki,
      serial: newSerial(),
      notBefore: new Date(now - 5 * MINUTE),
      notAfter: new Date(notAfter),
      issuerCert: this.certificate,
      issuerKey: this.key,
      extensions,
    };
  }
}

/** Loads the PEM key at `file`, first generating and exclusively creating it when absent. */
export async function loadOrCreateKey(file: string): Promise<KeyObject> {
  let pem = await readIfExists(file);
  if (!pem) {
    // Whoever links first wins; everyone then loads what is on disk.
    await createSecretFile(file, privateKeyPem(await generateKey("rsa-2048")));
    pem = await readIfExists(file);
    if (!pem) throw new KeyError(`${file}: vanished right after it was created`);
  }
  try {
    return loadPrivateKey(pem);
  } catch (err) {
    throw new KeyError(`${file}: cannot load the private key (${(err as Error).message})`, { cause: err });
  }
}

function selfSigned(key: KeyObject, clock: Clock): Uint8Array {
  const now = clock.now();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + 10);
  const spki = spkiOf(key);
  return issueCertificate({
    subject: buildName(CA_SUBJECT),
    spki,
    serial: newSerial(),
    notBefore: new Date(now.getTime() - 5 * MINUTE),
    notAfter,
    issuerKey: key,
    extensions: [
      { oid: Oid.basicConstraints, critical: true, value: basicConstraints(true) },
      { oid: Oid.keyUsage, critical: true, value: KU_CA },
      { oid: Oid.subjectKeyIdentifier, value: subjectKeyIdentifier(spki) },
    ],
  });
}

async function loadOrCreateCert(file: string, keyFile: string, key: KeyObject, clock: Clock): Promise<Certificate> {
  let pem = await readIfExists(file);
  if (!pem) {
    // Any certificate for the key will do; racing writers keep the first one linked.
    await writeFileAtomic(file, toPem(selfSigned(key, clock)), { mode: PUBLIC_MODE, exclusive: true });
    pem = await readIfExists(file);
    if (!pem) throw new KeyError(`${file}: vanished right after it was created`);
  }
  const [der] = pemCertificates(pem.toString("latin1"));
  if (!der) throw new KeyError(`${file}: no PEM certificate in it`);
  const cert = parseCertificate(der);
  if (Buffer.compare(cert.spki, spkiOf(key)) !== 0) {
    throw new KeyError(`${file} does not match ${keyFile}; remove both to make a new development CA`);
  }
  return cert;
}

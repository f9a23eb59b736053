/**
 * Enrolls the RA's own certificate from the upstream CA by SCEP, as a device
 * would (`scepgate ra init`, and the first start of a profile that has an
 * upstream but no `ra`):
 *
 * 1. the RA key: `keyFile` when it exists, else a new RSA-2048 key written
 *    there atomically with mode 0600;
 * 2. a CSR for `subject` with the upstream challenge and a keyUsage request
 *    (digitalSignature: the RA signs CertReps; keyEncipherment: devices
 *    encrypt their requests to it), properly signed: it is our own key;
 * 3. a transient self-signed certificate for the key as the request signer
 *    (as micromdm scepclient does; RFC 8894 §2.3), which the CertRep is
 *    encrypted to;
 * 4. PKCSReq through the same exchange as the RA's forwarding
 *    (scep-exchange.ts); while PENDING, CertPoll every `pollIntervalMs`,
 *    up to `maxWaitMs`;
 * 5. `certFile`: the certificate, then the CA chain (issuing CA first), PEM.
 *
 * The transactionID is the SHA-256 of the public key (RFC 8894 §3.2.1.1), so
 * running it again with the same key continues the same transaction at a CA
 * that remembers it (e.g. after a manual approval there).
 */
import { createHash, randomBytes, type KeyObject } from "node:crypto";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  basicConstraints, buildCsr, buildName, encodeKeyUsage, implicitRejectionSecret, issueCertificate, KeyError, Oid, parseCertificate, parseCsr,
  spkiOf, subjectKeyIdentifier, toPem, type Certificate, type Csr,
} from "../crypto/index.js";
import { PUBLIC_MODE, writeFileAtomic } from "../fsutil/secret-file.js";
import { encodeIssuerAndSubject, MessageType, type FailInfo } from "../protocol/index.js";
import { RaError } from "../ra/errors.js";
import type { Clock, Logger, UpstreamResult } from "../ra/ports.js";
import { enrollmentResult } from "./cert-rep-results.js";
import { loadOrCreateKey } from "./embedded-ca.js";
import { scepExchange, type ExchangeContext, type ExchangeParty } from "./scep-exchange.js";
import { UpstreamDirectory } from "./upstream-directory.js";
import { UpstreamHttp, type UpstreamTlsPem } from "./upstream-http.js";

export interface RaEnrollOptions {
  url: string;
  /** SHA-256 of the upstream CA certificate, lower-case hex without prefix. */
  caFingerprint?: string;
  /** The upstream's challenge password, put into the CSR. */
  challenge?: string;
  /** The RA certificate's subject DN, e.g. "CN=scepgate RA, O=example". */
  subject: string;
  keyFile: string;
  certFile: string;
  /** A key held elsewhere (a PKCS#11 token: its registered public KeyObject) instead of keyFile. */
  key?: { publicKey: KeyObject; rejectionSecret: Uint8Array };
  /** Stores the issued certificate and chain instead of writing certFile. */
  store?: (certificate: Uint8Array, chain: Uint8Array[]) => Promise<void>;
  timeoutMs: number;
  /** TLS towards an https upstream (private CA, client certificate). */
  tls?: UpstreamTlsPem;
  pollIntervalMs: number;
  maxWaitMs: number;
  logger: Logger;
  clock: Clock;
}

/** The CA refused the RA's request, or left it pending longer than allowed. */
export class RaEnrollmentError extends RaError {
  constructor(
    message: string,
    readonly outcome: "rejected" | "pending",
    readonly failInfo?: FailInfo,
  ) {
    super(message);
  }
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const RA_KEY_USAGE = encodeKeyUsage({ digitalSignature: true, keyEncipherment: true });

/** Makes (or reuses) the RA key and enrolls its certificate; throws UpstreamError, RaEnrollmentError or KeyError. */
export async function enrollRaIdentity(o: RaEnrollOptions): Promise<{ certPem: string; warnings: string[] }> {
  if (!o.key) await mkdir(path.dirname(o.keyFile), { recursive: true, mode: 0o700 });
  if (!o.store) await mkdir(path.dirname(o.certFile), { recursive: true });
  const key = o.key?.publicKey ?? (await loadOrCreateKey(o.keyFile));
  if (key.asymmetricKeyType !== "rsa") throw new KeyError(`${o.keyFile}: the RA key must be RSA (clients encrypt their requests to it), not ${key.asymmetricKeyType}`);

  const http = new UpstreamHttp(o.url, o.timeoutMs, o.tls);
  const directory = new UpstreamDirectory({ http, caFingerprint: o.caFingerprint, capsRefreshMs: o.maxWaitMs + o.timeoutMs, clock: o.clock, logger: o.logger });
  const ctx: ExchangeContext = { http, info: await directory.get(), clock: o.clock, logger: o.logger };
  const subject = buildName(o.subject);
  const csr = parseCsr(buildCsr({ subject, key, challengePassword: o.challenge, extensions: [{ oid: Oid.keyUsage, critical: true, value: RA_KEY_USAGE }] }));
  const party = transientSigner(key, o.key?.rejectionSecret ?? implicitRejectionSecret(key), subject, o.clock, o.maxWaitMs);
  const transactionId = createHash("sha256").update(csr.spki).digest("hex");

  o.logger.info({ upstream: o.url, subject: o.subject, transactionId }, "requesting the RA certificate from the upstream CA");
  let result = enrollmentResult(await scepExchange(ctx, party, { messageType: MessageType.PKCSReq, transactionId, messageData: csr.der }), csr.spki, ctx.info, "PKCSReq");
  for (let polls = 0; result.status === "pending"; polls++) {
    if ((polls + 1) * o.pollIntervalMs > o.maxWaitMs) {
      throw new RaEnrollmentError(`the upstream CA left the RA certificate request pending for ${Math.round(o.maxWaitMs / 1000)} s (transactionID ${transactionId}); run again once it is approved`, "pending");
    }
    o.logger.info({ upstream: o.url, transactionId, polls }, "RA certificate request pending at the upstream CA; polling");
    await sleep(o.pollIntervalMs);
    ctx.info = await directory.get();
    result = await poll(ctx, party, transactionId, csr);
  }
  if (result.status === "rejected") {
    throw new RaEnrollmentError(`the upstream CA rejected the RA certificate request: ${result.reason}`, "rejected", result.failInfo);
  }
  return writeIssued(o, result);
}

/** A self-signed certificate for the RA key, valid while we may poll; the CertRep is encrypted to it. */
function transientSigner(key: KeyObject, rejectionSecret: Uint8Array, subject: Uint8Array, clock: Clock, maxWaitMs: number): ExchangeParty {
  const now = clock.now().getTime();
  const spki = spkiOf(key);
  const cert = parseCertificate(issueCertificate({
    subject,
    spki,
    serial: randomBytes(16).fill(0x40, 0, 1),
    notBefore: new Date(now - 5 * MINUTE),
    notAfter: new Date(now + maxWaitMs + DAY),
    issuerKey: key,
    extensions: [
      { oid: Oid.basicConstraints, critical: true, value: basicConstraints(false) },
      { oid: Oid.keyUsage, critical: true, value: RA_KEY_USAGE },
      { oid: Oid.subjectKeyIdentifier, value: subjectKeyIdentifier(spki) },
    ],
  }));
  return { signer: { cert, key }, decryption: [{ cert, key, rejectionSecret }] };
}

async function poll(ctx: ExchangeContext, party: ExchangeParty, transactionId: string, csr: Csr): Promise<UpstreamResult> {
  const messageData = encodeIssuerAndSubject({ issuer: ctx.info.caPath[0]!.subject, subject: csr.subject });
  const rep = await scepExchange(ctx, party, { messageType: MessageType.CertPoll, transactionId, messageData });
  return enrollmentResult(rep, csr.spki, ctx.info, "CertPoll");
}

/** Writes the certificate (for our key: enrollmentResult picked it by key) and its chain. */
async function writeIssued(o: RaEnrollOptions, result: Extract<UpstreamResult, { status: "issued" }>): Promise<{ certPem: string; warnings: string[] }> {
  const cert = parseCertificate(result.certificate);
  const certPem = [result.certificate, ...result.chain].map((der) => toPem(der)).join("");
  if (o.store) await o.store(result.certificate, result.chain);
  else await writeFileAtomic(o.certFile, certPem, { mode: PUBLIC_MODE });
  o.logger.info({ upstream: o.url, subject: cert.subjectText(), serial: cert.serialHex, notAfter: cert.notAfter.toISOString(), certFile: o.certFile, keyFile: o.keyFile }, "RA certificate issued");
  return { certPem, warnings: usageWarnings(cert) };
}

/** What the issued certificate's keyUsage means for the RA's clients. */
export function usageWarnings(cert: Certificate): string[] {
  const ku = cert.keyUsage;
  if (!ku) return [];
  const warnings: string[] = [];
  if (!ku.keyEncipherment) {
    warnings.push(
      `the RA certificate (${cert.subjectText()}) has no keyUsage keyEncipherment: clients that pick the recipient by keyUsage (iOS, Windows) need it; ` +
        "ask the CA for a certificate with keyEncipherment, or add an ra.encryption identity",
    );
  }
  if (!ku.digitalSignature) {
    warnings.push(`the RA certificate (${cert.subjectText()}) has no keyUsage digitalSignature: scepgate cannot sign CertReps with it`);
  }
  return warnings;
}

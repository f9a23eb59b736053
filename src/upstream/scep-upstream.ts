/**
 * The upstream SCEP CA, reached as the RA (DESIGN.md flow step 3): the
 * UpstreamCa port over RFC 8894.
 *
 * - GetCACaps / GetCACert are fetched lazily and cached for `capsRefreshMs`
 *   (upstream-directory.ts); `caFingerprint` pins the CA.
 * - Requests are signed by the RA signing key with ONLY the RA signing
 *   certificate in the SignedData certificates (NOTE(micromdm): scepserver
 *   encrypts its CertRep to every certificate found there), encrypted to the
 *   upstream's encryption certificate (its RA certificate with
 *   keyEncipherment when it is itself an RA, else the CA certificate), with
 *   the algorithms of algorithm-choice.ts. The RA's decryption keys open the
 *   answers (NOTE(micromdm): always single DES-CBC, whatever we sent).
 * - The device's CSR is forwarded unchanged, unless `challenge` is set: then
 *   its challengePassword attribute is replaced by (or added as) the
 *   upstream's challenge, see csr-challenge.ts. NOTE(micromdm): scepserver
 *   reads the challenge from the CSR and does not verify the CSR signature,
 *   which the rewrite breaks; the RA has already checked the proof of
 *   possession and vouches for the request with its own signature.
 * - No concurrency of its own: one HTTP exchange per call. How many calls run
 *   at once is the queue's business (`upstream.maxConcurrent`).
 *
 * Every failure to get an answer is an UpstreamError (`unreachable`,
 * `timeout`, `http`, `protocol`); SCEP answers are results.
 */
import { randomBytes } from "node:crypto";
import {
  encodeIssuerAndSerial, encodeIssuerAndSubject, MessageType, type CertRep,
} from "../protocol/index.js";
import type { RaIdentity } from "../ra/identity.js";
import { UpstreamError } from "../ra/errors.js";
import type { CertificateRef, Clock, EnrollRequest, Logger, UpstreamCa, UpstreamQueryResult, UpstreamResult } from "../ra/ports.js";
import { hasCapability } from "./algorithm-choice.js";
import { enrollmentResult, queryResult } from "./cert-rep-results.js";
import { withChallengePassword } from "./csr-challenge.js";
import { scepExchange, type ExchangeMessage, type ExchangeParty } from "./scep-exchange.js";
import { UpstreamDirectory, type RolloverMemory, type UpstreamInfo } from "./upstream-directory.js";
import { UpstreamHttp, type UpstreamTlsPem } from "./upstream-http.js";

export interface ScepUpstreamOptions {
  /** The upstream's SCEP URL. */
  url: string;
  /** SHA-256 of the upstream CA certificate, lower-case hex without prefix. */
  caFingerprint?: string;
  /** Put into the forwarded CSRs' challengePassword (never logged). */
  challenge?: string;
  /** Per HTTP exchange, body included. */
  timeoutMs: number;
  /** TLS towards an https upstream (private CA, client certificate). */
  tls?: UpstreamTlsPem;
  /** Keeps GetNextCACert's certificates across restarts (see upstream-directory.ts). */
  rollover?: RolloverMemory;
  /** How long GetCACaps / GetCACert answers are kept. */
  capsRefreshMs: number;
  /** Signs requests as the RA; its decryption keys open the answers. */
  identity: RaIdentity;
  clock: Clock;
  logger: Logger;
}

export class ScepUpstream implements UpstreamCa {
  readonly inline = false;
  private readonly http: UpstreamHttp;
  private readonly directory: UpstreamDirectory;
  private readonly party: ExchangeParty;

  constructor(private readonly o: ScepUpstreamOptions) {
    this.http = new UpstreamHttp(o.url, o.timeoutMs, o.tls);
    this.directory = new UpstreamDirectory({ http: this.http, caFingerprint: o.caFingerprint, capsRefreshMs: o.capsRefreshMs, clock: o.clock, logger: o.logger, rollover: o.rollover });
    const { signer, decryption } = o.identity;
    this.party = { signer: { cert: signer.cert, key: signer.key, certificates: [signer.cert.der] }, decryption };
    if (signer.key.asymmetricKeyType !== "rsa") {
      o.logger.warn({ upstream: o.url, signer: signer.cert.subjectText() }, "the RA signing key is not RSA: upstream CAs encrypt their CertReps to it and most can only do RSA");
    }
  }

  /** The upstream as currently known (caps, algorithms, certificates by role); fetches it when due. */
  info(): Promise<UpstreamInfo> {
    return this.directory.get();
  }

  /** Whether the upstream answers at all: GetCACaps gives HTTP 200 (for scepgate_upstream_up when it was not used lately). */
  async probe(): Promise<boolean> {
    try {
      return (await this.http.get("GetCACaps")).status === 200;
    } catch {
      return false;
    }
  }

  /** The upstream's CA path, issuing CA first; the same array until the served certificates change. */
  async caChain(): Promise<Uint8Array[]> {
    return (await this.directory.get()).caChain;
  }

  /**
   * PKCSReq with the device's CSR, signed by the RA.
   *
   * A device's RenewalReq (messageType 17) is forwarded as a PKCSReq too: a
   * RenewalReq is authenticated by the signer being the certificate to renew
   * (RFC 8894 §3.3.1.2), and here the signer is the RA, so the CA would take
   * the RA certificate for the old certificate (renewing the wrong identity,
   * or refusing). The RA has already checked the device's old certificate
   * against the CA chain; towards the CA it vouches for the request as for
   * any other, with `upstream.challenge` when the CA wants one.
   */
  async enroll(req: EnrollRequest): Promise<UpstreamResult> {
    const info = await this.directory.get();
    const csr = this.o.challenge === undefined ? req.csr.der : withChallengePassword(req.csr.der, this.o.challenge);
    const rep = await this.exchange(info, { messageType: MessageType.PKCSReq, transactionId: req.upstreamTransactionId, messageData: csr });
    return enrollmentResult(rep, req.csr.spki, info, "PKCSReq");
  }

  /** CertPoll (GetCertInitial): IssuerAndSubject of the issuing CA and the CSR's subject, same transactionID (RFC 8894 §3.3.3). */
  async poll(req: EnrollRequest): Promise<UpstreamResult> {
    const info = await this.directory.get();
    const messageData = encodeIssuerAndSubject({ issuer: info.caPath[0]!.subject, subject: req.csr.subject });
    const rep = await this.exchange(info, { messageType: MessageType.CertPoll, transactionId: req.upstreamTransactionId, messageData });
    return enrollmentResult(rep, req.csr.spki, info, "CertPoll");
  }

  /** GetCert (RFC 8894 §3.3.4). */
  getCert(ref: CertificateRef): Promise<UpstreamQueryResult> {
    return this.query(MessageType.GetCert, ref);
  }

  /** GetCRL (RFC 8894 §3.3.5). */
  getCrl(ref: CertificateRef): Promise<UpstreamQueryResult> {
    return this.query(MessageType.GetCRL, ref);
  }

  /**
   * GetNextCACert (RFC 8894 §4.7): the rollover certificates the directory
   * fetched and verified with its last refresh; undefined when the upstream
   * announces none (or does not implement it).
   */
  async getNextCaCert(): Promise<Uint8Array[] | undefined> {
    const info = await this.directory.get();
    if (info.next.length === 0) {
      this.o.logger.debug({ upstream: this.o.url, announced: hasCapability(info.caps, "GetNextCACert") }, "upstream has no next CA certificate");
      return undefined;
    }
    return info.next.map((c) => c.der);
  }

  private async query(messageType: typeof MessageType.GetCert | typeof MessageType.GetCRL, ref: CertificateRef): Promise<UpstreamQueryResult> {
    const info = await this.directory.get();
    const messageData = encodeIssuerAndSerial({ issuer: ref.issuer, serial: ref.serial });
    // A query is a transaction of its own (RFC 8894 §3.2.1.1): a new transactionID each time.
    const transactionId = randomBytes(16).toString("hex");
    return queryResult(await this.exchange(info, { messageType, transactionId, messageData }));
  }

  private async exchange(info: UpstreamInfo, msg: ExchangeMessage): Promise<CertRep> {
    try {
      return await scepExchange({ http: this.http, info, clock: this.o.clock, logger: this.o.logger }, this.party, msg);
    } catch (err) {
      // An answer we could not accept may come from certificates rolled over upstream: fetch them again next time.
      if (err instanceof UpstreamError && err.kind === "protocol") this.directory.invalidate();
      throw err;
    }
  }
}

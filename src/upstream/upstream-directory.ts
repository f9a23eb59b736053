/**
 * What the RA knows about its upstream: GetCACaps and GetCACert (RFC 8894
 * §3.5.1, §4.2), fetched lazily and kept for `capsRefreshMs`.
 *
 * - Concurrent callers share one in-flight fetch.
 * - A failed refresh keeps the values it had (logged as a warning) and tries
 *   again after a minute at most; only the very first fetch fails the caller.
 * - `caFingerprint` pins the CA (see upstream-certs.ts): a mismatch is an
 *   UpstreamError "protocol" naming both fingerprints, and the certificates
 *   are never used.
 * - `caChain` stays the same array object while the served certificates stay
 *   the same, so callers may cache what they derive from it by identity.
 * - CA rollover (RFC 8894 §3.5.1, §4.7): when the upstream announces
 *   GetNextCACert, each refresh fetches it; the answer must be signed by a
 *   certificate the upstream serves now. Its certificates are trusted for
 *   CertReps (and as issuers) from their notBefore, and are kept in the
 *   RolloverMemory, so that once the upstream serves the new CA a pinned
 *   directory accepts it (it was announced under the pin), also after a
 *   restart. A refresh is due at the next certificate's notBefore at the latest.
 */
import { certificatesOf, parseCertificate, pemCertificates, type Certificate } from "../crypto/index.js";
import { parseCapabilities } from "../protocol/index.js";
import { UpstreamError } from "../ra/errors.js";
import type { Clock, Logger } from "../ra/ports.js";
import { chooseAlgorithms, hasCapability, type UpstreamAlgorithms } from "./algorithm-choice.js";
import { parseNextCaCert } from "./next-ca-cert.js";
import { matchesPin, pinnedCaCertificate, sortServedCertificates, type ServedCertificates } from "./upstream-certs.js";
import { httpError, type HttpAnswer, type UpstreamHttp } from "./upstream-http.js";

/** One consistent view of the upstream. */
export interface UpstreamInfo extends ServedCertificates {
  /** GetCACaps keywords, upper case. */
  caps: ReadonlySet<string>;
  algorithms: UpstreamAlgorithms;
  /** DER of `caPath`: what the RA publishes after its own certificates. */
  caChain: Uint8Array[];
  /** The rollover certificates GetNextCACert announced (verified); empty when there are none. */
  next: Certificate[];
}

/**
 * Where the RA keeps the rollover certificates it has verified (DER), so that
 * a pinned upstream's switch to its new CA is accepted after a restart too.
 */
export interface RolloverMemory {
  load(): Promise<Uint8Array[]>;
  save(certificates: readonly Uint8Array[]): Promise<void>;
}

/** How many announced certificates the memory keeps (the newest). */
const ROLLOVER_MEMORY_SIZE = 8;

export interface UpstreamDirectoryOptions {
  http: UpstreamHttp;
  /** SHA-256 of the CA certificate, lower-case hex without prefix. */
  caFingerprint?: string;
  capsRefreshMs: number;
  clock: Clock;
  logger: Logger;
  /** Keeps announced rollover certificates across restarts; default: this process's memory only. */
  rollover?: RolloverMemory;
}

/** How soon a failed refresh is tried again (at most; capsRefreshMs when shorter). */
const RETRY_AFTER_FAILURE_MS = 60_000;

export class UpstreamDirectory {
  private current: UpstreamInfo | undefined;
  private nextRefreshAt = 0;
  private inflight: Promise<UpstreamInfo> | undefined;
  /** DER of every rollover certificate verified so far (and remembered), oldest first; loaded on first use. */
  private announced: Uint8Array[] | undefined;

  constructor(private readonly o: UpstreamDirectoryOptions) {}

  /** The current view, fetched when absent or due for refresh. */
  get(): Promise<UpstreamInfo> {
    if (this.current && this.o.clock.now().getTime() < this.nextRefreshAt) return Promise.resolve(this.current);
    this.inflight ??= this.refresh().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** Makes the next get() fetch again (e.g. after a CertRep from a signer we do not know). */
  invalidate(): void {
    this.nextRefreshAt = 0;
  }

  private async refresh(): Promise<UpstreamInfo> {
    const started = this.o.clock.now().getTime();
    try {
      const info = await this.fetchInfo();
      this.current = info;
      this.nextRefreshAt = Math.min(started + this.o.capsRefreshMs, ...info.next.map((c) => c.notBefore.getTime()).filter((t) => t > started));
      return info;
    } catch (err) {
      if (!this.current) throw err;
      this.nextRefreshAt = started + Math.min(this.o.capsRefreshMs, RETRY_AFTER_FAILURE_MS);
      this.o.logger.warn({ upstream: this.o.http.url, err: (err as Error).message }, "upstream GetCACaps/GetCACert refresh failed; keeping the previous values");
      return this.current;
    }
  }

  private async fetchInfo(): Promise<UpstreamInfo> {
    const caps = await this.fetchCaps();
    const served = await this.fetchCertificates();
    let sorted: ServedCertificates;
    try {
      sorted = sortServedCertificates(served);
    } catch (err) {
      throw new UpstreamError(`upstream GetCACert: ${(err as Error).message}`, "protocol", undefined, { cause: err });
    }
    await this.checkPin(sorted);
    const next = hasCapability(caps, "GetNextCACert") ? await this.fetchNext(sorted) : [];
    const now = this.o.clock.now().getTime();
    // From its notBefore a rollover certificate may sign CertReps and issue, before GetCACert serves it.
    const active = next.filter((c) => c.notBefore.getTime() <= now && !sorted.trustedSigners.some((t) => sameCert(t, c)));
    const caChain = sameDer(this.current?.caChain, sorted.caPath) ? this.current!.caChain : sorted.caPath.map((c) => c.der);
    const info: UpstreamInfo = { ...sorted, trustedSigners: [...sorted.trustedSigners, ...active], caps, algorithms: chooseAlgorithms(caps), caChain, next };
    this.describe(info);
    return info;
  }

  /**
   * GetNextCACert, verified against what the upstream serves now. None (4xx,
   * 500, 501) is an empty list; a failure keeps the previous answer.
   */
  private async fetchNext(sorted: ServedCertificates): Promise<Certificate[]> {
    let next: Certificate[];
    try {
      const answer = await this.o.http.get("GetNextCACert");
      if ((answer.status >= 400 && answer.status < 500) || answer.status === 500 || answer.status === 501) return [];
      if (answer.status !== 200) throw httpError("GetNextCACert", answer);
      next = parseNextCaCert(answer.body, sorted.trustedSigners).map((d) => parseCertificate(d));
    } catch (err) {
      this.o.logger.warn({ upstream: this.o.http.url, err: (err as Error).message }, "upstream GetNextCACert failed; keeping the previous answer");
      return this.current?.next ?? [];
    }
    await this.remember(next);
    return next;
  }

  /** Adds newly announced certificates to the memory (logged once each). */
  private async remember(next: readonly Certificate[]): Promise<void> {
    const known = await this.announcedCertificates();
    const fresh = next.filter((c) => !known.some((d) => Buffer.compare(d, c.der) === 0));
    if (fresh.length === 0) return;
    for (const c of fresh) {
      this.o.logger.info({ upstream: this.o.http.url, certificate: c.subjectText(), sha256: c.fingerprint256(), notBefore: c.notBefore.toISOString() }, "upstream announces its next CA certificate (GetNextCACert)");
    }
    this.announced = [...known, ...fresh.map((c) => c.der)].slice(-ROLLOVER_MEMORY_SIZE);
    try {
      await this.o.rollover?.save(this.announced);
    } catch (err) {
      this.o.logger.warn({ upstream: this.o.http.url, err: (err as Error).message }, "cannot keep the upstream's next CA certificate on disk; a restart after its rollover will need the new caFingerprint");
    }
  }

  private async announcedCertificates(): Promise<Uint8Array[]> {
    this.announced ??= (await this.o.rollover?.load().catch((err: unknown) => {
      this.o.logger.warn({ upstream: this.o.http.url, err: (err as Error).message }, "cannot read the remembered next CA certificates");
      return [];
    })) ?? [];
    return this.announced;
  }

  /** GetCACaps. An HTTP 4xx or an empty answer means "no capabilities" (RFC 8894 §3.5.2); 5xx is an error. */
  private async fetchCaps(): Promise<Set<string>> {
    const answer = await this.o.http.get("GetCACaps");
    if (answer.status === 200) return parseCapabilities(Buffer.from(answer.body).toString("utf8"));
    if (answer.status >= 400 && answer.status < 500) {
      this.o.logger.warn({ upstream: this.o.http.url, status: answer.status }, "upstream GetCACaps refused: assuming no capabilities (DES, SHA-1, GET)");
      return new Set();
    }
    throw httpError("GetCACaps", answer);
  }

  private async fetchCertificates(): Promise<Certificate[]> {
    const answer = await this.o.http.get("GetCACert");
    if (answer.status !== 200) throw httpError("GetCACert", answer);
    try {
      return parseCaCertAnswer(answer);
    } catch (err) {
      throw new UpstreamError(`upstream GetCACert: not a certificate nor a certs-only PKCS#7 (${(err as Error).message})`, "protocol", undefined, { cause: err });
    }
  }

  /** The pin matches, or the CA path holds a certificate announced by GetNextCACert under it (a rollover). */
  private async checkPin(sorted: ServedCertificates): Promise<void> {
    const pin = this.o.caFingerprint;
    if (pin === undefined || matchesPin(sorted, pin)) return;
    const announced = await this.announcedCertificates();
    const rolled = sorted.caPath.find((c) => announced.some((d) => Buffer.compare(d, c.der) === 0));
    if (rolled) {
      if (!this.current?.caPath.some((c) => sameCert(c, rolled))) {
        this.o.logger.info({ upstream: this.o.http.url, ca: rolled.subjectText(), sha256: rolled.fingerprint256() }, "upstream CA rolled over to the certificate it announced by GetNextCACert; update upstream.caFingerprint when convenient");
      }
      return;
    }
    const ca = pinnedCaCertificate(sorted);
    throw new UpstreamError(
      `upstream CA fingerprint mismatch: expected sha256:${pin.toLowerCase()}, the upstream serves ${ca.subjectText()} with sha256:${ca.fingerprint256()}`,
      "protocol",
    );
  }

  private describe(info: UpstreamInfo): void {
    const changed = !this.current || this.current.caChain !== info.caChain || this.current.recipient !== info.recipient;
    const log = { upstream: this.o.http.url, caps: [...info.caps], algorithms: info.algorithms, ca: info.caPath[0]!.subjectText(), recipient: info.recipient.subjectText() };
    if (changed) this.o.logger.info(log, "upstream CA directory fetched");
    if (info.ra.length > 0 && !info.ra.includes(info.recipient)) {
      this.o.logger.warn(log, "the upstream serves RA certificates but none for encryption (keyUsage keyEncipherment): encrypting to the CA certificate");
    }
    for (const c of info.ignored) this.o.logger.warn({ upstream: this.o.http.url, certificate: c.subjectText() }, "upstream GetCACert: certificate not issued by the CA path, ignored");
    if (info.algorithms.cipher === "des") this.o.logger.warn(log, "the upstream announces neither AES nor DES3: requests are encrypted with single DES");
  }
}

/** GetCACert's answer: a DER certificate, a certs-only PKCS#7 (application/x-x509-ca-ra-cert), or PEM. */
export function parseCaCertAnswer(answer: HttpAnswer): Certificate[] {
  const head = Buffer.from(answer.body.subarray(0, 64)).toString("latin1");
  if (head.includes("-----BEGIN")) return pemCertificates(Buffer.from(answer.body).toString("latin1")).map((d) => parseCertificate(d));
  // NOTE(client): servers label the bundle inconsistently; the structure decides (a ContentInfo is never a Certificate).
  let single: Certificate;
  try {
    single = parseCertificate(answer.body);
  } catch {
    return certificatesOf(answer.body).map((d) => parseCertificate(d));
  }
  return [single];
}

function sameCert(a: Certificate, b: Certificate): boolean {
  return Buffer.compare(a.der, b.der) === 0;
}

function sameDer(previous: readonly Uint8Array[] | undefined, certs: readonly Certificate[]): boolean {
  return !!previous && previous.length === certs.length && previous.every((d, i) => Buffer.compare(d, certs[i]!.der) === 0);
}

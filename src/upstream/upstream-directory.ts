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
 */
import { certificatesOf, parseCertificate, pemCertificates, type Certificate } from "../crypto/index.js";
import { parseCapabilities } from "../protocol/index.js";
import { UpstreamError } from "../ra/errors.js";
import type { Clock, Logger } from "../ra/ports.js";
import { chooseAlgorithms, type UpstreamAlgorithms } from "./algorithm-choice.js";
import { matchesPin, pinnedCaCertificate, sortServedCertificates, type ServedCertificates } from "./upstream-certs.js";
import { httpError, type HttpAnswer, type UpstreamHttp } from "./upstream-http.js";

/** One consistent view of the upstream. */
export interface UpstreamInfo extends ServedCertificates {
  /** GetCACaps keywords, upper case. */
  caps: ReadonlySet<string>;
  algorithms: UpstreamAlgorithms;
  /** DER of `caPath`: what the RA publishes after its own certificates. */
  caChain: Uint8Array[];
}

export interface UpstreamDirectoryOptions {
  http: UpstreamHttp;
  /** SHA-256 of the CA certificate, lower-case hex without prefix. */
  caFingerprint?: string;
  capsRefreshMs: number;
  clock: Clock;
  logger: Logger;
}

/** How soon a failed refresh is tried again (at most; capsRefreshMs when shorter). */
const RETRY_AFTER_FAILURE_MS = 60_000;

export class UpstreamDirectory {
  private current: UpstreamInfo | undefined;
  private nextRefreshAt = 0;
  private inflight: Promise<UpstreamInfo> | undefined;

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
      this.nextRefreshAt = started + this.o.capsRefreshMs;
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
    this.checkPin(sorted);
    const caChain = sameDer(this.current?.caChain, sorted.caPath) ? this.current!.caChain : sorted.caPath.map((c) => c.der);
    const info: UpstreamInfo = { ...sorted, caps, algorithms: chooseAlgorithms(caps), caChain };
    this.describe(info);
    return info;
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

  private checkPin(sorted: ServedCertificates): void {
    const pin = this.o.caFingerprint;
    if (pin === undefined || matchesPin(sorted, pin)) return;
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

function sameDer(previous: readonly Uint8Array[] | undefined, certs: readonly Certificate[]): boolean {
  return !!previous && previous.length === certs.length && previous.every((d, i) => Buffer.compare(d, certs[i]!.der) === 0);
}

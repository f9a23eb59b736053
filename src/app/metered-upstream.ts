/**
 * The upstream CA with metrics: a decorator around a profile's remote
 * UpstreamCa (src/upstream's SCEP client) that counts and times every
 * exchange (`scepgate_upstream_requests_total`,
 * `scepgate_upstream_request_duration_seconds`) and remembers whether the
 * last one got an answer (`scepgate_upstream_up`). When nothing was
 * exchanged for {@link PROBE_AFTER_MS}, a scrape probes the CA with a
 * GetCACaps (at most one probe in flight) and waits {@link PROBE_WAIT_MS} for
 * it at most; a slower probe is reported by the next scrape.
 */
import { performance } from "node:perf_hooks";
import type { UpstreamRequestRecorder } from "../observability/metrics.js";
import { failInfoName } from "../protocol/index.js";
import { UpstreamError } from "../ra/errors.js";
import type { CertificateRef, EnrollRequest, UpstreamCa, UpstreamQueryResult, UpstreamResult } from "../ra/ports.js";

/** A scrape probes the upstream when its last exchange is older than this. */
export const PROBE_AFTER_MS = 60_000;
/** How long a scrape waits for a probe. */
export const PROBE_WAIT_MS = 1_000;

/** An upstream that can check it answers without a transaction (ScepUpstream: a GetCACaps). */
export interface ProbedUpstream extends UpstreamCa {
  probe?(): Promise<boolean>;
}

/** {@link UpstreamCa} that records each exchange of `inner` for `profile`. */
export class MeteredUpstream implements UpstreamCa {
  readonly inline: boolean;
  private last: { up: boolean; at: number } | undefined;
  private probing: Promise<void> | undefined;

  constructor(
    private readonly inner: ProbedUpstream,
    private readonly profile: string,
    private readonly metrics: UpstreamRequestRecorder,
    private readonly now: () => number = Date.now,
  ) {
    this.inline = inner.inline;
  }

  caChain(): Promise<Uint8Array[]> {
    return this.inner.caChain();
  }

  enroll(req: EnrollRequest): Promise<UpstreamResult> {
    return this.exchange("PKCSReq", () => this.inner.enroll(req), enrollmentOutcome);
  }

  poll(req: EnrollRequest): Promise<UpstreamResult> {
    return this.exchange("CertPoll", () => this.inner.poll(req), enrollmentOutcome);
  }

  getCert(ref: CertificateRef): Promise<UpstreamQueryResult> {
    return this.exchange("GetCert", () => this.inner.getCert(ref), queryOutcome);
  }

  getCrl(ref: CertificateRef): Promise<UpstreamQueryResult> {
    return this.exchange("GetCRL", () => this.inner.getCrl(ref), queryOutcome);
  }

  getNextCaCert(): Promise<Uint8Array[] | undefined> {
    return this.exchange("GetNextCACert", () => this.inner.getNextCaCert(), () => "SUCCESS");
  }

  /**
   * Whether the upstream answered lately: the last exchange's result, or a
   * probe's when that is older than {@link PROBE_AFTER_MS}; undefined while
   * nothing is known yet.
   */
  async up(): Promise<boolean | undefined> {
    const stale = !this.last || this.now() - this.last.at > PROBE_AFTER_MS;
    if (stale && this.inner.probe) {
      this.probing ??= this.probe().finally(() => {
        this.probing = undefined;
      });
      await Promise.race([this.probing, new Promise((resolve) => setTimeout(resolve, PROBE_WAIT_MS).unref())]);
    }
    return this.last?.up;
  }

  private async probe(): Promise<void> {
    const up = await this.inner.probe!().catch(() => false);
    this.last = { up, at: this.now() };
  }

  private async exchange<T>(operation: string, call: () => Promise<T>, outcome: (value: T) => string): Promise<T> {
    const started = performance.now();
    try {
      const value = await call();
      this.record(operation, outcome(value), started, true);
      return value;
    } catch (err) {
      this.record(operation, errorOutcome(err), started, err instanceof UpstreamError ? false : undefined);
      throw err;
    }
  }

  private record(operation: string, outcome: string, started: number, up: boolean | undefined): void {
    this.metrics.upstreamRequest(this.profile, operation, outcome, (performance.now() - started) / 1000);
    if (up !== undefined) this.last = { up, at: this.now() };
  }
}

function enrollmentOutcome(r: UpstreamResult): string {
  if (r.status === "issued") return "SUCCESS";
  if (r.status === "pending") return "PENDING";
  return `FAILURE:${failInfoName(r.failInfo)}`;
}

function queryOutcome(r: UpstreamQueryResult): string {
  if (r.status === "ok") return "SUCCESS";
  if (r.status === "pending") return "PENDING";
  return `FAILURE:${failInfoName(r.failInfo)}`;
}

/** unreachable, timeout, protocol, http_4xx / http_5xx (by status class), or `error` for anything else (a bug). */
function errorOutcome(err: unknown): string {
  if (!(err instanceof UpstreamError)) return "error";
  if (err.kind !== "http") return err.kind;
  const cls = err.status === undefined ? 0 : Math.floor(err.status / 100);
  return cls >= 1 && cls <= 5 ? `http_${cls}xx` : "http_other";
}

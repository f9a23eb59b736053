/**
 * The SCEP service with metrics: a decorator around the RA's ScepService
 * (the way micromdm/scep wraps its service for logging), so the use-cases
 * in src/ra know nothing of Prometheus. Every answer of a known profile is
 * counted under `scepgate_scep_requests_total` with its outcome, and the
 * service's time goes into `scepgate_scep_request_duration_seconds`:
 *
 * - a CertRep: its pkiStatus, `FAILURE:<failInfo>` for a FAILURE;
 * - not a pkiMessage (HTTP 400) or refused by the edge before the service
 *   (ScepService.refused: bad base64, too large, no operation): `http_4xx`;
 * - GetNextCACert without a rollover certificate (HTTP 404): `http_4xx`;
 * - a throw (the edge answers HTTP 500): `http_5xx`.
 */
import { performance } from "node:perf_hooks";
import type { ScepOutcome, ScepRequestLabels, ScepRequestRecorder } from "../observability/metrics.js";
import type { RequestContext } from "../ra/ports.js";
import type { PkiOperationResult, ScepService, TypedBody } from "../ra/service.js";

/** The message_type label of the operations that carry no pkiMessage. */
const NONE = "none";

/** {@link ScepService} that records each answer of `inner` to `metrics`. */
export class MeteredScepService implements ScepService {
  /** Label sets of the operations without a messageType, per profile (no allocation per request). */
  private readonly plain = new Map<string, Record<"GetCACaps" | "GetCACert" | "GetNextCACert", ScepRequestLabels>>();

  constructor(
    private readonly inner: ScepService,
    private readonly metrics: ScepRequestRecorder,
  ) {}

  hasProfile(profile: string): boolean {
    return this.inner.hasProfile(profile);
  }

  getCaCaps(profile: string): Promise<string> {
    return this.timed(this.labels(profile, "GetCACaps"), () => this.inner.getCaCaps(profile), () => "SUCCESS");
  }

  getCaCert(profile: string): Promise<TypedBody> {
    return this.timed(this.labels(profile, "GetCACert"), () => this.inner.getCaCert(profile), () => "SUCCESS");
  }

  getNextCaCert(profile: string): Promise<TypedBody | undefined> {
    return this.timed(this.labels(profile, "GetNextCACert"), () => this.inner.getNextCaCert(profile), (next) => (next === undefined ? "http_4xx" : "SUCCESS"));
  }

  async pkiOperation(profile: string, message: Uint8Array, context: RequestContext): Promise<PkiOperationResult> {
    const started = performance.now();
    let result: PkiOperationResult;
    try {
      result = await this.inner.pkiOperation(profile, message, context);
    } catch (err) {
      this.metrics.scepRequest({ profile, operation: "PKIOperation", message_type: "unknown" }, "http_5xx", seconds(started));
      throw err;
    }
    const [messageType, outcome] = pkiOutcome(result);
    this.metrics.scepRequest({ profile, operation: "PKIOperation", message_type: messageType }, outcome, seconds(started));
    return result;
  }

  refused(profile: string, operation: string, status: number): void {
    this.inner.refused?.(profile, operation, status);
    const messageType = operation === "PKIOperation" ? "unknown" : NONE;
    this.metrics.scepRequest({ profile, operation, message_type: messageType }, status >= 500 ? "http_5xx" : "http_4xx");
  }

  private labels(profile: string, operation: "GetCACaps" | "GetCACert" | "GetNextCACert"): ScepRequestLabels {
    let sets = this.plain.get(profile);
    if (!sets) {
      const of = (op: string): ScepRequestLabels => ({ profile, operation: op, message_type: NONE });
      sets = { GetCACaps: of("GetCACaps"), GetCACert: of("GetCACert"), GetNextCACert: of("GetNextCACert") };
      this.plain.set(profile, sets);
    }
    return sets[operation];
  }

  private async timed<T>(labels: ScepRequestLabels, call: () => Promise<T>, outcome: (value: T) => ScepOutcome): Promise<T> {
    const started = performance.now();
    let value: T;
    try {
      value = await call();
    } catch (err) {
      this.metrics.scepRequest(labels, "http_5xx", seconds(started));
      throw err;
    }
    this.metrics.scepRequest(labels, outcome(value), seconds(started));
    return value;
  }
}

/** The message_type label and the outcome of a PKIOperation result. */
function pkiOutcome(result: PkiOperationResult): [string, ScepOutcome] {
  if (result.kind === "malformed") return ["unknown", "http_4xx"];
  const s = result.summary;
  if (!s) return ["unknown", "unknown"];
  return [s.messageType, s.pkiStatus === "FAILURE" ? `FAILURE:${s.failInfo ?? "unknown"}` : s.pkiStatus];
}

function seconds(startedMs: number): number {
  return (performance.now() - startedMs) / 1000;
}

/**
 * scepgate's Prometheus metrics: one prom-client registry per process, every
 * metric defined here, and the only place that imports prom-client (the
 * use-cases in src/ra never do; the composition root wires decorators and
 * scrape-time sources to this). A leaf: it imports nothing of the project.
 *
 * Label values are bounded: profile names (configured), SCEP operation and
 * messageType names, outcomes, BullMQ states, queue names (one per upstream
 * URL). Never a transactionID, a subject or a client address.
 */
import { AggregatorRegistry, collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";
import { ScrapeGauges, type MetricSources } from "./scrape-gauges.js";

export type {
  CertificateExpiry, CertificateRole, ForwardQueueSnapshot, MetricSources, TransactionCount, UpstreamState,
} from "./scrape-gauges.js";

/** Buckets of the SCEP request histogram (seconds): 1 ms to 10 s. */
export const SCEP_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** Buckets of the upstream exchange histogram (seconds): 5 ms to 30 s (the default `upstream.timeout`). */
export const UPSTREAM_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

/**
 * How a SCEP request ended: the CertRep's pkiStatus (with the failInfo name
 * for a FAILURE, e.g. `FAILURE:badRequest`), or the HTTP status class when
 * no CertRep was sent (`http_4xx`: undecodable or refused input, `http_5xx`:
 * our fault).
 */
export type ScepOutcome = "SUCCESS" | "PENDING" | `FAILURE:${string}` | "http_4xx" | "http_5xx" | "unknown";

/** The labels every SCEP request is counted and timed under. */
export interface ScepRequestLabels {
  profile: string;
  /** GetCACaps, GetCACert, GetNextCACert, PKIOperation (`unknown` when the query named none we know). */
  operation: string;
  /** The pkiMessage's messageType name for PKIOperation (PKCSReq, CertPoll...), `unknown` if unreadable, `none` otherwise. */
  message_type: string;
}

/** What the SCEP decorator records. */
export interface ScepRequestRecorder {
  /** Counts one answered request; `seconds` (the service's time) also goes into the histogram. */
  scepRequest(labels: ScepRequestLabels, outcome: ScepOutcome, seconds?: number): void;
}

/** What the upstream decorator records. */
export interface UpstreamRequestRecorder {
  /**
   * Counts one exchange with a profile's upstream CA: `operation` is what was
   * sent (PKCSReq, CertPoll, GetCert, GetCRL, GetNextCACert), `outcome` the
   * answer (SUCCESS, PENDING, FAILURE:<failInfo>) or the error kind
   * (unreachable, timeout, http_4xx, http_5xx, protocol, error).
   */
  upstreamRequest(profile: string, operation: string, outcome: string, seconds: number): void;
}

/** The label objects of one series: the histogram's, and the counter's (with the outcome). */
interface LabelSet {
  timed: Record<string, string>;
  counted: Record<string, string>;
}

/** Options of {@link ScepgateMetrics}. */
export interface ScepgateMetricsOptions {
  /** prom-client's process metrics (CPU, memory, event loop, GC), prefixed `scepgate_`. Default true. */
  defaultMetrics?: boolean;
  /** Wall clock in ms (certificate expiry); default Date.now. */
  now?: () => number;
}

/** The metrics of one scepgate process. */
export class ScepgateMetrics implements ScepRequestRecorder, UpstreamRequestRecorder {
  /** The registry `/metrics` serves. */
  readonly registry = new Registry();
  private readonly scepRequests: Counter<"profile" | "operation" | "message_type" | "outcome">;
  private readonly scepDuration: Histogram<"profile" | "operation" | "message_type">;
  private readonly upstreamRequests: Counter<"profile" | "operation" | "outcome">;
  private readonly upstreamDuration: Histogram<"profile" | "operation">;
  private readonly retentionRemoved: Counter<"profile">;
  private readonly scrape: ScrapeGauges;
  private readonly labelSets = new Map<string, LabelSet>();

  constructor(o: ScepgateMetricsOptions = {}) {
    const registers = [this.registry];
    this.scepRequests = new Counter({
      name: "scepgate_scep_requests_total",
      help: "SCEP requests answered, by profile, operation, messageType and outcome (pkiStatus, FAILURE:<failInfo>, http_4xx, http_5xx).",
      labelNames: ["profile", "operation", "message_type", "outcome"],
      registers,
    });
    this.scepDuration = new Histogram({
      name: "scepgate_scep_request_duration_seconds",
      help: "Time the RA took to answer a SCEP request (decode to CertRep), by profile, operation and messageType.",
      labelNames: ["profile", "operation", "message_type"],
      buckets: [...SCEP_DURATION_BUCKETS],
      registers,
    });
    this.upstreamRequests = new Counter({
      name: "scepgate_upstream_requests_total",
      help: "Exchanges with the upstream CA, by profile, operation sent and outcome (pkiStatus, FAILURE:<failInfo>, or the error kind).",
      labelNames: ["profile", "operation", "outcome"],
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: "scepgate_upstream_request_duration_seconds",
      help: "Duration of exchanges with the upstream CA, by profile and operation.",
      labelNames: ["profile", "operation"],
      buckets: [...UPSTREAM_DURATION_BUCKETS],
      registers,
    });
    this.retentionRemoved = new Counter({
      name: "scepgate_retention_removed_total",
      help: "Finished transactions the retention sweep of this process exported to the audit file and removed from Redis.",
      labelNames: ["profile"],
      registers,
    });
    this.scrape = new ScrapeGauges(this.registry, o.now ?? Date.now);
    if (o.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "scepgate_" });
  }

  scepRequest(labels: ScepRequestLabels, outcome: ScepOutcome, seconds?: number): void {
    const set = this.labelSet(`${labels.profile}\0${labels.operation}\0${labels.message_type}\0${outcome}`, () => ({
      timed: { profile: labels.profile, operation: labels.operation, message_type: labels.message_type },
      counted: { profile: labels.profile, operation: labels.operation, message_type: labels.message_type, outcome },
    }));
    this.scepRequests.inc(set.counted);
    if (seconds !== undefined) this.scepDuration.observe(set.timed, seconds);
  }

  upstreamRequest(profile: string, operation: string, outcome: string, seconds: number): void {
    const set = this.labelSet(`up\0${profile}\0${operation}\0${outcome}`, () => ({ timed: { profile, operation }, counted: { profile, operation, outcome } }));
    this.upstreamRequests.inc(set.counted);
    this.upstreamDuration.observe(set.timed, seconds);
  }

  /**
   * The label objects of one series, made once: building a fresh object per
   * request costs more than prom-client's inc and observe together. The key
   * space is bounded like the label values.
   */
  private labelSet<T extends LabelSet>(key: string, make: () => T): T {
    let set = this.labelSets.get(key) as T | undefined;
    if (!set) {
      set = make();
      this.labelSets.set(key, set);
    }
    return set;
  }

  /** Counts what one retention sweep removed (RetentionSweepResult.byProfile). */
  retentionSwept(byProfile: Readonly<Record<string, number>>): void {
    for (const [profile, n] of Object.entries(byProfile)) if (n > 0) this.retentionRemoved.inc({ profile }, n);
  }

  /** Plugs in the scrape-time sources (transactions, queues, certificates, upstreams). */
  useSources(sources: MetricSources): void {
    this.scrape.use(sources);
  }

  /** The exposition text (collects the scrape-time gauges first). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The media type of {@link text}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Every series name this registry can expose, histograms with their
   * `_bucket`, `_sum` and `_count` (for checking dashboards and alerts).
   */
  async seriesNames(): Promise<string[]> {
    const names: string[] = [];
    for (const m of await this.registry.getMetricsAsJSON()) {
      names.push(m.name);
      // prom-client types `type` as a numeric enum; at run time it is the type's name.
      if (String(m.type) === "histogram") names.push(`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`);
    }
    return names;
  }
}

/**
 * `serve --processes N`: the supervisor's view of every child's registry
 * (prom-client's cluster aggregation over IPC). Counters and histograms are
 * summed; the scrape-time gauges, which every child reads from the same
 * Redis, take the max (the certificate expiry the min), so N children do not
 * multiply them.
 */
export class ClusterMetrics {
  private readonly aggregator = new AggregatorRegistry();

  text(): Promise<string> {
    return this.aggregator.clusterMetrics();
  }
}

/** In a child of `serve --processes N`: answer the supervisor's aggregation requests from this registry. */
export function answerClusterScrapes(metrics: ScepgateMetrics): void {
  AggregatorRegistry.setRegistries([metrics.registry]);
  // NOTE(prom-client 15): a worker only answers once an AggregatorRegistry was made in it (its constructor adds the listener).
  new AggregatorRegistry();
}

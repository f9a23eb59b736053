/**
 * Gauges computed when Prometheus scrapes (prom-client `collect`), from
 * sources the composition root hands in: Redis index sizes, BullMQ job
 * counts, certificate dates, the upstream's last answer. A source that
 * fails or takes longer than {@link SOURCE_TIMEOUT_MS} leaves its gauges
 * empty for that scrape and counts one `scepgate_metrics_source_errors_total`,
 * so a scrape never hangs on a dead Redis.
 */
import { performance } from "node:perf_hooks";
import { Counter, Gauge, type Aggregator, type Registry } from "prom-client";

/** Longest a scrape waits for one source (Prometheus' default scrape timeout is 10 s). */
export const SOURCE_TIMEOUT_MS = 2_000;

/** How long one source result serves the gauges that share it (one scrape collects them all at once). */
const SHARED_FOR_MS = 1_000;

/** Records per profile and state, from the store's per-state indexes. */
export interface TransactionCount {
  profile: string;
  state: string;
  count: number;
}

/** One forward queue: jobs per BullMQ state and the age of its oldest waiting or delayed job. */
export interface ForwardQueueSnapshot {
  queue: string;
  /** BullMQ state (waiting, active, delayed, prioritized, waiting-children, completed, failed) → jobs. */
  counts: Readonly<Record<string, number>>;
  /** Seconds since the oldest waiting or delayed job was created; undefined when there is none. */
  oldestJobAgeSeconds?: number;
}

/** Which certificate of a profile a `scepgate_certificate_expiry_seconds` sample is about. */
export type CertificateRole = "ra-signer" | "ra-encryption" | "ca";

/** The end of validity of one certificate of a profile. */
export interface CertificateExpiry {
  profile: string;
  cert: CertificateRole;
  notAfter: Date;
}

/** Whether a profile's upstream CA answered its last exchange (or probe). */
export interface UpstreamState {
  profile: string;
  up: boolean;
}

/** Where the scrape-time gauges read from; each source is optional (absent: its gauge has no samples). */
export interface MetricSources {
  transactions?: () => Promise<readonly TransactionCount[]>;
  forwardQueues?: () => Promise<readonly ForwardQueueSnapshot[]>;
  certificates?: () => Promise<readonly CertificateExpiry[]>;
  upstreams?: () => Promise<readonly UpstreamState[]>;
}

type SourceName = keyof MetricSources;

/** The scrape-time gauges of one registry; sources are plugged in (and replaced) with {@link ScrapeGauges.use}. */
export class ScrapeGauges {
  private readonly sources: MetricSources = {};
  private readonly shared = new Map<SourceName, { at: number; value: Promise<unknown> }>();
  private readonly errors!: Counter<"source">;

  constructor(registry: Registry, private readonly now: () => number) {
    this.gauge(registry, "scepgate_transactions", "Transactions in the store by profile and state (the per-state index sizes).", ["profile", "state"], "transactions", "max",
      (g, rows: readonly TransactionCount[]) => rows.forEach((r) => g.set({ profile: r.profile, state: r.state }, r.count)));
    this.gauge(registry, "scepgate_forward_queue_depth", "Jobs of each forward queue by BullMQ state.", ["queue", "state"], "forwardQueues", "max",
      (g, rows: readonly ForwardQueueSnapshot[]) => rows.forEach((q) => Object.entries(q.counts).forEach(([state, n]) => g.set({ queue: q.queue, state }, n))));
    this.gauge(registry, "scepgate_forward_queue_oldest_job_age_seconds", "Age of the oldest waiting or delayed job of each forward queue (0 when there is none).", ["queue"], "forwardQueues", "max",
      (g, rows: readonly ForwardQueueSnapshot[]) => rows.forEach((q) => g.set({ queue: q.queue }, q.oldestJobAgeSeconds ?? 0)));
    this.gauge(registry, "scepgate_certificate_expiry_seconds", "Seconds until the certificate's notAfter (negative once expired).", ["profile", "cert"], "certificates", "min",
      (g, rows: readonly CertificateExpiry[]) => rows.forEach((c) => g.set({ profile: c.profile, cert: c.cert }, (c.notAfter.getTime() - this.now()) / 1000)));
    this.gauge(registry, "scepgate_upstream_up", "1 when the profile's upstream CA answered its last exchange or probe, else 0.", ["profile"], "upstreams", "max",
      (g, rows: readonly UpstreamState[]) => rows.forEach((u) => g.set({ profile: u.profile }, u.up ? 1 : 0)));
    // Registered after the gauges, so its collect runs once theirs have started their reads: it waits for them,
    // and a source failing in this scrape is counted in this scrape.
    const shared = this.shared;
    this.errors = new Counter({
      name: "scepgate_metrics_source_errors_total",
      help: "Scrapes in which a metrics source (transactions, forwardQueues, certificates, upstreams) failed or timed out.",
      labelNames: ["source"],
      registers: [registry],
      async collect() {
        await Promise.all([...shared.values()].map((e) => e.value));
      },
    });
  }

  /** Plugs in sources (a later call replaces the sources it names). */
  use(sources: MetricSources): void {
    Object.assign(this.sources, sources);
  }

  private gauge<L extends string, T>(
    registry: Registry,
    name: string,
    help: string,
    labelNames: readonly L[],
    source: SourceName,
    // How `serve --processes N` combines the children's samples: every child reads the same shared source, so not a sum.
    aggregator: Aggregator,
    fill: (gauge: Gauge<L>, rows: T) => void,
  ): void {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- prom-client calls collect with the gauge as `this`
    const self = this;
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      aggregator,
      async collect() {
        this.reset();
        const rows = await self.read<T>(source);
        if (rows !== undefined) fill(this, rows);
      },
    });
  }

  /** The source's current result, shared by the gauges of one scrape; undefined when absent, failed or too slow. */
  private async read<T>(source: SourceName): Promise<T | undefined> {
    const fn = this.sources[source] as (() => Promise<T>) | undefined;
    if (!fn) return undefined;
    const now = performance.now();
    let entry = this.shared.get(source);
    if (!entry || now - entry.at > SHARED_FOR_MS) {
      const value = withTimeout(fn(), SOURCE_TIMEOUT_MS).catch(() => {
        this.errors.inc({ source });
        return failed;
      });
      entry = { at: now, value };
      this.shared.set(source, entry);
    }
    const value = await entry.value;
    return value === failed ? undefined : (value as T);
  }
}

/** Marks a source result that failed or timed out. */
const failed = Symbol("failed");

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

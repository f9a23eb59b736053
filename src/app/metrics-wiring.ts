/**
 * Wires the process's metrics (src/observability/metrics.ts) to the parts of
 * a runtime: remote upstreams wrapped in MeteredUpstream, the scrape-time
 * sources (transactions per state from the store's indexes, the forward
 * queues, certificate dates, upstream up), the retention sweep's counter and
 * the worker process's own `/metrics` listener (`workers.metricsPort`).
 */
import type { Config } from "../config/index.js";
import { parseCertificate } from "../crypto/index.js";
import { createMetricsApp, startHttpServer, type HttpServer } from "../edge/index.js";
import type { CertificateExpiry, ScepgateMetrics, UpstreamState } from "../observability/metrics.js";
import type { Profile } from "../ra/profile.js";
import type { Logger } from "../ra/ports.js";
import type { RetentionSweepResult } from "../store/index.js";
import { countByProfileAndState, pingRedis, StoreKeys, type RedisClient } from "../store/index.js";
import { MeteredUpstream } from "./metered-upstream.js";

/** How long a scrape waits for a profile's CA chain (a remote upstream may be refetching it). */
const CA_CHAIN_WAIT_MS = 1_000;

/** The profiles with each remote upstream wrapped in a {@link MeteredUpstream} (inline CAs are left as they are). */
export function meterUpstreams(profiles: readonly Profile[], metrics: ScepgateMetrics): Profile[] {
  return profiles.map((p) => (p.upstream.inline ? p : { ...p, upstream: new MeteredUpstream(p.upstream, p.name, metrics) }));
}

/** What the scrape-time sources read. */
export interface MetricSourceParts {
  config: Config;
  redis: RedisClient;
  profiles: readonly Profile[];
  /** The forward queues (BullForwardQueue); absent when every profile is inline. */
  queue?: { snapshot(): Promise<{ queue: string; counts: Record<string, number>; oldestJobAgeSeconds?: number }[]> };
}

/** Plugs the runtime's parts in as the sources of the scrape-time gauges. */
export function plugMetricSources(metrics: ScepgateMetrics, parts: MetricSourceParts): void {
  const keys = new StoreKeys(parts.config.redis.keyPrefix);
  const names = parts.profiles.map((p) => p.name);
  const queue = parts.queue;
  metrics.useSources({
    transactions: () => countByProfileAndState(parts.redis, keys, names),
    forwardQueues: queue ? () => queue.snapshot() : undefined,
    certificates: () => certificateExpiries(parts.profiles),
    upstreams: () => upstreamStates(parts.profiles),
  });
}

/** The RA signing and encryption certificates of each profile, and its issuing CA's (when the chain comes in time). */
export async function certificateExpiries(profiles: readonly Profile[]): Promise<CertificateExpiry[]> {
  const rows = await Promise.all(profiles.map(async (p): Promise<CertificateExpiry[]> => {
    const { signer, certificates } = p.identity;
    const encryption = certificates[1] ?? signer.cert;
    const out: CertificateExpiry[] = [
      { profile: p.name, cert: "ra-signer", notAfter: signer.cert.notAfter },
      { profile: p.name, cert: "ra-encryption", notAfter: encryption.notAfter },
    ];
    const ca = await issuingCaNotAfter(p);
    if (ca) out.push({ profile: p.name, cert: "ca", notAfter: ca });
    return out;
  }));
  return rows.flat();
}

const notAfterOfDer = new WeakMap<Uint8Array, Date>();

async function issuingCaNotAfter(p: Profile): Promise<Date | undefined> {
  const chain = await Promise.race([
    p.upstream.caChain().catch(() => undefined),
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), CA_CHAIN_WAIT_MS).unref()),
  ]);
  const der = chain?.[0];
  if (!der) return undefined;
  let notAfter = notAfterOfDer.get(der);
  if (!notAfter) {
    notAfter = parseCertificate(der).notAfter;
    notAfterOfDer.set(der, notAfter);
  }
  return notAfter;
}

/** Each profile's upstream: 1 for the embedded CA, else what its MeteredUpstream knows (nothing yet: no sample). */
export async function upstreamStates(profiles: readonly Profile[]): Promise<UpstreamState[]> {
  const states = await Promise.all(profiles.map(async (p) => {
    if (p.upstream.inline) return { profile: p.name, up: true };
    const up = p.upstream instanceof MeteredUpstream ? await p.upstream.up() : undefined;
    return up === undefined ? undefined : { profile: p.name, up };
  }));
  return states.filter((s): s is UpstreamState => s !== undefined);
}

/** The retention sweep's option that counts what it removed (StartWorkersOptions.retention). */
export function retentionMetrics(metrics: ScepgateMetrics | undefined): { retention?: { onSweep: (r: RetentionSweepResult) => void } } {
  return metrics ? { retention: { onSweep: (r) => metrics.retentionSwept(r.byProfile) } } : {};
}

/** What the worker's metrics listener needs of a runtime. */
export interface MetricsListenerParts {
  loaded: { config: Config };
  logger: Logger;
  redis: { redis: RedisClient };
  metrics?: ScepgateMetrics;
}

/**
 * `scepgate worker`'s own `/metrics` (with `/healthz`, `/readyz`) on
 * `listen.host`:`workers.metricsPort`; undefined when the port is unset.
 */
export async function startMetricsListener(rt: MetricsListenerParts): Promise<HttpServer | undefined> {
  const config = rt.loaded.config;
  const port = config.workers.metricsPort;
  const metrics = rt.metrics;
  if (port === undefined || !metrics) return undefined;
  const app = createMetricsApp({ logger: rt.logger, metrics: () => metrics.text(), ready: () => pingRedis(rt.redis.redis) });
  const server = await startHttpServer(app, { host: config.listen.host, port });
  rt.logger.info({ url: `http://${hostForUrl(config.listen.host)}:${server.port}/metrics` }, "worker metrics listening");
  return server;
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

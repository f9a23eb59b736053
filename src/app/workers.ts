/**
 * Composition of the forward queue (for the front and the operator) and the
 * forward workers (for `scepgate worker`, and `serve` unless --no-workers).
 * Only profiles whose CA is remote get a queue; the embedded CA is inline.
 *
 * Takes the parts of a Runtime it needs (a Runtime fits), so createRuntime
 * can build the queue before the service without an import cycle.
 */
import type { Config } from "../config/index.js";
import type { ForwardingDeps } from "../ra/forwarding.js";
import type { Profile } from "../ra/profile.js";
import type { Clock, Logger, TransactionStore } from "../ra/ports.js";
import type { BullForwardQueue, ForwardWorkersOptions } from "../queue/index.js";
import { planForwardQueues, type ForwardQueueSpec, type ForwardRoute } from "../queue/queue-names.js";

/** BullMQ (~25 MB) is loaded only by processes that forward to a remote CA. */
const loadQueue = () => import("../queue/index.js");

/** What the queue needs of a runtime. */
export interface QueueParts {
  loaded: { config: Config };
  profiles: readonly Profile[];
  /** The Redis URL or socket path (RedisHandle.url); the queue opens its own connection to it. */
  redis: { url: string };
  logger: Logger;
}

/** What the workers need of a runtime. */
export interface WorkerParts extends QueueParts {
  store: TransactionStore;
  clock: Clock;
}

/** Running workers of this process. */
export interface WorkersHandle {
  close(): Promise<void>;
}

/** The remote-CA profiles with their upstream URL and maxConcurrent. */
export function forwardRoutes(parts: Pick<QueueParts, "loaded" | "profiles">): ForwardRoute[] {
  const routes: ForwardRoute[] = [];
  for (const p of parts.profiles) {
    if (p.upstream.inline) continue;
    const upstream = parts.loaded.config.profiles[p.name]?.upstream;
    if (!upstream) throw new Error(`profile "${p.name}": its CA is not inline but no upstream is configured`);
    routes.push({ profile: p.name, upstreamUrl: upstream.url, maxConcurrent: upstream.maxConcurrent });
  }
  return routes;
}

/** The forward queues of the configured profiles (one per upstream URL). */
export function forwardQueueSpecs(parts: Pick<QueueParts, "loaded" | "profiles">): ForwardQueueSpec[] {
  return planForwardQueues(forwardRoutes(parts));
}

/**
 * The ForwardQueue the front and the operator need (RaScepService and
 * Operator `deps.queue`), on a connection of its own that its close()
 * closes; undefined when every profile is inline (no Redis connection made).
 */
export async function createForwardQueue(parts: QueueParts): Promise<BullForwardQueue | undefined> {
  const queues = forwardQueueSpecs(parts);
  if (queues.length === 0) return undefined;
  const { BullForwardQueue, connectQueueRedis } = await loadQueue();
  return new BullForwardQueue({
    connection: connectQueueRedis(parts.redis.url),
    ownsConnection: true,
    prefix: parts.loaded.config.redis.keyPrefix,
    queues,
    logger: parts.logger,
  });
}

/**
 * Starts the forward workers of every remote-CA profile: per queue one
 * BullMQ Worker with `workers.concurrency` (capped by the queue's
 * maxConcurrent, which is also set as the queue's global concurrency), plus
 * the reconcile pass at start and every minute. With only inline profiles
 * there is nothing to run and close() is a no-op.
 */
export async function startWorkers(rt: WorkerParts, extra: Pick<ForwardWorkersOptions, "timing" | "retryBackoff" | "reconcile" | "name"> = {}): Promise<WorkersHandle> {
  const queues = forwardQueueSpecs(rt);
  if (queues.length === 0) {
    rt.logger.info({}, "no profile forwards to a remote CA: no forward workers to run");
    return { close: async () => undefined };
  }
  const byName = new Map(rt.profiles.map((p) => [p.name, p]));
  const deps: ForwardingDeps = { store: rt.store, clock: rt.clock, logger: rt.logger, profile: (name) => byName.get(name) };
  const config = rt.loaded.config;
  const { connectQueueRedis, startForwardWorkers } = await loadQueue();
  const running = await startForwardWorkers({
    connect: () => connectQueueRedis(rt.redis.url),
    prefix: config.redis.keyPrefix,
    queues,
    concurrency: config.workers.concurrency,
    deps,
    logger: rt.logger,
    ...extra,
  });
  return { close: () => running.close() };
}

/**
 * Composition of the forward queue (for the front and the operator) and the
 * workers (for `scepgate worker`, and `serve` unless --no-workers): the
 * forward workers and the retention sweep. Only profiles whose CA is remote
 * get a queue; the embedded CA is inline. The retention sweep runs in every
 * worker process, whatever the profiles' CAs (one sweep per interval across
 * the fleet, by a lock).
 *
 * Takes the parts of a Runtime it needs (a Runtime fits), so createRuntime
 * can build the queue before the service without an import cycle.
 */
import path from "node:path";
import type { Config } from "../config/index.js";
import type { ForwardingDeps } from "../ra/forwarding.js";
import type { Profile } from "../ra/profile.js";
import type { Clock, Logger, TransactionStore } from "../ra/ports.js";
import type { BullForwardQueue, ForwardWorkersOptions } from "../queue/index.js";
import { planForwardQueues, type ForwardQueueSpec, type ForwardRoute } from "../queue/queue-names.js";
import {
  connectRedis, startRetentionSweeper, StoreKeys, type RedisEndpoint, type RetentionPolicy, type RetentionSweeper, type RetentionSweeperOptions,
} from "../store/index.js";
import { AuditFile, DEFAULT_AUDIT_FILE } from "./audit-file.js";
import { startNotifications, type NotifyExtra } from "./notifications.js";

/** BullMQ (~25 MB) is loaded only by processes that forward to a remote CA. */
const loadQueue = () => import("../queue/index.js");

/** What the queue needs of a runtime. */
export interface QueueParts {
  loaded: { config: Config };
  profiles: readonly Profile[];
  /** Where Redis is (a RedisHandle is one); the queue opens its own connections to it. */
  redis: RedisEndpoint;
  logger: Logger;
}

/** What the workers need of a runtime. */
export interface WorkerParts extends QueueParts {
  store: TransactionStore;
  clock: Clock;
}

/** Running workers of this process. */
export interface WorkersHandle {
  /** The retention sweep of this process (undefined when turned off). */
  readonly retention?: RetentionSweeper;
  close(): Promise<void>;
}

/** What startWorkers takes beyond the runtime; tests shorten the timings. */
export type StartWorkersOptions = Pick<ForwardWorkersOptions, "timing" | "retryBackoff" | "reconcile" | "name"> & {
  /** The retention sweep (default: at start and every 10 minutes). `false`: none. */
  retention?: Pick<RetentionSweeperOptions, "intervalMs" | "batchSize" | "maxPerSweep" | "onSweep"> | false;
  /** Timings of the notification workers (app/notifications.ts). */
  notify?: NotifyExtra;
};

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
    connection: connectQueueRedis(parts.redis),
    ownsConnection: true,
    prefix: parts.loaded.config.redis.keyPrefix,
    queues,
    logger: parts.logger,
  });
}

/**
 * Starts the workers of this process: the retention sweep (retentionSweep)
 * and the forward workers of every remote-CA profile (forward workers). With
 * only inline profiles there are no forward workers, but the sweep runs.
 */
export async function startWorkers(rt: WorkerParts, extra: StartWorkersOptions = {}): Promise<WorkersHandle> {
  const { retention, notify, ...forward } = extra;
  const sweep = retention === false ? undefined : startRetentionSweep(rt, retention);
  let forwarders: WorkersHandle | undefined;
  let notifiers: WorkersHandle | undefined;
  try {
    forwarders = await startForwarders(rt, forward);
    notifiers = await startNotifications(rt, notify);
  } catch (err) {
    await forwarders?.close();
    await sweep?.close();
    throw err;
  }
  return {
    retention: sweep?.sweeper,
    close: async () => {
      await forwarders?.close();
      await notifiers?.close();
      await sweep?.close();
    },
  };
}

/**
 * The forward workers of every remote-CA profile: per queue one
 * BullMQ Worker with `workers.concurrency` (capped by the queue's
 * maxConcurrent, which is also set as the queue's global concurrency), plus
 * the reconcile pass at start and every minute. Undefined when every profile
 * is inline.
 */
async function startForwarders(rt: WorkerParts, extra: Pick<ForwardWorkersOptions, "timing" | "retryBackoff" | "reconcile" | "name">): Promise<WorkersHandle | undefined> {
  const queues = forwardQueueSpecs(rt);
  if (queues.length === 0) {
    rt.logger.info({}, "no profile forwards to a remote CA: no forward workers to run");
    return undefined;
  }
  const byName = new Map(rt.profiles.map((p) => [p.name, p]));
  const deps: ForwardingDeps = { store: rt.store, clock: rt.clock, logger: rt.logger, profile: (name) => byName.get(name) };
  const config = rt.loaded.config;
  const { connectQueueRedis, startForwardWorkers } = await loadQueue();
  const running = await startForwardWorkers({
    connect: () => connectQueueRedis(rt.redis),
    prefix: config.redis.keyPrefix,
    queues,
    concurrency: config.workers.concurrency,
    deps,
    logger: rt.logger,
    ...extra,
  });
  return { close: () => running.close() };
}

/** Each configured profile's retention (its own, else the global one), and the global one. */
export function retentionPolicy(config: Config): RetentionPolicy {
  const profiles = Object.fromEntries(Object.entries(config.profiles).map(([name, p]) => [name, p.retention ?? config.retention]));
  return { profiles, defaultMs: config.retention };
}

/** Where removed records' audit trails go: `audit.file`, else `<dataDir>/audit.jsonl`. */
export function auditFilePath(config: Config): string {
  return config.audit.file ?? path.join(config.dataDir, DEFAULT_AUDIT_FILE);
}

/**
 * The retention sweep on a Redis connection of its own (its pipelined
 * batches never queue in front of the store's commands), with the
 * runtime's clock; close() stops it after its current batch.
 */
function startRetentionSweep(rt: WorkerParts, o: Exclude<StartWorkersOptions["retention"], false> = {}): { sweeper: RetentionSweeper; close(): Promise<void> } {
  const config = rt.loaded.config;
  const redis = connectRedis(rt.redis);
  redis.on("error", () => undefined); // reconnects by itself; a failed sweep is logged
  const sweeper = startRetentionSweeper({
    redis,
    keys: new StoreKeys(config.redis.keyPrefix),
    policy: retentionPolicy(config),
    sink: new AuditFile(auditFilePath(config)),
    clock: rt.clock,
    logger: rt.logger,
    ...o,
  });
  return {
    sweeper,
    close: async () => {
      await sweeper.stop();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

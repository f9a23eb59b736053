/**
 * The composition root shared by every command: config → logger, Redis,
 * store, one-time passwords, profiles, the SCEP service and the operator.
 */
import type { LoadedConfig } from "../config/index.js";
import { inThreadKeyOps, threadedKeyOps } from "../crypto/index.js";
import { createLogger, type AppLogger } from "../observability/logger.js";
import type { ScepgateMetrics } from "../observability/metrics.js";
import type { Profile } from "../ra/profile.js";
import type { Clock, ForwardQueue } from "../ra/ports.js";
import { Operator } from "../ra/operator.js";
import { RaScepService } from "../ra/scep-service.js";
import { RedisOneTimePasswords, RedisTransactionStore } from "../store/index.js";
import { meterUpstreams, plugMetricSources } from "./metrics-wiring.js";
import { buildProfiles } from "./profiles.js";
import { openRedis, type RedisHandle } from "./redis.js";
import { createForwardQueue } from "./workers.js";

export interface Runtime {
  loaded: LoadedConfig;
  logger: AppLogger;
  clock: Clock;
  redis: RedisHandle;
  store: RedisTransactionStore;
  /** One-time challenge passwords (profiles with `challenge.mode: otp`, `scepgate otp issue`). */
  otp: RedisOneTimePasswords;
  profiles: Profile[];
  service: RaScepService;
  /** Hands approved requests of remote-CA profiles to the forward workers; undefined when every profile is inline. */
  queue: ForwardQueue | undefined;
  operator: Operator;
  /** The process's metrics (RuntimeOptions.metrics): remote upstreams are metered and the scrape-time sources plugged in. */
  metrics?: ScepgateMetrics;
  close(): Promise<void>;
}

export const systemClock: Clock = { now: () => new Date() };

/** An Operator on the runtime's store, profiles and one-time passwords; `queue` lets approve forward to remote upstreams. */
export function createOperator(rt: Pick<Runtime, "store" | "clock" | "logger" | "otp" | "profiles">, queue?: ForwardQueue): Operator {
  const byName = new Map(rt.profiles.map((p) => [p.name, p]));
  return new Operator({ store: rt.store, clock: rt.clock, logger: rt.logger, otp: rt.otp, queue, profile: (name) => byName.get(name) });
}

export interface RuntimeOptions {
  /** Run private-key operations on worker threads (the SCEP front: uses every core). */
  threadedKeys?: boolean;
  /** Metrics to record to (serve, worker); absent: none (the operator commands). */
  metrics?: ScepgateMetrics;
  /** Time source of the RA (default: the system clock); tests move it. */
  clock?: Clock;
}

export async function createRuntime(
  loaded: LoadedConfig,
  logger = createLogger({ level: loaded.config.log.level, format: loaded.config.log.format }),
  opts: RuntimeOptions = {},
): Promise<Runtime> {
  const config = loaded.config;
  const clock = opts.clock ?? systemClock;
  const redis = await openRedis(config);
  const keyOps = opts.threadedKeys ? threadedKeyOps() : inThreadKeyOps;
  try {
    const { durability } = redis;
    const store = new RedisTransactionStore({ redis: redis.redis, prefix: config.redis.keyPrefix, clock, durability });
    const otp = new RedisOneTimePasswords({ redis: redis.redis, prefix: config.redis.keyPrefix, durability });
    const built = await buildProfiles(config, { clock, logger, otp, keyOps });
    const profiles = opts.metrics ? meterUpstreams(built, opts.metrics) : built;
    const queue = await createForwardQueue({ loaded, profiles, redis, logger });
    if (opts.metrics) plugMetricSources(opts.metrics, { config, redis: redis.redis, profiles, queue });
    const service = new RaScepService({ store, clock, logger, queue }, profiles);
    const operator = createOperator({ store, clock, logger, otp, profiles }, queue);
    return {
      loaded,
      logger,
      clock,
      redis,
      store,
      otp,
      profiles,
      service,
      queue,
      operator,
      metrics: opts.metrics,
      close: async () => {
        await queue?.close();
        await store.close();
        await redis.close();
        await keyOps.close();
      },
    };
  } catch (err) {
    await redis.close();
    await keyOps.close();
    throw err;
  }
}

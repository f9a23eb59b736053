/**
 * The composition root shared by every command: config → logger, Redis,
 * store, profiles and the SCEP service.
 */
import type { LoadedConfig } from "../config/index.js";
import { createLogger, type AppLogger } from "../observability/logger.js";
import type { Profile } from "../ra/profile.js";
import type { Clock } from "../ra/ports.js";
import { Operator } from "../ra/operator.js";
import { RaScepService } from "../ra/scep-service.js";
import { RedisTransactionStore } from "../store/index.js";
import { buildProfiles } from "./profiles.js";
import { openRedis, type RedisHandle } from "./redis.js";

export interface Runtime {
  loaded: LoadedConfig;
  logger: AppLogger;
  clock: Clock;
  redis: RedisHandle;
  store: RedisTransactionStore;
  profiles: Profile[];
  service: RaScepService;
  operator: Operator;
  close(): Promise<void>;
}

export const systemClock: Clock = { now: () => new Date() };

export async function createRuntime(loaded: LoadedConfig, logger = createLogger({ level: loaded.config.log.level })): Promise<Runtime> {
  const config = loaded.config;
  const clock = systemClock;
  const redis = await openRedis(config);
  try {
    const store = new RedisTransactionStore({ redis: redis.redis, prefix: config.redis.keyPrefix, clock });
    const profiles = await buildProfiles(config, { clock, logger });
    const service = new RaScepService({ store, clock, logger }, profiles);
    const byName = new Map(profiles.map((p) => [p.name, p]));
    const operator = new Operator({ store, clock, logger, profile: (name) => byName.get(name) });
    return {
      loaded,
      logger,
      clock,
      redis,
      store,
      profiles,
      service,
      operator,
      close: async () => {
        await store.close();
        await redis.close();
      },
    };
  } catch (err) {
    await redis.close();
    throw err;
  }
}

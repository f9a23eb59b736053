/**
 * The Redis adapter of the TransactionStore port (ioredis). Every Redis key is
 * built in keys.ts.
 */
export { checkRedisPolicy, connectRedis, pingRedis, type ConnectRedisOptions, type RedisClient } from "./connect.js";
export { RedisPolicyError, StoreError } from "./errors.js";
export { describeEndpoint, type RedisEndpoint, type SentinelEndpoint } from "./redis-endpoint.js";
export { ReplicationError, type Durability } from "./durability.js";
export { StoreKeys, STATE_ORDER } from "./keys.js";
export { uiSessionSecret } from "./ui-session-secret.js";
export { countByProfileAndState, type ProfileStateCount } from "./transaction-stats.js";
export { foldSubjectCn, RedisOneTimePasswords, type OtpOutcome, type RedisOneTimePasswordsOptions } from "./otp-store.js";
export {
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  RedisTransactionStore,
  type RedisTransactionStoreOptions,
} from "./redis-transaction-store.js";
export {
  longestRetention,
  RETENTION_BATCH_SIZE,
  RETENTION_MAX_PER_SWEEP,
  sweepRetention,
  type AuditSink,
  type RetentionPolicy,
  type RetentionSweepOptions,
  type RetentionSweepResult,
} from "./retention.js";
export { REMOVED_RECORD_KIND, REMOVED_RECORD_VERSION, type ExportedEvent, type RemovedRecordLine } from "./retention-export.js";
export { RETENTION_INTERVAL_MS, startRetentionSweeper, type RetentionSweeper, type RetentionSweeperOptions } from "./retention-sweeper.js";

/**
 * The Redis adapter of the TransactionStore port (ioredis). Every Redis key is
 * built in keys.ts.
 */
export { checkRedisPolicy, connectRedis, pingRedis, type ConnectRedisOptions, type RedisClient } from "./connect.js";
export { RedisPolicyError, StoreError } from "./errors.js";
export { StoreKeys, STATE_ORDER } from "./keys.js";
export { foldSubjectCn, RedisOneTimePasswords, type OtpOutcome, type RedisOneTimePasswordsOptions } from "./otp-store.js";
export {
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  RedisTransactionStore,
  type RedisTransactionStoreOptions,
} from "./redis-transaction-store.js";

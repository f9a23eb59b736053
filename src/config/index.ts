/**
 * Configuration: load and validate (zod); fails fast naming the bad key.
 * A leaf module: imports nothing else from `src/`.
 *
 * @module
 */
export { loadConfig, DEFAULT_CONFIG_FILE, type LoadConfigOptions, type LoadedConfig } from "./load.js";
export {
  configSchema, profileSchema, PROFILE_NAME, LOG_LEVELS, LOG_FORMATS,
  type Config, type ConfigInput, type ProfileConfig, type RaConfig, type UpstreamConfig,
} from "./schema.js";
export { approvalOf, OPERATOR_NAME, OPERATOR_ROLES, TOKEN_OPERATOR, type OperatorConfig } from "./operators.js";
export { ConfigError, type ConfigErrorDetails } from "./errors.js";
export { DEFAULT_WAIT_TIMEOUT_MS, waitReplicasOf, type HostPort, type RedisConfig, type RedisSentinelConfig } from "./redis.js";
export type { ListenTlsConfig, UpstreamTlsConfig } from "./tls.js";
export { parseDuration, tryParseDuration } from "./duration.js";
export { redactConfig, isSecretPath, REDACTED } from "./redact.js";
export { envVarName, resolveEnvVar, ENV_PREFIX, NON_CONFIG_ENV_VARS } from "./env.js";
export { CHALLENGE_WEBHOOK_TIMEOUT_MS, NOTIFY_EVENTS, type NotifyEvent, type NotifyTargetConfig } from "./webhooks.js";

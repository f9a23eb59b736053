/**
 * The one error class of the config module.
 *
 * @module
 */

/** Where a {@link ConfigError} came from, for callers that want more than the message. */
export interface ConfigErrorDetails {
  /** Dotted path of the offending key, e.g. `profiles.default.syncWaitMs`. */
  readonly key?: string;
  /** The `SCEPGATE_*` variable the bad value came from, when it came from the environment. */
  readonly envVar?: string;
  /** The config file involved, when there is one. */
  readonly file?: string;
  /** The underlying error (I/O, YAML parser, ...). */
  readonly cause?: unknown;
}

/**
 * A configuration that cannot be used. The message is a single line that
 * starts with `config: `, names the bad key by its dotted path (and the
 * environment variable when the value came from one), and never contains the
 * value of a secret.
 *
 * @example
 * ```text
 * config: profiles.default.syncWaitMs: expected an integer >= 0, got "abc" (from SCEPGATE_PROFILES_DEFAULT_SYNC_WAIT_MS)
 * ```
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  /** Dotted path of the offending key, when one key is to blame. */
  readonly key: string | undefined;
  /** The `SCEPGATE_*` variable involved, if any. */
  readonly envVar: string | undefined;
  /** The config file involved, if any. */
  readonly file: string | undefined;

  /**
   * @param message - the text after `config: ` (one line; newlines are folded)
   * @param details - key, env var, file and cause
   */
  constructor(message: string, details: ConfigErrorDetails = {}) {
    super(`config: ${message.replace(/\s*\n\s*/g, " ")}`, { cause: details.cause });
    this.key = details.key;
    this.envVar = details.envVar;
    this.file = details.file;
  }
}

/**
 * What the commands need from the outside world, injectable so the unit tests
 * run them without a process, a terminal or Redis.
 */
import { userInfo } from "node:os";
import { openOperatorSession, type OperatorSession } from "../app/operator-session.js";
import { LOG_LEVELS, loadConfig } from "../config/index.js";
import { createLogger } from "../observability/logger.js";

export interface CliDeps {
  /** Writes to stdout (the command's result: a password, a table, JSON). */
  out(text: string): void;
  /** Writes to stderr (errors, warnings, notes for the human). */
  err(text: string): void;
  /** Opens the operator session of `--config FILE` (same resolution as `serve`). */
  openSession(configFile: string | undefined): Promise<OperatorSession>;
  /** The OS user, the default actor of `requests approve|reject`. */
  userName(): string;
  /** Print stacks with errors (SCEPGATE_DEBUG). */
  debug: boolean;
}

/**
 * Log level of the operator commands: their logs go to stderr, and only
 * warnings and worse unless the configuration asks for even less (or
 * SCEPGATE_DEBUG for everything), so stdout stays the command's result.
 */
export function commandLogLevel(configured: string, debug: boolean): string {
  if (debug) return "debug";
  return LOG_LEVELS.indexOf(configured as (typeof LOG_LEVELS)[number]) > LOG_LEVELS.indexOf("warn") ? configured : "warn";
}

function osUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env["USER"] ?? process.env["LOGNAME"] ?? "unknown";
  }
}

/** The real process: stdout, stderr, the configuration and Redis. */
export function processDeps(): CliDeps {
  const debug = Boolean(process.env["SCEPGATE_DEBUG"]);
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    openSession: async (file) => {
      const loaded = await loadConfig({ file });
      const logger = createLogger({ level: commandLogLevel(loaded.config.log.level, debug), destination: process.stderr, format: loaded.config.log.format });
      return openOperatorSession(loaded, logger);
    },
    userName: osUserName,
    debug,
  };
}

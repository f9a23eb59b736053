/**
 * The process logger: pino, JSON lines on stdout. Secrets never reach it:
 * known secret fields are redacted as a last line of defence, but callers
 * must not pass them in the first place.
 */
import { pino, type Logger as PinoLogger } from "pino";

export type AppLogger = PinoLogger;

/** Field paths censored wherever they appear (one level deep is what pino supports cheaply). */
const REDACT = [
  "password",
  "challenge.value",
  "challengePassword",
  "token",
  "otp",
  "passphrase",
  "authorization",
  "*.password",
  "*.challengePassword",
  "*.token",
  "*.otp",
  "*.passphrase",
  "*.authorization",
];

/**
 * `destination` defaults to stdout written asynchronously: a line costs no
 * write(2) of its own under load (lines written meanwhile go out together),
 * and pino flushes what is left synchronously when the process exits.
 */
export function createLogger(opts: { level: string; name?: string; destination?: NodeJS.WritableStream }): AppLogger {
  return pino(
    {
      level: opts.level,
      name: opts.name ?? "scepgate",
      redact: { paths: REDACT, censor: "***" },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    (opts.destination as pino.DestinationStream | undefined) ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * A child of `logger` without redaction, for lines whose fields are fixed and
 * never secret (the access log): redaction is half the cost of a line.
 */
export function unredactedChild(logger: AppLogger): AppLogger {
  return logger.child({}, { redact: [] });
}

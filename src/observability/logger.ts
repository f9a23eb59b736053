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

export function createLogger(opts: { level: string; name?: string; destination?: NodeJS.WritableStream }): AppLogger {
  return pino(
    {
      level: opts.level,
      name: opts.name ?? "scepgate",
      redact: { paths: REDACT, censor: "***" },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination as pino.DestinationStream | undefined,
  );
}

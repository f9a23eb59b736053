/**
 * The process logger: pino on stdout, JSON lines, or readable lines on a
 * terminal (`log.format`, pretty.ts). Secrets never reach it:
 * known secret fields are redacted as a last line of defence, but callers
 * must not pass them in the first place.
 */
import { pino, type Logger as PinoLogger } from "pino";
import { prettyDestination } from "./pretty.js";

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

/** `log.format`: JSON lines, readable lines, or readable on a terminal and JSON otherwise. */
export type LogFormat = "auto" | "json" | "pretty";

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  level: string;
  name?: string;
  /** Where lines go; default stdout. */
  destination?: NodeJS.WritableStream;
  /** Default `auto`: pretty when the destination is a terminal (isTTY), JSON otherwise. */
  format?: LogFormat;
}

/** Whether `format` means readable lines for a destination that is (or is not) a terminal. */
export function isPretty(format: LogFormat | undefined, isTty: boolean): boolean {
  return format === "pretty" || ((format ?? "auto") === "auto" && isTty);
}

/**
 * `destination` defaults to stdout written asynchronously: a line costs no
 * write(2) of its own under load (lines written meanwhile go out together),
 * and pino flushes what is left synchronously when the process exits.
 * Pretty lines are made from the JSON line after redaction, so both formats
 * censor the same fields.
 */
export function createLogger(opts: LoggerOptions): AppLogger {
  const given = opts.destination as (pino.DestinationStream & { isTTY?: boolean }) | undefined;
  const tty = given ? given.isTTY === true : process.stdout.isTTY === true;
  let destination: pino.DestinationStream = given ?? pino.destination({ dest: 1, sync: false });
  if (isPretty(opts.format, tty)) destination = prettyDestination(destination, { colors: tty && !process.env["NO_COLOR"] });
  return pino(
    {
      level: opts.level,
      name: opts.name ?? "scepgate",
      redact: { paths: REDACT, censor: "***" },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/**
 * A child of `logger` without redaction, for lines whose fields are fixed and
 * never secret (the access log): redaction is half the cost of a line.
 */
export function unredactedChild(logger: AppLogger): AppLogger {
  return logger.child({}, { redact: [] });
}

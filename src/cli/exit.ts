/**
 * How the `scepgate` command ends: its exit codes and its one-line errors
 * (`scepgate: …` on stderr; the stack too when SCEPGATE_DEBUG is set).
 */
import { CommanderError } from "commander";
import { InputError } from "../edge/admin-input.js";
import { OperatorError } from "../ra/errors.js";

/** The exit codes scripts may rely on. */
export const ExitCode = {
  ok: 0,
  /** Anything that went wrong: Redis unreachable, bad configuration, an internal error. */
  error: 1,
  /** The command line was wrong: unknown command or option, missing argument, bad value. */
  usage: 2,
  /** No such request (or profile). */
  notFound: 3,
  /** The request is not in a state that allows this (e.g. approving an issued request). */
  conflict: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The epilog of `--help`. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  done
  1  error (Redis unreachable, bad configuration, internal error)
  2  usage error (unknown command or option, missing or bad value)
  3  no such request or profile
  4  conflict: the request is not in a state that allows this`;

/** The exit code for an error thrown by a command. */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  if (err instanceof InputError) return ExitCode.usage;
  if (err instanceof OperatorError) return err.code === "not-found" ? ExitCode.notFound : ExitCode.conflict;
  return ExitCode.error;
}

/** `scepgate: MESSAGE` (the message's first line), with the stack after it when `debug`. */
export function errorText(err: unknown, debug = false): string {
  const message = err instanceof Error ? err.message : String(err);
  let text = `scepgate: ${message.split("\n")[0]}\n`;
  if (debug && err instanceof Error && err.stack) text += `${err.stack}\n`;
  return text;
}

/** A commander error message (`error: unknown option '--x'\n(Did you mean --y?)`) as one `scepgate:` line. */
export function commanderErrorLine(str: string): string {
  return `scepgate: ${str.replace(/^error: /, "").replace(/\s*\n\s*/g, " ").trim()}\n`;
}

/**
 * What operators may send: the checks of the admin API's query strings and
 * JSON bodies, shared with the CLI (`scepgate requests …`, `otp issue`) so
 * both accept exactly the same values. Pure functions; a bad value throws
 * {@link InputError} with one line naming the field.
 */
import { tryParseDuration } from "../config/index.js";
import { TransactionState } from "../ra/ports.js";

/** A value an operator sent that cannot be used (HTTP 400, CLI exit 2). */
export class InputError extends Error {
  override name = "InputError";
}

/** The states, as list filters accept them (`pending` is short for pending_approval). */
export const STATE_NAMES: readonly string[] = ["pending", ...Object.values(TransactionState)];

const STATES: ReadonlySet<string> = new Set(Object.values(TransactionState));

/** A state filter: a TransactionState, `pending` (= pending_approval), `-` for `_` allowed, any case. */
export function parseStateFilter(input: string): TransactionState {
  const s = input.trim().toLowerCase().replaceAll("-", "_");
  if (s === "pending") return "pending_approval";
  if (STATES.has(s)) return s as TransactionState;
  throw new InputError(`state: unknown state ${JSON.stringify(input.slice(0, 40))} (expected one of ${STATE_NAMES.join(", ")})`);
}

/** A list limit: a whole number from 1 (the store caps it at its own maximum). */
export function parseLimit(input: string | number): number {
  const n = typeof input === "number" ? input : /^\s*\d+\s*$/.test(input) ? Number(input) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InputError(`limit: expected a whole number from 1, got ${JSON.stringify(String(input).slice(0, 20))}`);
  return n;
}

/** Longest one-time password lifetime: a month. */
export const MAX_OTP_TTL_MS = 30 * 86_400_000;
/** Lifetime of a one-time password when none is asked for. */
export const DEFAULT_OTP_TTL_MS = 3_600_000;

/** A one-time password lifetime: a duration (`30m`, `1h`, `7d`) or a number of ms, from 1 s to 30 days. */
export function parseTtl(input: unknown): number {
  const ms = tryParseDuration(input);
  if (ms === undefined) throw new InputError(`ttl: expected a duration like 30m, 1h or 7d, or a number of ms`);
  if (ms < 1_000 || ms > MAX_OTP_TTL_MS) throw new InputError("ttl: must be from 1s to 30d");
  return ms;
}

/** Printable text of one line: no control characters (a reason reaches the device as failInfoText). */
function oneLine(field: string, input: unknown, max: number): string {
  if (typeof input !== "string") throw new InputError(`${field}: expected a string`);
  const text = input.trim();
  if (text === "") throw new InputError(`${field}: must not be empty`);
  if (text.length > max) throw new InputError(`${field}: at most ${max} characters`);
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(text)) throw new InputError(`${field}: must be one line of printable text`);
  return text;
}

/** Who an operator says they are (`--as`, `{"actor"}`): up to 64 printable characters. */
export function parseActorName(input: unknown, field = "actor"): string {
  return oneLine(field, input, 64);
}

/** Why a request is rejected (`--reason`, `{"reason"}`): required, one line, up to 500 characters. */
export function parseReason(input: unknown): string {
  if (input === undefined || input === null) throw new InputError("reason: required to reject a request");
  return oneLine("reason", input, 500);
}

/** The subject CN a one-time password is bound to: up to 64 characters (X.520 ub-common-name). */
export function parseSubjectCn(input: unknown): string {
  return oneLine("subject", input, 64);
}

/** A profile name as given by an operator (unknown names are the operator use-case's to refuse). */
export function parseProfileName(input: unknown): string {
  return oneLine("profile", input, 63);
}

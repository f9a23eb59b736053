/**
 * Human-friendly durations: `250ms`, `30s`, `5m`, `1h`, `7d`, `1h30m`, or a
 * plain number of milliseconds.
 *
 * @module
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/** What a duration looks like, for error messages. */
export const DURATION_HINT = "a duration like 250ms, 30s, 5m, 1h, 7d or a number of ms";

/**
 * Parses a duration, or returns `undefined` when `input` is not one.
 *
 * @param input - a number of ms, a string of digits (ms), or one or more
 *   `<number><unit>` parts with unit `ms|s|m|h|d` (e.g. `1h30m`, `1.5h`)
 * @returns whole milliseconds (rounded), never negative
 */
export function tryParseDuration(input: unknown): number | undefined {
  if (typeof input === "number") {
    return Number.isFinite(input) && input >= 0 ? Math.round(input) : undefined;
  }
  if (typeof input !== "string") return undefined;
  const text = input.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text));
  if (text === "") return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text);
    if (match === null) return undefined;
    const unit = match[2] as keyof typeof UNIT_MS;
    total += Number(match[1]) * UNIT_MS[unit];
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/**
 * Parses a duration into milliseconds; used for the duration keys of the
 * config and by the CLI (`otp issue --ttl 1h`).
 *
 * @param input - `"250ms"`, `"30s"`, `"5m"`, `"1h"`, `"24h"`, `"7d"`,
 *   `"1h30m"`, `"1500"` or `1500` (ms)
 * @returns whole milliseconds
 * @throws RangeError naming the bad input when it is not a duration
 */
export function parseDuration(input: string | number): number {
  const ms = tryParseDuration(input);
  if (ms === undefined) {
    throw new RangeError(`invalid duration ${JSON.stringify(input)}: expected ${DURATION_HINT}`);
  }
  return ms;
}

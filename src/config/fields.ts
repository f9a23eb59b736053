/**
 * Leaf schemas with one plain-English expectation each, so that every issue
 * on a key reads `expected <what>`, whatever went wrong.
 *
 * @module
 */
import * as z from "zod";
import { DURATION_HINT, tryParseDuration } from "./duration.js";

/** A mapping (YAML) / object whose keys are all known; unknown keys are errors. */
export function mapping<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject(shape, { error: "expected a mapping of keys" });
}

/** An integer in `[min, max]` (`max` optional). */
export function integer(min: number, max?: number) {
  const what = max === undefined ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  const error = `expected ${what}`;
  const base = z.int({ error }).min(min, { error });
  return max === undefined ? base : base.max(max, { error });
}

/** A boolean (`true`/`false` in YAML; `true|false|1|0` from the environment). */
export function flag() {
  return z.boolean({ error: "expected true or false" });
}

/** A string of at least `min` characters. */
export function text(min = 1) {
  const error = min <= 1 ? "expected a non-empty string" : `expected a string of at least ${min} characters`;
  return z.string({ error }).min(min, { error });
}

/** One of a fixed set of strings. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `expected one of ${values.join("|")}` });
}

/** A URL whose scheme is one of `protocols` (e.g. `["http:", "https:"]`). */
export function url(protocols: readonly string[], what: string) {
  const error = `expected ${what}`;
  return z.string({ error }).refine((value) => {
    if (!URL.canParse(value)) return false;
    return protocols.includes(new URL(value).protocol);
  }, { error });
}

/**
 * A duration (see {@link tryParseDuration}), output as whole milliseconds.
 * The schema accepts `"30s"` or a number of ms; defaults are given as input
 * text (`prefault`) so the example file and the schema say the same thing.
 * `minLabel` spells `minMs` in the error (default `<minMs>ms`).
 */
export function duration(minMs = 0, minLabel = `${minMs}ms`) {
  const error = minMs > 0 ? `expected ${DURATION_HINT}, at least ${minLabel}` : `expected ${DURATION_HINT}`;
  return z.union([z.string(), z.number()], { error }).transform((value, ctx) => {
    const ms = tryParseDuration(value);
    if (ms === undefined || ms < minMs) {
      ctx.issues.push({ code: "custom", message: error, input: value });
      return z.NEVER;
    }
    return ms;
  });
}

/** A JavaScript regular expression source (no flags) that must compile. */
export function regexSource() {
  return z.string({ error: "expected a regular expression" }).superRefine((value, ctx) => {
    try {
      new RegExp(value);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      ctx.addIssue({ code: "custom", message: `expected a valid regular expression (${reason})` });
    }
  });
}

const FINGERPRINT_HINT = 'expected "sha256:" followed by 64 hex digits, with or without colons';

/**
 * A SHA-256 certificate fingerprint pin: `sha256:` + 64 hex digits, bare or
 * as colon-separated pairs (the form `openssl x509 -fingerprint` prints).
 * Output: 64 lowercase hex digits, no prefix, no colons.
 */
export function sha256Fingerprint() {
  return z.string({ error: FINGERPRINT_HINT }).transform((value, ctx) => {
    const hex = normaliseFingerprint(value);
    if (hex === undefined) {
      ctx.issues.push({ code: "custom", message: FINGERPRINT_HINT, input: value });
      return z.NEVER;
    }
    return hex;
  });
}

function normaliseFingerprint(value: string): string | undefined {
  const match = /^sha-?256:(.*)$/i.exec(value.trim());
  const body = match?.[1];
  if (body === undefined) return undefined;
  const bare = /^[0-9a-f]{64}$/i.test(body);
  const paired = /^(?:[0-9a-f]{2}:){31}[0-9a-f]{2}$/i.test(body);
  return bare || paired ? body.replaceAll(":", "").toLowerCase() : undefined;
}

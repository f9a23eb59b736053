/**
 * The SCEP query string: `operation=` and `message=` (RFC 8894 §4.1), parsed
 * from the RAW query so the base64 quirks of real clients survive.
 *
 * `URLSearchParams` would turn a raw `+` into a space and throw away the
 * difference between `+` and `%2B`; SCEP clients are not form encoders, so
 * the query is split by hand here and `message` is decoded by
 * {@link decodeMessageParam}.
 */

/** The two SCEP parameters, as they appear on the wire. */
export interface ScepQuery {
  /** `operation`, percent-decoded; undefined when absent. */
  operation: string | undefined;
  /** `message`, exactly as sent (not decoded); undefined when absent. */
  message: string | undefined;
}

/**
 * Split the query of `url` (everything after the first `?`, up to a `#`) into
 * the SCEP parameters. The first occurrence of each wins; other parameters are
 * ignored. Parameter names are matched exactly (`operation`, `message`), as
 * every client spells them.
 */
export function parseScepQuery(url: string): ScepQuery {
  const result: ScepQuery = { operation: undefined, message: undefined };
  const q = url.indexOf("?");
  if (q < 0) return result;
  let end = url.indexOf("#", q);
  if (end < 0) end = url.length;
  let i = q + 1;
  while (i < end) {
    let amp = url.indexOf("&", i);
    if (amp < 0 || amp > end) amp = end;
    const eq = url.indexOf("=", i);
    if (eq > i && eq < amp) {
      const name = url.slice(i, eq);
      if (name === "operation") {
        result.operation ??= decodeQueryText(url.slice(eq + 1, amp));
      } else if (name === "message") {
        result.message ??= url.slice(eq + 1, amp);
      }
    }
    i = amp + 1;
  }
  return result;
}

/**
 * Decode a form-style query value meant as text (an operation or profile
 * name): `+` is a space, `%XX` a byte of UTF-8. Malformed escapes are left as
 * they are instead of throwing.
 */
export function decodeQueryText(raw: string): string {
  if (!raw.includes("%") && !raw.includes("+")) return raw;
  const spaced = raw.replace(/\+/g, " ");
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** Why a `message` value was refused. */
export type MessageParamError =
  /** Not base64 after normalisation, or decodes to nothing (HTTP 400). */
  | "not-base64"
  /** Decodes to more than the body limit (HTTP 413). */
  | "too-large";

export type MessageParamResult = { ok: true; bytes: Uint8Array } | { ok: false; error: MessageParamError };

const STANDARD_BASE64 = /^[A-Za-z0-9+/]*$/;
const PERCENT_ESCAPE = /%([0-9A-Fa-f]{2})/g;
const LINE_BREAKS = /[\r\n\t]/g;

/**
 * Decode the raw `message=` value of a GET PKIOperation into the DER bytes of
 * the pkiMessage (RFC 8894 §4.1: "base64-encoded"). Tolerated, in this order:
 *
 * 1. percent-escapes, decoded byte for byte (`%2B`, `%2F`, `%3D`, `%0A`...);
 *    NOTE(client): certmonger URL-encodes the whole value, macOS sends `%3D`
 *    padding, strongSwan wraps every 64 characters with `%0A`.
 * 2. CR, LF and TAB are dropped (the line breaks of step 1).
 * 3. a space stands for `+` (a raw `+` that something decoded form-style).
 *    NOTE(client): Apple iOS/macOS send `+` and `/` unescaped.
 * 4. URL-safe base64: `-` is `+`, `_` is `/`.
 *    NOTE(client): micromdm scepclient without POSTPKIOperation.
 * 5. trailing `=` padding is optional (up to two; none may appear elsewhere).
 *
 * Anything else outside the base64 alphabet, a length that cannot be base64
 * (4n+1 characters), or an empty value gives `not-base64`; more than
 * `maxBytes` decoded bytes gives `too-large` (checked before decoding). The
 * bytes returned own their ArrayBuffer (offset 0, exact length).
 */
export function decodeMessageParam(raw: string, maxBytes: number): MessageParamResult {
  let s = raw;
  if (s.includes("%")) s = s.replace(PERCENT_ESCAPE, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  let body = stripPadding(s);
  if (body === undefined || !STANDARD_BASE64.test(body)) body = stripPadding(normalise(s));
  if (body === undefined || body.length === 0 || body.length % 4 === 1 || !STANDARD_BASE64.test(body)) {
    return { ok: false, error: "not-base64" };
  }
  if (Math.floor((body.length * 3) / 4) > maxBytes) return { ok: false, error: "too-large" };
  // A copy that owns its ArrayBuffer: Buffer.from may hand out a slice of the
  // shared pool, and a consumer reading `.buffer` would see the whole pool.
  return { ok: true, bytes: new Uint8Array(Buffer.from(body, "base64")) };
}

/** Steps 2 to 4 of {@link decodeMessageParam}. */
function normalise(s: string): string {
  return s.replace(LINE_BREAKS, "").replace(/ /g, "+").replace(/-/g, "+").replace(/_/g, "/");
}

/** `s` without up to two trailing `=`; undefined when `=` appears anywhere else. */
function stripPadding(s: string): string | undefined {
  let end = s.length;
  while (end > 0 && end > s.length - 2 && s.charCodeAt(end - 1) === 0x3d) end--;
  const body = end === s.length ? s : s.slice(0, end);
  return body.includes("=") ? undefined : body;
}

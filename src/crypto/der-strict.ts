/**
 * Strict DER checks on top of the BER reader of der.ts (X.690 §10), for the
 * few small structures that must be DER even inside a BER message, such as
 * algorithm parameters (RFC 4055 §3.1: RSASSA-PSS-params).
 *
 * The reader accepts indefinite lengths and long-form lengths that a short
 * form could hold, because real clients send them in the big CMS structures.
 * Here those are errors, as are non-minimal INTEGERs.
 */
import { children, contents, parseDer, type Tlv } from "./der.js";
import { DerError } from "./errors.js";

/** How many header octets X.690 §10.1 allows for `length` content octets. */
function derHeaderLength(length: number): number {
  if (length < 0x80) return 2;
  let octets = 0;
  for (let v = length; v > 0; v = Math.floor(v / 256)) octets++;
  return 2 + octets;
}

/** Throws DerError unless `t` has a definite, minimally encoded length (X.690 §10.1). */
export function assertDerLength(t: Tlv, what: string): Tlv {
  if (t.contentEnd !== t.end) throw new DerError(`${what}: indefinite length is not DER`);
  if (t.contentStart - t.start !== derHeaderLength(t.contentEnd - t.contentStart)) {
    throw new DerError(`${what}: length not in its shortest form (not DER)`);
  }
  return t;
}

/** Parses exactly one DER element, checking the lengths of it and of everything inside it. */
export function parseStrictDer(der: Uint8Array, what: string): Tlv {
  const root = parseDer(der);
  const pending: Tlv[] = [root];
  for (let t = pending.pop(); t; t = pending.pop()) {
    assertDerLength(t, what);
    if ((t.tag & 0x20) !== 0) pending.push(...children(t));
  }
  return root;
}

/** The value of a DER INTEGER as a bigint; throws DerError on a non-minimal encoding (X.690 §8.3.2). */
export function derIntegerValue(t: Tlv, what: string): bigint {
  if (t.tag !== 0x02) throw new DerError(`${what}: expected an INTEGER, got tag 0x${t.tag.toString(16)}`);
  const bytes = contents(t);
  if (bytes.length === 0) throw new DerError(`${what}: empty INTEGER`);
  const [b0, b1 = 0] = bytes;
  if (bytes.length > 1 && ((b0 === 0x00 && b1 < 0x80) || (b0 === 0xff && b1 >= 0x80))) {
    throw new DerError(`${what}: INTEGER not in its shortest form (not DER)`);
  }
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return (b0! & 0x80) !== 0 ? v - (1n << BigInt(8 * bytes.length)) : v;
}

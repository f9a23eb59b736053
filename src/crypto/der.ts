/**
 * A minimal BER reader and DER writer for the CMS structures SCEP uses.
 *
 * Why not asn1js/pkijs here: on this machine `asn1js.fromBER` alone takes
 * ~150 µs for one 2 KiB certificate and pkijs' schema comparison twice that,
 * while a whole PENDING answer has a budget of ~1.4 ms of one core (issue 5).
 * SCEP needs a handful of fixed structures, so a TLV walker over the raw bytes
 * (a few µs per message) is both simpler and fast. The reader accepts BER
 * (indefinite lengths, constructed strings) because real clients send it; the
 * writer emits DER only.
 */
import { DerError } from "./errors.js";

/** One decoded TLV: its tag octet and where its header and contents lie in `buf`. */
export interface Tlv {
  readonly buf: Uint8Array;
  /** The identifier octet (class, constructed bit and tag number < 31). */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset just past the contents (before the end-of-contents octets if indefinite). */
  readonly contentEnd: number;
  /** Offset just past the whole element. */
  readonly end: number;
}

export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

const MAX_DEPTH = 40;

/** Reads the TLV starting at `offset`; throws DerError on any malformation. */
export function readTlv(buf: Uint8Array, offset = 0, limit = buf.length, depth = 0): Tlv {
  if (depth > MAX_DEPTH) throw new DerError("nesting too deep");
  if (offset + 2 > limit) throw new DerError("truncated element");
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte tags are not supported");
  let pos = offset + 1;
  const first = buf[pos++]!;
  if (first < 0x80) return finish(buf, tag, offset, pos, pos + first, limit);
  if (first === 0x80) return readIndefinite(buf, tag, offset, pos, limit, depth);
  const n = first & 0x7f;
  if (n > 4) throw new DerError("length field too large");
  if (pos + n > limit) throw new DerError("truncated length");
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + buf[pos++]!;
  return finish(buf, tag, offset, pos, pos + len, limit);
}

function finish(buf: Uint8Array, tag: number, start: number, contentStart: number, end: number, limit: number): Tlv {
  if (end > limit) throw new DerError("length exceeds the data");
  return { buf, tag, start, contentStart, contentEnd: end, end };
}

function readIndefinite(buf: Uint8Array, tag: number, start: number, contentStart: number, limit: number, depth: number): Tlv {
  if ((tag & 0x20) === 0) throw new DerError("indefinite length on a primitive element");
  let pos = contentStart;
  for (;;) {
    if (pos + 2 > limit) throw new DerError("missing end-of-contents");
    if (buf[pos] === 0 && buf[pos + 1] === 0) return { buf, tag, start, contentStart, contentEnd: pos, end: pos + 2 };
    pos = readTlv(buf, pos, limit, depth + 1).end;
  }
}

/** Parses `buf` as exactly one element (no trailing bytes). */
export function parseDer(buf: Uint8Array): Tlv {
  const tlv = readTlv(buf, 0, buf.length);
  if (tlv.end !== buf.length) throw new DerError("trailing data after the element");
  return tlv;
}

/** The children of a constructed element. */
export function children(tlv: Tlv): Tlv[] {
  if ((tlv.tag & 0x20) === 0) throw new DerError(`element 0x${tlv.tag.toString(16)} is not constructed`);
  const out: Tlv[] = [];
  let pos = tlv.contentStart;
  while (pos < tlv.contentEnd) {
    const child = readTlv(tlv.buf, pos, tlv.contentEnd);
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** The contents octets (for a primitive element). */
export function contents(tlv: Tlv): Uint8Array {
  return tlv.buf.subarray(tlv.contentStart, tlv.contentEnd);
}

/** The whole encoding of the element, header included. */
export function raw(tlv: Tlv): Uint8Array {
  return tlv.buf.subarray(tlv.start, tlv.end);
}

/** Asserts the tag and returns the element, naming `what` on mismatch. */
export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv) throw new DerError(`${what}: missing`);
  if (tlv.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${tlv.tag.toString(16)}`);
  return tlv;
}

/** Children of a SEQUENCE/SET with the expected tag, at least `min` of them. */
export function expectChildren(tlv: Tlv | undefined, tag: number, what: string, min = 0): Tlv[] {
  const kids = children(expectTag(tlv, tag, what));
  if (kids.length < min) throw new DerError(`${what}: expected at least ${min} elements, got ${kids.length}`);
  return kids;
}

/**
 * The value of an OCTET STRING, joining BER constructed segments
 * (NOTE(client): micromdm scepclient sends encryptedContent as a constructed [0]).
 * Each segment is itself an OCTET STRING (X.690 §8.7.3.2); any other element
 * used to count as an empty segment (issue 12, fuzz-shape-fields).
 */
export function octetValue(tlv: Tlv): Uint8Array {
  if ((tlv.tag & 0x20) === 0) return contents(tlv);
  return Buffer.concat(children(tlv).map((s) => octetValue(s.tag === 0x24 ? s : expectTag(s, Tag.OCTET_STRING, "OCTET STRING segment"))));
}

const oidCache = new Map<string, string>();

/**
 * Decodes an OBJECT IDENTIFIER to dotted form. Arcs are exact at any size:
 * (issue 12, fuzz-oid-huge-arc) a float accumulator printed arcs past 2^53
 * rounded or as "1e+21", so distinct OIDs decoded to the same string.
 */
export function oidValue(tlv: Tlv): string {
  const bytes = contents(expectTag(tlv, Tag.OID, "object identifier"));
  const key = Buffer.from(bytes).toString("latin1");
  const hit = oidCache.get(key);
  if (hit) return hit;
  if (bytes.length === 0) throw new DerError("empty object identifier");
  const arcs: bigint[] = [];
  let value = 0n;
  let fresh = true;
  for (const b of bytes) {
    if (fresh && b === 0x80) throw new DerError("object identifier arc with a leading 0x80 octet");
    value = (value << 7n) | BigInt(b & 0x7f);
    fresh = (b & 0x80) === 0;
    if (fresh) {
      arcs.push(value);
      value = 0n;
    }
  }
  if ((bytes[bytes.length - 1]! & 0x80) !== 0) throw new DerError("truncated object identifier");
  const head = arcs.shift()!;
  const firstArc = head < 80n ? head / 40n : 2n;
  const dotted = [firstArc, head - firstArc * 40n, ...arcs].join(".");
  if (oidCache.size < 4096) oidCache.set(key, dotted);
  return dotted;
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decodes a string type (Printable, UTF8, IA5, T61 as latin1, BMP). */
export function stringValue(tlv: Tlv): string {
  const bytes = contents(tlv);
  switch (tlv.tag) {
    case Tag.UTF8_STRING:
      // Not valid UTF-8 is refused (issue 12, fuzz-utf8-invalid): it used to decode to U+FFFD, another string than the one sent.
      try {
        return utf8Decoder.decode(bytes);
      } catch {
        throw new DerError("UTF8String is not valid UTF-8");
      }
    case Tag.BMP_STRING:
      if (bytes.length % 2 !== 0) throw new DerError("BMPString of odd length");
      return Buffer.from(bytes).swap16().toString("utf16le");
    case Tag.PRINTABLE_STRING:
    case Tag.IA5_STRING:
    case Tag.T61_STRING:
      return Buffer.from(bytes).toString("latin1");
    default:
      throw new DerError(`expected a string, got tag 0x${tlv.tag.toString(16)}`);
  }
}

/**
 * Decodes UTCTime / GeneralizedTime (the forms X.509 and CMS use: Z suffix).
 * UTCTime has a 2-digit year, GeneralizedTime a 4-digit one, and each field
 * its range (RFC 5280 §4.1.2.5.1-2): a GeneralizedTime "261203..." used to
 * read as year 26, a month 26 to roll over into the next years (issue 12, fuzz-time-year-digits).
 */
export function timeValue(tlv: Tlv): Date {
  const s = Buffer.from(contents(tlv)).toString("latin1");
  const kind = tlv.tag === Tag.UTC_TIME ? "UTCTime" : tlv.tag === Tag.GENERALIZED_TIME ? "GeneralizedTime" : undefined;
  if (!kind) throw new DerError("expected a time");
  const m = (kind === "UTCTime" ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z$/ : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z$/).exec(s);
  const [month, day, hour, minute, second] = [m?.[2], m?.[3], m?.[4], m?.[5], m?.[6] ?? "0"].map(Number) as [number, number, number, number, number];
  if (!m || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) throw new DerError(`bad ${kind} value "${s}"`);
  let year = Number(m[1]);
  if (kind === "UTCTime") year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

/** Decodes a small non-negative INTEGER. */
export function smallIntValue(tlv: Tlv): number {
  const bytes = contents(expectTag(tlv, Tag.INTEGER, "integer"));
  if (bytes.length === 0 || bytes.length > 6) throw new DerError("integer out of range");
  let v = 0;
  for (const b of bytes) v = v * 256 + b;
  if ((bytes[0]! & 0x80) !== 0) throw new DerError("negative integer");
  return v;
}

// ---------------------------------------------------------------- writer

function lengthOctets(len: number): Uint8Array {
  if (len < 0x80) return Uint8Array.of(len);
  const bytes: number[] = [];
  for (let v = len; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** Encodes one element from its tag and contents (concatenated). */
export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  return Buffer.concat([Uint8Array.of(tag), lengthOctets(body.length), body]);
}

export const seq = (...parts: Uint8Array[]): Uint8Array => tlv(Tag.SEQUENCE, ...parts);

/** SET OF in DER order (elements sorted by their encodings, X.690 §11.6). */
export function setOf(...parts: Uint8Array[]): Uint8Array {
  return tlv(Tag.SET, ...[...parts].sort((a, b) => Buffer.compare(a, b)));
}

/** Context-specific tag `n`, constructed (explicit or constructed implicit). */
export const ctx = (n: number, ...parts: Uint8Array[]): Uint8Array => tlv(0xa0 | n, ...parts);

/** Context-specific tag `n`, primitive (implicit primitive). */
export const ctxPrim = (n: number, value: Uint8Array): Uint8Array => tlv(0x80 | n, value);

export const octets = (value: Uint8Array): Uint8Array => tlv(Tag.OCTET_STRING, value);
export const printable = (s: string): Uint8Array => tlv(Tag.PRINTABLE_STRING, Buffer.from(s, "latin1"));
export const utf8 = (s: string): Uint8Array => tlv(Tag.UTF8_STRING, Buffer.from(s, "utf8"));
export const ia5 = (s: string): Uint8Array => tlv(Tag.IA5_STRING, Buffer.from(s, "latin1"));
export const derNull = (): Uint8Array => Uint8Array.of(Tag.NULL, 0);
export const bool = (v: boolean): Uint8Array => Uint8Array.of(Tag.BOOLEAN, 1, v ? 0xff : 0);
export const bitString = (value: Uint8Array, unusedBits = 0): Uint8Array =>
  tlv(Tag.BIT_STRING, Uint8Array.of(unusedBits), value);

/** INTEGER from a non-negative number, bigint, or unsigned big-endian bytes. */
export function int(value: number | bigint | Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  if (value instanceof Uint8Array) {
    let i = 0;
    while (i < value.length - 1 && value[i] === 0) i++;
    bytes = value.subarray(i);
  } else {
    let hex = BigInt(value).toString(16);
    if (hex.length % 2) hex = "0" + hex;
    bytes = Buffer.from(hex, "hex");
  }
  if (bytes.length === 0) bytes = Uint8Array.of(0);
  if ((bytes[0]! & 0x80) !== 0) bytes = Buffer.concat([Uint8Array.of(0), bytes]);
  return tlv(Tag.INTEGER, bytes);
}

/** INTEGER from its contents octets exactly as found (e.g. a serial number being echoed). */
export const intRaw = (contentsOctets: Uint8Array): Uint8Array => tlv(Tag.INTEGER, contentsOctets);

const oidEncCache = new Map<string, Uint8Array>();

/** OBJECT IDENTIFIER from dotted form. */
export function oid(dotted: string): Uint8Array {
  const hit = oidEncCache.get(dotted);
  if (hit) return hit;
  const arcs = dotted.split(".").map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) throw new DerError(`bad OID ${dotted}`);
  const body: number[] = [];
  const values = [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)];
  for (const v of values) {
    const septets: number[] = [];
    for (let x = v; ; x = Math.floor(x / 128)) {
      septets.unshift((x % 128) | (septets.length ? 0x80 : 0));
      if (x < 128) break;
    }
    body.push(...septets);
  }
  const enc = tlv(Tag.OID, Uint8Array.from(body));
  oidEncCache.set(dotted, enc);
  return enc;
}

/** AlgorithmIdentifier { algorithm, parameters } (parameters omitted when undefined). */
export function algorithmId(dotted: string, params?: Uint8Array): Uint8Array {
  return params ? seq(oid(dotted), params) : seq(oid(dotted));
}

function pad2(n: number): string {
  return n.toString().padStart(2, "0");
}

/** UTCTime for years 1950-2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5). */
export function time(d: Date): Uint8Array {
  const y = d.getUTCFullYear();
  const rest = `${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(Tag.UTC_TIME, Buffer.from(pad2(y % 100) + rest, "latin1"));
  return tlv(Tag.GENERALIZED_TIME, Buffer.from(y.toString().padStart(4, "0") + rest, "latin1"));
}

/** Re-tags an encoded element (e.g. the [0] IMPLICIT signedAttrs as a SET for signing). */
export function retag(encoded: Uint8Array, tag: number): Uint8Array {
  const copy = Buffer.from(encoded);
  copy[0] = tag;
  return copy;
}

/**
 * The BER reader / DER writer (src/crypto/der.ts) at its edges. Expected
 * encodings are written out in hex from X.690, not produced by the writer.
 */
import { describe, expect, it } from "vitest";
import { DerError } from "../../../src/crypto/index.js";
import {
  algorithmId, children, contents, ctx, int, intRaw, octets, octetValue, oid, oidValue, parseDer, readTlv, retag, seq, setOf, smallIntValue,
  stringValue, Tag, time, timeValue, tlv, type Tlv,
} from "../../../src/crypto/der.js";

const h = (hex: string): Buffer => Buffer.from(hex.replace(/\s+/g, ""), "hex");
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const read = (bytes: Uint8Array): Tlv => parseDer(bytes);

describe("OBJECT IDENTIFIER", () => {
  it.each([
    ["1.2.840.113549", "06 06 2a 86 48 86 f7 0d"],
    ["1.2.840.113549.1.1.11", "06 09 2a 86 48 86 f7 0d 01 01 0b"],
    ["2.5.4.3", "06 03 55 04 03"],
    ["0.0", "06 01 00"],
    ["0.9.2342.19200300.100.1.25", "06 0a 09 92 26 89 93 f2 2c 64 01 19"],
    ["2.47", "06 01 7f"],
    ["2.48", "06 02 81 00"],
    ["2.999.3", "06 03 88 37 03"],
    ["2.25.9007199254740991", "06 09 69 8f ff ff ff ff ff ff 7f"],
    ["1.3.6.1.4.1.311.21.20", "06 09 2b 06 01 04 01 82 37 15 14"],
  ])("ok/%s encodes as %s and decodes back", (dotted, enc) => {
    expect(hex(oid(dotted))).toBe(hex(h(enc)));
    expect(oidValue(read(h(enc)))).toBe(dotted);
  });

  it("ok/large arcs round trip (up to 2^53 - 1, the largest exact number)", () => {
    for (const arc of [127, 128, 16383, 16384, 2 ** 21, 2 ** 28 - 1, 2 ** 32, 2 ** 45 + 7, Number.MAX_SAFE_INTEGER]) {
      const dotted = `1.3.6.1.4.1.${arc}.7`;
      expect(oidValue(read(oid(dotted)))).toBe(dotted);
    }
  });

  it.each(["1", "", "1.x.3", "1.-2.3", "1.2.9007199254740992"])("fail/the writer refuses %j", (dotted) => {
    expect(() => oid(dotted)).toThrow(DerError);
  });

  it.each([
    ["empty", "06 00"],
    ["last octet with the continuation bit (cut arc)", "06 02 2a 86"],
    ["an arc with a leading 0x80 octet (not minimal)", "06 04 2a 80 86 48"],
    ["a different tag", "04 01 2a"],
  ])("fail/the reader refuses an OID that is %s", (_what, enc) => {
    expect(() => oidValue(read(h(enc)))).toThrow(DerError);
  });
});

describe("INTEGER", () => {
  it.each<[string, number | bigint | Uint8Array, string]>([
    ["0", 0, "02 01 00"],
    ["127", 127, "02 01 7f"],
    ["128 (high bit: a 0x00 is prepended)", 128, "02 02 00 80"],
    ["255n", 255n, "02 02 00 ff"],
    ["256", 256, "02 02 01 00"],
    ["2^64", 2n ** 64n, "02 09 01 00 00 00 00 00 00 00 00"],
    ["unsigned bytes with the high bit", h("ff 01"), "02 03 00 ff 01"],
    ["bytes with leading zeros (stripped)", h("00 00 7f"), "02 01 7f"],
    ["bytes with leading zeros before a high bit", h("00 00 80"), "02 02 00 80"],
    ["no bytes", new Uint8Array(0), "02 01 00"],
  ])("ok/int(%s)", (_what, value, enc) => {
    expect(hex(int(value))).toBe(hex(h(enc)));
  });

  it("ok/intRaw keeps the contents octets as given (a serial being echoed)", () => {
    expect(hex(intRaw(h("00 00 80")))).toBe("0203000080");
  });

  it("ok/smallIntValue reads back what int writes, up to 6 octets", () => {
    for (const v of [0, 1, 127, 128, 255, 256, 65535, 2 ** 31, 2 ** 40 - 1]) expect(smallIntValue(read(int(v)))).toBe(v);
  });

  it.each([
    ["negative", "02 01 ff"],
    ["empty", "02 00"],
    ["longer than 6 octets", "02 07 01 00 00 00 00 00 00"],
    ["not an INTEGER", "04 01 01"],
  ])("fail/smallIntValue refuses a %s value", (_what, enc) => {
    expect(() => smallIntValue(read(h(enc)))).toThrow(DerError);
  });
});

describe("time", () => {
  it.each([
    ["1950-01-01T00:00:00Z", Tag.UTC_TIME, "500101000000Z"],
    ["2049-12-31T23:59:59Z", Tag.UTC_TIME, "491231235959Z"],
    ["2026-11-24T07:14:48Z", Tag.UTC_TIME, "261124071448Z"],
    ["2050-01-01T00:00:00Z", Tag.GENERALIZED_TIME, "20500101000000Z"],
    ["1949-12-31T23:59:59Z", Tag.GENERALIZED_TIME, "19491231235959Z"],
    ["9999-12-31T23:59:59Z", Tag.GENERALIZED_TIME, "99991231235959Z"],
  ])("ok/%s is written as tag %i %s (RFC 5280 §4.1.2.5) and read back", (iso, tag, text) => {
    const enc = time(new Date(iso));
    expect(enc[0]).toBe(tag);
    expect(Buffer.from(contents(read(enc))).toString("latin1")).toBe(text);
    expect(timeValue(read(enc)).toISOString()).toBe(new Date(iso).toISOString());
  });

  it.each([
    [Tag.UTC_TIME, "491231235959Z", "2049-12-31T23:59:59.000Z"],
    [Tag.UTC_TIME, "500101000000Z", "1950-01-01T00:00:00.000Z"],
    [Tag.UTC_TIME, "2401011200Z", "2024-01-01T12:00:00.000Z"],
    [Tag.GENERALIZED_TIME, "20240101120000.123Z", "2024-01-01T12:00:00.000Z"],
    [Tag.GENERALIZED_TIME, "19491231235959Z", "1949-12-31T23:59:59.000Z"],
  ])("ok/reads tag %i %s", (tag, text, iso) => {
    expect(timeValue(read(tlv(tag, Buffer.from(text, "latin1")))).toISOString()).toBe(iso);
  });

  it.each([
    [Tag.UTC_TIME, "240101120000+0100"],
    [Tag.GENERALIZED_TIME, "20240101120000"],
    [Tag.UTC_TIME, "24-01-01"],
    [Tag.PRINTABLE_STRING, "240101120000Z"],
  ])("fail/refuses tag %i %j", (tag, text) => {
    expect(() => timeValue(read(tlv(tag, Buffer.from(text, "latin1"))))).toThrow(DerError);
  });
});

describe("strings", () => {
  it("ok/BMPString is UTF-16BE, surrogate pairs included", () => {
    const s = "Grüße 東京 😀";
    const be = Buffer.from(s, "utf16le").swap16();
    expect(stringValue(read(tlv(Tag.BMP_STRING, be)))).toBe(s);
  });

  it("fail/a BMPString of odd length is a DerError", () => {
    expect(() => stringValue(read(h("1e 03 00 41 00")))).toThrow(DerError);
  });

  it.each([
    [Tag.UTF8_STRING, Buffer.from("ü €", "utf8"), "ü €"],
    [Tag.PRINTABLE_STRING, Buffer.from("abc 123", "latin1"), "abc 123"],
    [Tag.IA5_STRING, Buffer.from("a@b.c", "latin1"), "a@b.c"],
    [Tag.T61_STRING, h("e9 74 e9"), "été"],
  ])("ok/tag %i decodes", (tag, bytes, text) => {
    expect(stringValue(read(tlv(tag, bytes)))).toBe(text);
  });

  it("fail/a non-string tag is a DerError", () => {
    expect(() => stringValue(read(h("02 01 01")))).toThrow(DerError);
  });
});

describe("OCTET STRING values", () => {
  it("ok/primitive", () => {
    expect(hex(octetValue(read(octets(h("aa bb")))))).toBe("aabb");
  });

  it("ok/constructed, definite length, segments joined", () => {
    expect(hex(octetValue(read(h("24 08 04 02 aa bb 04 02 cc dd"))))).toBe("aabbccdd");
  });

  it("ok/constructed, indefinite length, nested segments joined in order", () => {
    expect(hex(octetValue(read(h("24 80 04 02 aa bb 24 80 04 01 cc 00 00 04 01 dd 00 00"))))).toBe("aabbccdd");
  });

  it("ok/a constructed [0] (micromdm scepclient's encryptedContent) joins its OCTET STRING segments", () => {
    expect(hex(octetValue(read(h("a0 80 04 03 01 02 03 04 01 04 00 00"))))).toBe("01020304");
  });

  it("ok/an empty constructed string is empty", () => {
    expect(octetValue(read(h("24 80 00 00")))).toHaveLength(0);
  });
});

describe("lengths and the reader", () => {
  it.each([
    [0, "04 00"],
    [127, "04 7f"],
    [128, "04 81 80"],
    [255, "04 81 ff"],
    [256, "04 82 01 00"],
    [65536, "04 83 01 00 00"],
  ])("ok/a %i-octet value gets the header %s and reads back", (n, header) => {
    const enc = octets(new Uint8Array(n).fill(7));
    expect(hex(enc.subarray(0, enc.length - n))).toBe(hex(h(header)));
    const t = read(enc);
    expect(t.contentEnd - t.contentStart).toBe(n);
  });

  it("ok/indefinite length: contents end before the end-of-contents octets", () => {
    const t = read(h("30 80 02 01 05 00 00"));
    expect([t.contentStart, t.contentEnd, t.end]).toEqual([2, 5, 7]);
    expect(children(t).map((c) => smallIntValue(c))).toEqual([5]);
  });

  it("ok/40 levels of indefinite nesting are read", () => {
    const n = 40;
    const bytes = Buffer.concat([Buffer.alloc(n * 2, h("30 80")), Buffer.alloc(n * 2)]);
    expect(read(bytes).end).toBe(bytes.length);
  });

  it.each([
    ["empty input", ""],
    ["a lone tag", "30"],
    ["length beyond the data", "04 05 01 02"],
    ["a 5-octet length field", "04 85 00 00 00 00 01 00"],
    ["a huge length", "30 84 ff ff ff ff 00"],
    ["a truncated length field", "04 82 01"],
    ["a multi-byte tag", "1f 81 00 00"],
    ["indefinite length on a primitive", "04 80 01 00 00"],
    ["missing end-of-contents", "30 80 02 01 05"],
    ["trailing data", "05 00 00"],
    ["a child running past its parent", "30 03 04 05 01 02 03 04 05"],
  ])("fail/%s is a DerError", (_what, enc) => {
    expect(() => {
      const t = read(h(enc));
      if ((t.tag & 0x20) !== 0) children(t);
    }).toThrow(DerError);
  });

  it("fail/41 levels of indefinite nesting are refused (bounded recursion)", () => {
    const n = 42;
    expect(() => read(Buffer.concat([Buffer.alloc(n * 2, h("30 80")), Buffer.alloc(n * 2)]))).toThrow(/nesting too deep/);
  });

  it("ok/readTlv honours its limit", () => {
    const bytes = h("04 02 aa bb 05 00");
    expect(readTlv(bytes, 4).tag).toBe(Tag.NULL);
    expect(() => readTlv(bytes, 0, 3)).toThrow(DerError);
  });
});

describe("writer helpers", () => {
  it("ok/setOf sorts by encoding (X.690 §11.6), seq keeps order", () => {
    const a = int(2);
    const b = int(1);
    const long = int(256);
    expect(hex(setOf(a, long, b))).toBe(hex(h("31 0a 02 01 01 02 01 02 02 02 01 00")));
    expect(hex(seq(a, b))).toBe(hex(h("30 06 02 01 02 02 01 01")));
  });

  it("ok/algorithmId with and without parameters, ctx and retag", () => {
    expect(hex(algorithmId("2.5.4.3"))).toBe("3005" + "0603550403");
    expect(hex(algorithmId("2.5.4.3", h("05 00")))).toBe("3007" + "0603550403" + "0500");
    expect(hex(ctx(0, h("05 00")))).toBe("a0020500");
    expect(hex(retag(setOf(int(1)), 0xa0))).toBe("a003020101");
  });
});

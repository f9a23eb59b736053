import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decodeMessageParam, parseScepQuery } from "../../../src/edge/message-param.js";

const LIMIT = 64 * 1024;

/** Bytes whose base64 has `+`, `/` and one `=` of padding, like a real pkiMessage would. */
function sample(): { bytes: Buffer; b64: string } {
  for (;;) {
    const bytes = randomBytes(200);
    const b64 = bytes.toString("base64");
    if (b64.includes("+") && b64.includes("/") && b64.endsWith("=") && !b64.endsWith("==")) return { bytes, b64 };
  }
}

function decodeOk(raw: string): Buffer {
  const r = decodeMessageParam(raw, LIMIT);
  if (!r.ok) throw new Error(`refused: ${r.error}`);
  return Buffer.from(r.bytes);
}

describe("decodeMessageParam", () => {
  const { bytes, b64 } = sample();

  it("ok/standard base64 with raw + and / (Apple iOS/macOS)", () => {
    expect(decodeOk(b64)).toEqual(bytes);
  });

  it("ok/fully percent-encoded %2B %2F %3D (certmonger)", () => {
    expect(decodeOk(encodeURIComponent(b64))).toEqual(bytes);
    expect(encodeURIComponent(b64)).toMatch(/%2B/);
  });

  it("ok/%3D padding only (macOS)", () => {
    expect(decodeOk(b64.replace(/=/g, "%3D"))).toEqual(bytes);
  });

  it("ok/lower-case percent escapes", () => {
    expect(decodeOk(b64.replace(/\+/g, "%2b").replace(/\//g, "%2f"))).toEqual(bytes);
  });

  it("ok/%0A every 64 characters (strongSwan)", () => {
    const wrapped = b64.match(/.{1,64}/g)!.join("\n") + "\n";
    expect(decodeOk(encodeURIComponent(wrapped))).toEqual(bytes);
    expect(decodeOk(wrapped.replace(/\n/g, "%0A"))).toEqual(bytes);
  });

  it("ok/%0D%0A line breaks", () => {
    const wrapped = b64.match(/.{1,64}/g)!.join("\r\n");
    expect(decodeOk(wrapped.replace(/\r\n/g, "%0D%0A"))).toEqual(bytes);
  });

  it("ok/URL-safe base64 - and _ without padding (micromdm scepclient without POSTPKIOperation)", () => {
    expect(decodeOk(bytes.toString("base64url"))).toEqual(bytes);
  });

  it("ok/spaces standing for + (form-decoded somewhere on the way)", () => {
    expect(decodeOk(b64.replace(/\+/g, " "))).toEqual(bytes);
    expect(decodeOk(b64.replace(/\+/g, "%20"))).toEqual(bytes);
  });

  it("ok/missing padding", () => {
    expect(decodeOk(b64.replace(/=+$/, ""))).toEqual(bytes);
    const two = Buffer.from([1, 2, 3, 4]); // "AQIDBA=="
    expect(decodeOk("AQIDBA")).toEqual(two);
    expect(decodeOk("AQIDBA=")).toEqual(two);
  });

  it("ok/the bytes own their ArrayBuffer", () => {
    const r = decodeMessageParam("AQIDBA==", LIMIT);
    if (!r.ok) throw new Error("refused");
    expect(r.bytes.byteOffset).toBe(0);
    expect(r.bytes.buffer.byteLength).toBe(4);
  });

  it("fail/characters outside the alphabet", () => {
    expect(decodeMessageParam("AQID*A==", LIMIT)).toEqual({ ok: false, error: "not-base64" });
    expect(decodeMessageParam("<html>", LIMIT)).toEqual({ ok: false, error: "not-base64" });
    expect(decodeMessageParam("%FFAQID", LIMIT)).toEqual({ ok: false, error: "not-base64" });
    expect(decodeMessageParam("AQ%ZZID", LIMIT)).toEqual({ ok: false, error: "not-base64" });
  });

  it("fail/padding in the middle or more than two =", () => {
    expect(decodeMessageParam("AQ==AQID", LIMIT)).toEqual({ ok: false, error: "not-base64" });
    expect(decodeMessageParam("AQ===", LIMIT)).toEqual({ ok: false, error: "not-base64" });
  });

  it("fail/decodes to nothing (empty, only padding, one character; certmonger's message=0 is not a PKIOperation)", () => {
    expect(decodeMessageParam("", LIMIT)).toEqual({ ok: false, error: "not-base64" });
    expect(decodeMessageParam("==", LIMIT)).toEqual({ ok: false, error: "not-base64" });
    expect(decodeMessageParam("%0A", LIMIT)).toEqual({ ok: false, error: "not-base64" });
    expect(decodeMessageParam("0", LIMIT)).toEqual({ ok: false, error: "not-base64" });
    expect(decodeMessageParam("AQIDB", LIMIT)).toEqual({ ok: false, error: "not-base64" });
  });

  it("fail/longer than the limit once decoded", () => {
    const big = randomBytes(LIMIT + 1).toString("base64");
    expect(decodeMessageParam(big, LIMIT)).toEqual({ ok: false, error: "too-large" });
    const exact = randomBytes(LIMIT).toString("base64");
    expect(decodeMessageParam(exact, LIMIT).ok).toBe(true);
  });
});

describe("parseScepQuery", () => {
  it("ok/keeps message raw and decodes operation", () => {
    expect(parseScepQuery("http://h/scep?operation=PKIOperation&message=a+b/c%3D")).toEqual({
      operation: "PKIOperation",
      message: "a+b/c%3D",
    });
  });

  it("ok/first occurrence wins, other parameters ignored, fragment cut", () => {
    expect(parseScepQuery("http://h/scep?x=1&operation=GetCACert&operation=GetCACaps&message=0&message=1#frag")).toEqual({
      operation: "GetCACert",
      message: "0",
    });
  });

  it("ok/no query, empty values, names without =", () => {
    expect(parseScepQuery("http://h/scep")).toEqual({ operation: undefined, message: undefined });
    expect(parseScepQuery("http://h/scep?operation=&message")).toEqual({ operation: "", message: undefined });
    expect(parseScepQuery("http://h/scep?&&operation=GetCACaps&")).toEqual({ operation: "GetCACaps", message: undefined });
  });

  it("ok/malformed percent escape in operation does not throw", () => {
    expect(parseScepQuery("http://h/scep?operation=Get%ZZ").operation).toBe("Get%ZZ");
  });
});

/**
 * X.501 Names: buildName from "CN=a, O=b" (or OpenSSL's "/O=b/CN=a"),
 * parseName/nameAttributes, formatName with escaping, commonName.
 */
import { describe, expect, it } from "vitest";
import { buildName, commonName, DerError, formatName, parseName } from "../../../src/crypto/index.js";
import { children, oid, parseDer, printable, seq, setOf, Tag, utf8, type Tlv } from "../../../src/crypto/der.js";
import { isEmptyName } from "../../../src/crypto/name.js";

/** [size of its RDN, tag of its value] for each attribute, in encoding order. */
function shape(der: Uint8Array): Array<[number, number]> {
  return children(parseDer(der)).flatMap((rdn: Tlv) =>
    children(rdn).map((atv) => {
      const [, value] = children(atv);
      return [children(rdn).length, value!.tag] as [number, number];
    }),
  );
}

describe("buildName / parseName", () => {
  it("ok/one attribute per RDN, in the order written", () => {
    const attrs = parseName(buildName("CN=device-1, O=Example Org, OU=Lab, C=US"));
    expect(attrs.map((a) => [a.type, a.oid, a.value])).toEqual([
      ["CN", "2.5.4.3", "device-1"],
      ["O", "2.5.4.10", "Example Org"],
      ["OU", "2.5.4.11", "Lab"],
      ["C", "2.5.4.6", "US"],
    ]);
  });

  it("ok/string types: C and serialNumber PrintableString, emailAddress and DC IA5String, the rest UTF8String", () => {
    const der = buildName("C=US, serialNumber=1234, emailAddress=a@b.example, DC=example, CN=x, O=y");
    expect(shape(der).map(([, tag]) => tag)).toEqual([
      Tag.PRINTABLE_STRING, Tag.PRINTABLE_STRING, Tag.IA5_STRING, Tag.IA5_STRING, Tag.UTF8_STRING, Tag.UTF8_STRING,
    ]);
  });

  it("ok/the slash form of OpenSSL's -subj", () => {
    expect(formatName(parseName(buildName("/C=US/O=Example/CN=host.example")))).toBe("C=US, O=Example, CN=host.example");
  });

  it("ok/a value may hold a slash in the comma form (regression: it was split as a separator)", () => {
    expect(parseName(buildName("CN=rsa/des/md5, O=a/b")).map((a) => a.value)).toEqual(["rsa/des/md5", "a/b"]);
  });

  it("ok/in the slash form, an escaped slash stays in the value and a comma is plain text", () => {
    expect(parseName(buildName("/O=a, b/CN=x\\/y")).map((a) => a.value)).toEqual(["a, b", "x/y"]);
  });

  it("ok/backslash escapes , + = and \\ in values; '=' after the first one is part of the value", () => {
    const attrs = parseName(buildName("CN=Doe\\, John, O=a\\+b, OU=k=v, L=back\\\\slash"));
    expect(attrs.map((a) => a.value)).toEqual(["Doe, John", "a+b", "k=v", "back\\slash"]);
  });

  it("ok/type names are case-insensitive and dotted OIDs are accepted", () => {
    const attrs = parseName(buildName("cn=x, o=y, 2.5.4.3=z, 1.2.3.4=other"));
    expect(attrs.map((a) => [a.type, a.value])).toEqual([
      ["CN", "x"],
      ["O", "y"],
      ["CN", "z"],
      ["1.2.3.4", "other"],
    ]);
  });

  it("ok/non-ASCII values are UTF-8", () => {
    const attrs = parseName(buildName("CN=Jürgen 東京, O=Grüße"));
    expect(attrs.map((a) => a.value)).toEqual(["Jürgen 東京", "Grüße"]);
  });

  it("ok/the empty string is the empty Name", () => {
    const der = buildName("");
    expect(Buffer.from(der).toString("hex")).toBe("3000");
    expect(isEmptyName(parseDer(der))).toBe(true);
    expect(isEmptyName(parseDer(buildName("CN=x")))).toBe(false);
  });

  it.each([
    ["an unknown type", "XX=1"],
    ["a component without '='", "CN=x, garbage"],
    ["an empty type", "=x"],
  ])("fail/%s is a DerError", (_what, dn) => {
    expect(() => buildName(dn)).toThrow(DerError);
  });
});

describe("nameAttributes on Names made elsewhere", () => {
  it("ok/a multi-valued RDN is flattened in order", () => {
    const der = seq(setOf(seq(oid("2.5.4.3"), utf8("a")), seq(oid("2.5.4.10"), printable("b"))));
    expect(shape(der).map(([rdnSize]) => rdnSize)).toEqual([2, 2]);
    expect(parseName(der).map((a) => `${a.type}=${a.value}`).sort()).toEqual(["CN=a", "O=b"]);
  });

  it("ok/a value that is not a string is shown as # and its DER in hex", () => {
    const der = seq(setOf(seq(oid("2.5.4.5"), Uint8Array.of(0x02, 0x01, 0x2a))));
    expect(parseName(der)[0]?.value).toBe("#02012a");
  });

  it("fail/a Name whose RDN is not a SET is a DerError", () => {
    expect(() => parseName(seq(seq(seq(oid("2.5.4.3"), utf8("a")))))).toThrow(DerError);
  });
});

describe("formatName / commonName", () => {
  it("ok/escapes , + = and \\ (and nothing else)", () => {
    expect(formatName(parseName(buildName("CN=Doe\\, John, O=a\\+b\\=c, OU=x\\\\y, L=a/b;c")))).toBe(
      "CN=Doe\\, John, O=a\\+b\\=c, OU=x\\\\y, L=a/b;c",
    );
  });

  it("ok/formatName and buildName round-trip to the same DER", () => {
    for (const dn of [
      "CN=device-1, O=Example Org, C=US",
      "CN=Doe\\, John, O=a\\+b, OU=k\\=v, L=back\\\\slash",
      "CN=http://example/x, O=a/b",
      "CN=Jürgen 東京, emailAddress=j@example.org, DC=example",
    ]) {
      const der = buildName(dn);
      expect(Buffer.from(buildName(formatName(parseName(der))))).toEqual(Buffer.from(der));
    }
  });

  it("ok/commonName is the first CN, undefined without one", () => {
    expect(commonName(parseName(buildName("O=x, CN=first, CN=second")))).toBe("first");
    expect(commonName(parseName(buildName("O=x")))).toBeUndefined();
  });
});

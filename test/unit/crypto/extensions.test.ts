/**
 * X.509 extensions (RFC 5280 §4.2): subjectAltName encoding and display
 * (IPv6 text per RFC 5952), extension lists, basicConstraints, key
 * identifiers.
 */
import { createHash, createPublicKey, X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  authorityKeyIdentifier, basicConstraints, buildName, DerError, encodeExtension, extKeyUsage, ExtKeyUsage, issueCertificate, keyIdentifier, Oid,
  parseExtensionList, parseSubjectAltName, spkiOf, subjectAltName,
} from "../../../src/crypto/index.js";
import { children, contents, ctx, ctxPrim, oid, parseDer, seq, utf8 } from "../../../src/crypto/der.js";
import { testPki } from "../../support/pki.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** The iPAddress octets of a one-entry subjectAltName. */
function ipOctets(ip: string): string {
  const [gn] = children(parseDer(subjectAltName({ ip: [ip] })));
  expect(gn?.tag).toBe(0x87);
  return hex(contents(gn!));
}

describe("subjectAltName", () => {
  it("ok/round trip of every kind, grouped email, DNS, URI, IP", () => {
    const value = subjectAltName({
      dns: ["host.example", "*.wild.example"],
      ip: ["192.0.2.1", "2001:db8::1"],
      email: ["dev@example.org"],
      uri: ["https://example.org/device/1"],
    });
    expect(parseSubjectAltName(value)).toEqual([
      "email:dev@example.org",
      "DNS:host.example",
      "DNS:*.wild.example",
      "URI:https://example.org/device/1",
      "IP:192.0.2.1",
      "IP:2001:db8::1",
    ]);
  });

  it("ok/OpenSSL (node:crypto X509Certificate) reads the names back from a certificate", async () => {
    const { deviceEc } = await testPki();
    const der = issueCertificate({
      subject: buildName("CN=san"),
      spki: spkiOf(deviceEc.key),
      serial: Uint8Array.of(1),
      notBefore: new Date(Date.now() - 1000),
      notAfter: new Date(Date.now() + 3_600_000),
      issuerKey: deviceEc.key,
      extensions: [
        { oid: Oid.subjectAltName, value: subjectAltName({ dns: ["a.example"], ip: ["10.0.0.1", "2001:db8:0:0:1:0:0:1", "::ffff:192.0.2.1"] }) },
      ],
    });
    expect(new X509Certificate(der).subjectAltName).toBe(
      "DNS:a.example, IP Address:10.0.0.1, IP Address:2001:DB8:0:0:1:0:0:1, IP Address:0:0:0:0:0:FFFF:C000:201",
    );
  });

  it.each([
    ["2001:db8::1", "20010db8000000000000000000000001"],
    ["::1", "00000000000000000000000000000001"],
    ["::", "00000000000000000000000000000000"],
    ["fe80::", "fe800000000000000000000000000000"],
    ["1:2:3:4:5:6:7:8", "00010002000300040005000600070008"],
    ["2001:DB8::A", "20010db800000000000000000000000a"],
    ["::ffff:192.0.2.1", "00000000000000000000ffffc0000201"],
    ["64:ff9b::198.51.100.7", "0064ff9b0000000000000000c6336407"],
  ])("ok/IPv6 %s encodes as %s", (ip, octets) => {
    expect(ipOctets(ip)).toBe(octets);
  });

  it.each([
    ["2001:db8:0:0:0:0:2:1", "2001:db8::2:1"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["fe80:0:0:0:0:0:0:0", "fe80::"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ["1:0:0:2:0:0:3:4", "1::2:0:0:3:4"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0"],
    ["1:2:3:4:5:6:0:0", "1:2:3:4:5:6::"],
  ])("ok/IPv6 %s is shown as %s (RFC 5952: longest zero run, first if tied, never a single group)", (ip, text) => {
    expect(parseSubjectAltName(subjectAltName({ ip: [ip] }))).toEqual([`IP:${text}`]);
  });

  it("ok/the text shown parses back to the same octets", () => {
    for (const ip of ["::ffff:192.0.2.1", "1:0:0:2:0:0:0:3", "fe80::1:2", "2001:db8::"]) {
      const shown = parseSubjectAltName(subjectAltName({ ip: [ip] }))[0]!.slice(3);
      expect(ipOctets(shown)).toBe(ipOctets(ip));
    }
  });

  it.each(["1.2.3", "256.1.1.1", "2001:db8::1::2", "host.example", ""])("fail/%j is not an IP address", (ip) => {
    expect(() => subjectAltName({ ip: [ip] })).toThrow(DerError);
  });

  it("ok/otherName and other GeneralName kinds are named, not dropped", () => {
    const upn = ctx(0, oid("1.3.6.1.4.1.311.20.2.3"), ctx(0, utf8("user@example")));
    const rid = ctxPrim(8, oid("1.2.3.4").subarray(2));
    expect(parseSubjectAltName(seq(upn, rid))).toEqual(["otherName:1.3.6.1.4.1.311.20.2.3", `other:${hex(rid)}`]);
  });
});

describe("extension lists and values", () => {
  it("ok/encodeExtension writes critical only when true; parseExtensionList reads both back", () => {
    const list = seq(
      encodeExtension({ oid: Oid.basicConstraints, critical: true, value: basicConstraints(false) }),
      encodeExtension({ oid: Oid.extKeyUsage, critical: false, value: extKeyUsage([ExtKeyUsage.clientAuth]) }),
    );
    const map = parseExtensionList(list);
    expect(map.get(Oid.basicConstraints)).toEqual({ critical: true, value: basicConstraints(false) });
    expect(map.get(Oid.extKeyUsage)?.critical).toBe(false);
    expect(hex(map.get(Oid.extKeyUsage)!.value)).toBe(hex(seq(oid("1.3.6.1.5.5.7.3.2"))));
    expect(hex(encodeExtension({ oid: "2.5.29.19", critical: false, value: seq() }))).toBe("30090603551d1304023000");
  });

  it.each<[boolean, number | undefined, string]>([
    [false, undefined, "3000"],
    [true, undefined, "30030101ff"],
    [true, 0, "30060101ff020100"],
  ])("ok/basicConstraints(%s, %s) = %s", (ca, pathLen, enc) => {
    expect(hex(basicConstraints(ca, pathLen))).toBe(enc);
  });

  it("ok/keyIdentifier is SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2 (1)); AKI wraps it in [0]", async () => {
    const { deviceEc } = await testPki();
    const jwk = createPublicKey(deviceEc.key).export({ format: "jwk" });
    const point = Buffer.concat([Uint8Array.of(4), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
    const expected = createHash("sha1").update(point).digest("hex");
    expect(hex(keyIdentifier(deviceEc.cert.spki))).toBe(expected);
    expect(hex(authorityKeyIdentifier(deviceEc.cert.spki))).toBe(`30168014${expected}`);
  });
});

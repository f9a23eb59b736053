/** Regression vectors found by `npm run fuzz` (issue 12), test/vectors/fuzz/index.json. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  buildCrl, degenerateSignedData, DerError, loadPrivateKey, Oid, parseCertificate, parseCsr, parseEnvelope, parseName, parseSignedData, parseSubjectAltName, pemCertificates,
} from "../../../src/crypto/index.js";

const dir = join(import.meta.dirname, "..", "..", "vectors", "fuzz");
const vector = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, `${name}.der`)));

describe("fuzz regressions (issue 12)", () => {
  it("ok/fuzz-oid-huge-arc: arcs past 2^53 decode exactly and stay distinct", () => {
    const [a, b] = parseName(vector("oid-huge-arc"));
    expect(a!.oid).toBe("2.5.4.1152921504606846976");
    expect(b!.oid).toBe("2.5.4.1152921504606846977");
  });

  it("fail/fuzz-utf8-invalid: a UTF8String that is not UTF-8 is not decoded to U+FFFD (stringValue refuses it; a Name shows it as #hex)", () => {
    expect(parseName(vector("utf8-invalid"))[0]!.value).toBe("#0c02fffe");
  });

  it("fail/fuzz-cert-outer-fields: a certificate whose signatureValue is not a BIT STRING is refused", () => {
    expect(() => parseCertificate(vector("cert-outer-fields"))).toThrow(DerError);
  });

  // Fields that were carried as raw bytes or skipped unread; pkijs refuses (or, where it accepts, RFC 5280 / 5652 / X.501 does).
  const refused: Array<[string, (b: Uint8Array) => unknown, RegExp]> = [
    ["cert-spki-shape", parseCertificate, /subjectPublicKeyInfo algorithm algorithm: expected tag 0x6/],
    ["cert-tbs-tail", parseCertificate, /TBSCertificate: unexpected element 0x2b after subjectPublicKeyInfo/],
    ["cert-unique-id-constructed", parseCertificate, /TBSCertificate: unexpected element 0xa2 after subjectPublicKeyInfo/],
    ["cert-extension-extra", parseCertificate, /Extension: more than 3 elements/],
    ["cert-duplicate-extension", parseCertificate, /duplicate extension 2\.5\.29\.19/],
    ["envelope-recipient-choice", parseEnvelope, /KeyTransRecipientInfo: expected tag 0x30, got 0x4/],
    ["envelope-issuer-name", parseEnvelope, /RelativeDistinguishedName: expected tag 0x31/],
    ["envelope-octet-segments", parseEnvelope, /OCTET STRING segment: expected tag 0x4, got 0x31/],
    ["envelope-trailing-element", parseEnvelope, /EnvelopedData: unexpected element after encryptedContentInfo/],
    ["signeddata-econtent-type", parseSignedData, /eContent: expected tag 0x4, got 0x0/],
    ["signeddata-empty-signedattrs", parseSignedData, /signedAttrs: expected at least 1 elements, got 0/],
    ["signeddata-certificate-choice", parseSignedData, /CertificateChoices: unexpected element 0x32/],
    ["signeddata-crl-choice", parseSignedData, /TBSCertList signature: expected tag 0x30, got 0xa0/],
    ["signedattrs-duplicate", parseSignedData, /signedAttrs: duplicate attribute 2\.16\.840\.1\.113733\.1\.9\.5/],
    ["signerinfo-tail", parseSignedData, /SignerInfo: unexpected element 0x30 after signature/],
    ["envelope-originator-info", parseEnvelope, /OriginatorInfo: unexpected element 0x30/],
    ["envelope-other-recipient", parseEnvelope, /RecipientInfo \[3\] version: expected tag 0x2, got 0x30/],
    ["envelope-unprotected-attrs", parseEnvelope, /unprotectedAttrs Attribute: more than 2 elements/],
    ["signeddata-other-certificate-choice", parseSignedData, /CertificateChoices \[3\]: expected at least 2 elements, got 0/],
    ["csr-empty-version", parseCsr, /CertificationRequestInfo version: empty INTEGER/],
    ["csr-second-attributes", parseCsr, /CertificationRequestInfo: unexpected element 0xa0 after attributes/],
    ["contentinfo-two-contents", parseEnvelope, /ContentInfo: content \[0\] holds more than 1 element/],
    ["csr-san-not-sequence", (b) => parseSubjectAltName(parseCsr(b).extensions.get(Oid.subjectAltName)!.value), /subjectAltName: expected tag 0x30, got 0x20/],
    ["cert-time-year-digits", parseCertificate, /bad GeneralizedTime value "261124071442Z"/],
    ["name-atav-extra", parseName, /AttributeTypeAndValue: more than 2 elements/],
  ];
  it("ok/fuzz-signeddata-crl-choice: a CertificateList in crls [1] is still carried", () => {
    const ca = pemCertificates(readFileSync(join(dir, "..", "pki-aes128-sha256", "ca.crt.pem"), "utf8"))[0]!;
    const key = loadPrivateKey(readFileSync(join(dir, "..", "pki-aes128-sha256", "ca.key.pem"), "utf8"));
    const crl = buildCrl({ issuerCert: parseCertificate(ca), issuerKey: key, thisUpdate: new Date(0), nextUpdate: new Date(864e5), number: 7, revoked: [{ serial: Uint8Array.of(5), at: new Date(0) }] });
    expect(parseSignedData(degenerateSignedData([ca], [crl])).crls).toEqual([crl]);
  });

  it.each(refused)("fail/fuzz-%s is refused with a DerError", (name, parse, message) => {
    expect(() => parse(vector(name))).toThrow(DerError);
    expect(() => parse(vector(name))).toThrow(message);
  });
});

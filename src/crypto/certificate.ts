/**
 * X.509 certificates (RFC 5280 §4.1) as SCEP needs them: the raw issuer and
 * serial for IssuerAndSerialNumber matching, the SPKI, key usage and validity.
 */
import { createHash, type KeyObject } from "node:crypto";
import { publicKeyFromSpki } from "./public-key.js";
import { bitString, children, contents, expectChildren, expectTag, oidValue, parseDer, raw, Tag, timeValue, type Tlv } from "./der.js";
import { DerError } from "./errors.js";
import { expectAlgorithm, expectSpki, expectTbsTail, expectVersion } from "./der-shape.js";
import { expectName, formatName, nameAttributes, type NameAttribute } from "./name.js";
import { Oid } from "./oids.js";

export interface Extension {
  critical: boolean;
  /** The extnValue contents (the DER of the extension's own structure). */
  value: Uint8Array;
}

/** KeyUsage bits (RFC 5280 §4.2.1.3) that matter to SCEP. */
export interface KeyUsage {
  digitalSignature: boolean;
  keyEncipherment: boolean;
  dataEncipherment: boolean;
  keyAgreement: boolean;
  keyCertSign: boolean;
  cRLSign: boolean;
}

export interface Certificate {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  /** INTEGER contents of serialNumber (two's complement, as encoded). */
  readonly serial: Uint8Array;
  /** The serial as lower-case hex without leading zero octets. */
  readonly serialHex: string;
  /** DER of the issuer Name. */
  readonly issuer: Uint8Array;
  /** DER of the subject Name. */
  readonly subject: Uint8Array;
  /** DER of SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: ReadonlyMap<string, Extension>;
  /** undefined when the certificate has no keyUsage extension (any use allowed). */
  readonly keyUsage: KeyUsage | undefined;
  readonly isSelfIssued: boolean;
  publicKey(): KeyObject;
  subjectAttributes(): NameAttribute[];
  subjectText(): string;
  issuerText(): string;
  /** SHA-256 of the DER, lower-case hex. */
  fingerprint256(): string;
}

function parseExtensions(tlv: Tlv | undefined): Map<string, Extension> {
  const map = new Map<string, Extension>();
  if (!tlv) return map;
  const [exts] = children(tlv);
  for (const ext of expectChildren(exts, Tag.SEQUENCE, "Extensions")) {
    const kids = expectChildren(ext, Tag.SEQUENCE, "Extension", 2);
    if (kids.length > 3) throw new DerError(`Extension: more than 3 elements`);
    const critical = kids.length === 3 && contents(expectTag(kids[1], Tag.BOOLEAN, "critical"))[0] !== 0;
    const value = contents(expectTag(kids[kids.length - 1], Tag.OCTET_STRING, "extnValue"));
    const id = oidValue(kids[0]!);
    // RFC 5280 §4.2: one instance of an extension at most; the map kept the last one silently (issue 12, fuzz-duplicate-extension).
    if (map.has(id)) throw new DerError(`duplicate extension ${id}`);
    map.set(id, { critical, value });
  }
  return map;
}

/** Parses the keyUsage extension value. */
export function parseKeyUsage(value: Uint8Array): KeyUsage {
  const bits = contents(expectTag(parseDer(value), Tag.BIT_STRING, "KeyUsage"));
  const b0 = bits[1] ?? 0;
  return {
    digitalSignature: (b0 & 0x80) !== 0,
    keyEncipherment: (b0 & 0x20) !== 0,
    dataEncipherment: (b0 & 0x10) !== 0,
    keyAgreement: (b0 & 0x08) !== 0,
    keyCertSign: (b0 & 0x04) !== 0,
    cRLSign: (b0 & 0x02) !== 0,
  };
}

/** Encodes a keyUsage extension value. */
export function encodeKeyUsage(ku: Partial<KeyUsage>): Uint8Array {
  let b = 0;
  if (ku.digitalSignature) b |= 0x80;
  if (ku.keyEncipherment) b |= 0x20;
  if (ku.dataEncipherment) b |= 0x10;
  if (ku.keyAgreement) b |= 0x08;
  if (ku.keyCertSign) b |= 0x04;
  if (ku.cRLSign) b |= 0x02;
  let unused = 0;
  while (unused < 7 && (b & (1 << unused)) === 0) unused++;
  return bitString(Uint8Array.of(b), b === 0 ? 0 : unused);
}

function serialToHex(serial: Uint8Array): string {
  let i = 0;
  while (i < serial.length - 1 && serial[i] === 0) i++;
  return Buffer.from(serial.subarray(i)).toString("hex");
}

/** Parses a DER certificate; throws DerError when it is not one. */
export function parseCertificate(der: Uint8Array): Certificate {
  const root = parseDer(der);
  const [tbsTlv, sigAlg, sigValue, ...extra] = expectChildren(root, Tag.SEQUENCE, "Certificate", 3);
  // The outer signature fields are checked too (issue 12, fuzz-cert-outer-fields): pkijs refused what we took.
  expectAlgorithm(sigAlg, "signatureAlgorithm");
  expectTag(sigValue, Tag.BIT_STRING, "signatureValue");
  if (extra.length) throw new DerError("Certificate: more than 3 elements");
  const tbsKids = expectChildren(tbsTlv, Tag.SEQUENCE, "TBSCertificate", 6);
  let i = 0;
  if (tbsKids[0]!.tag === 0xa0) expectVersion(tbsKids[i++], "TBSCertificate", true);
  const serialTlv = expectTag(tbsKids[i++], Tag.INTEGER, "serialNumber");
  expectAlgorithm(tbsKids[i++], "signature");
  const issuerTlv = expectName(tbsKids[i++], "issuer");
  const [nb, na] = expectChildren(tbsKids[i++], Tag.SEQUENCE, "validity", 2);
  const subjectTlv = expectName(tbsKids[i++], "subject");
  const spkiTlv = expectSpki(tbsKids[i++], "subjectPublicKeyInfo");
  const extensions = parseExtensions(expectTbsTail(tbsKids.slice(i)));
  const ku = extensions.get(Oid.keyUsage);
  const issuer = raw(issuerTlv);
  const subject = raw(subjectTlv);
  const serial = contents(serialTlv);
  let key: KeyObject | undefined;
  let fp: string | undefined;
  return {
    der,
    tbs: raw(tbsTlv!),
    serial,
    serialHex: serialToHex(serial),
    issuer,
    subject,
    spki: raw(spkiTlv),
    notBefore: timeValue(nb!),
    notAfter: timeValue(na!),
    extensions,
    keyUsage: ku ? parseKeyUsage(ku.value) : undefined,
    isSelfIssued: Buffer.compare(issuer, subject) === 0,
    publicKey: () => (key ??= publicKeyFromSpki(raw(spkiTlv))),
    subjectAttributes: () => nameAttributes(subjectTlv),
    subjectText: () => formatName(nameAttributes(subjectTlv)),
    issuerText: () => formatName(nameAttributes(issuerTlv)),
    fingerprint256: () => (fp ??= createHash("sha256").update(der).digest("hex")),
  };
}

/** Parses a certificate, wrapping any failure as a DerError naming `what`. */
export function parseCertificateAs(der: Uint8Array, what: string): Certificate {
  try {
    return parseCertificate(der);
  } catch (err) {
    throw new DerError(`${what}: not a certificate (${(err as Error).message})`, { cause: err });
  }
}

/** PEM "CERTIFICATE" blocks of a text, decoded to DER in order. */
export function pemCertificates(pem: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  for (let m = re.exec(pem); m; m = re.exec(pem)) out.push(Buffer.from(m[1]!.replace(/\s+/g, ""), "base64"));
  return out;
}

/** DER → PEM CERTIFICATE. */
export function toPem(der: Uint8Array, label = "CERTIFICATE"): string {
  const b64 = Buffer.from(der).toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** Whether IssuerAndSerialNumber (as raw issuer Name DER and serial contents) names this certificate. */
export function matchesIssuerSerial(cert: Certificate, issuer: Uint8Array, serial: Uint8Array): boolean {
  return Buffer.compare(cert.issuer, issuer) === 0 && serialToHex(serial) === cert.serialHex;
}

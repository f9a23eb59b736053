/**
 * The messageData of the non-PKCSReq requests (RFC 8894 §3.3.2-§3.3.4):
 * IssuerAndSubject (CertPoll) and IssuerAndSerialNumber (GetCert, GetCRL).
 */
import { contents, expectChildren, expectTag, intRaw, parseDer, raw, seq, Tag } from "../crypto/index.js";

/** `IssuerAndSubject ::= SEQUENCE { issuer Name, subject Name }` — DER Names. */
export interface IssuerAndSubject {
  issuer: Uint8Array;
  subject: Uint8Array;
}

/** `IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber INTEGER }` */
export interface IssuerAndSerial {
  issuer: Uint8Array;
  /** INTEGER contents octets. */
  serial: Uint8Array;
}

export function parseIssuerAndSubject(der: Uint8Array): IssuerAndSubject {
  const [issuer, subject] = expectChildren(parseDer(der), Tag.SEQUENCE, "IssuerAndSubject", 2);
  return { issuer: raw(expectTag(issuer, Tag.SEQUENCE, "issuer")), subject: raw(expectTag(subject, Tag.SEQUENCE, "subject")) };
}

export function encodeIssuerAndSubject(v: IssuerAndSubject): Uint8Array {
  return seq(v.issuer, v.subject);
}

export function parseIssuerAndSerial(der: Uint8Array): IssuerAndSerial {
  const [issuer, serial] = expectChildren(parseDer(der), Tag.SEQUENCE, "IssuerAndSerialNumber", 2);
  return { issuer: raw(expectTag(issuer, Tag.SEQUENCE, "issuer")), serial: contents(expectTag(serial, Tag.INTEGER, "serialNumber")) };
}

export function encodeIssuerAndSerial(v: IssuerAndSerial): Uint8Array {
  return seq(v.issuer, intRaw(v.serial));
}

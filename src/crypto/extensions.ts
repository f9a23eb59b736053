/**
 * X.509 extensions SCEP issuance and display need: basicConstraints, key
 * identifiers, extKeyUsage and subjectAltName (RFC 5280 §4.2).
 */
import { createHash } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
import { bool, children, contents, ctxPrim, expectChildren, expectTag, oid, oidValue, octets, parseDer, raw, seq, Tag, type Tlv } from "./der.js";
import { DerError } from "./errors.js";

/** An extension to encode: its OID, criticality and the DER of its value. */
export interface ExtensionSpec {
  oid: string;
  critical?: boolean;
  value: Uint8Array;
}

/** Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE, extnValue OCTET STRING } */
export function encodeExtension(e: ExtensionSpec): Uint8Array {
  return seq(oid(e.oid), ...(e.critical ? [bool(true)] : []), octets(e.value));
}

export function basicConstraints(ca: boolean, pathLen?: number): Uint8Array {
  if (!ca) return seq();
  return pathLen === undefined ? seq(bool(true)) : seq(bool(true), Uint8Array.of(Tag.INTEGER, 1, pathLen));
}

/** The key identifier of an SPKI: SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2 method 1). */
export function keyIdentifier(spki: Uint8Array): Uint8Array {
  const [, bits] = expectChildren(parseDer(spki), Tag.SEQUENCE, "SubjectPublicKeyInfo", 2);
  return createHash("sha1").update(contents(bits!).subarray(1)).digest();
}

export const subjectKeyIdentifier = (spki: Uint8Array): Uint8Array => octets(keyIdentifier(spki));
export const authorityKeyIdentifier = (issuerSpki: Uint8Array): Uint8Array => seq(ctxPrim(0, keyIdentifier(issuerSpki)));
export const extKeyUsage = (oids: readonly string[]): Uint8Array => seq(...oids.map(oid));

export const ExtKeyUsage = {
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

/** Subject alternative names, grouped by kind. */
export interface AltNames {
  dns?: readonly string[];
  ip?: readonly string[];
  email?: readonly string[];
  uri?: readonly string[];
}

function ipBytes(ip: string): Uint8Array {
  if (isIPv4(ip)) return Uint8Array.from(ip.split(".").map(Number));
  if (!isIPv6(ip)) throw new DerError(`bad IP address "${ip}"`);
  // An embedded IPv4 tail ("::ffff:192.0.2.1") stands for the last two groups.
  ip = ip.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a: string, b: string, c: string, d: string) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`);
  const [head, tail = ""] = ip.split("::");
  const h = head ? head.split(":") : [];
  const t = ip.includes("::") && tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** An iPAddress GeneralName as text: dotted IPv4, or IPv6 in RFC 5952 form (lower case, the longest run, first if tied, of two or more zero groups as "::"). */
export function ipText(b: Uint8Array): string {
  if (b.length === 4) return [...b].join(".");
  const groups: string[] = [];
  for (let i = 0; i + 1 < b.length; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  let best = { at: -1, len: 1 };
  for (let i = 0; i < groups.length; i++) {
    let j = i;
    while (groups[j] === "0") j++;
    if (j - i > best.len) best = { at: i, len: j - i };
  }
  if (best.at < 0) return groups.join(":");
  return `${groups.slice(0, best.at).join(":")}::${groups.slice(best.at + best.len).join(":")}`;
}

/** GeneralNames for a subjectAltName extension value. */
export function subjectAltName(names: AltNames): Uint8Array {
  const gn: Uint8Array[] = [];
  for (const e of names.email ?? []) gn.push(ctxPrim(1, Buffer.from(e, "latin1")));
  for (const d of names.dns ?? []) gn.push(ctxPrim(2, Buffer.from(d, "latin1")));
  for (const u of names.uri ?? []) gn.push(ctxPrim(6, Buffer.from(u, "latin1")));
  for (const ip of names.ip ?? []) gn.push(ctxPrim(7, ipBytes(ip)));
  return seq(...gn);
}

/** Reads a subjectAltName value into "DNS:…", "IP:…", "email:…", "URI:…" strings. */
export function parseSubjectAltName(value: Uint8Array): string[] {
  // GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName (RFC 5280 §4.2.1.6); any constructed element used to do (issue 12).
  return expectChildren(parseDer(value), Tag.SEQUENCE, "subjectAltName").map((gn: Tlv) => {
    const text = Buffer.from(contents(gn)).toString("latin1");
    switch (gn.tag) {
      case 0x81:
        return `email:${text}`;
      case 0x82:
        return `DNS:${text}`;
      case 0x86:
        return `URI:${text}`;
      case 0x87:
        return `IP:${ipText(contents(gn))}`;
      case 0xa0:
        return `otherName:${oidValue(children(gn)[0]!)}`;
      default:
        return `other:${Buffer.from(raw(gn)).toString("hex")}`;
    }
  });
}

/**
 * Extensions (a SEQUENCE of Extension) to a map of OID → {critical, value}.
 * An OID that occurs twice is refused (RFC 5280 §4.2: "MUST NOT include more
 * than one instance of a particular extension"); the map used to keep the
 * last one silently, so two readers of the same bytes could act on different
 * values (issue 12, fuzz-duplicate-extension).
 */
export function parseExtensionList(der: Uint8Array): Map<string, { critical: boolean; value: Uint8Array }> {
  const map = new Map<string, { critical: boolean; value: Uint8Array }>();
  for (const ext of expectChildren(parseDer(der), Tag.SEQUENCE, "Extensions")) {
    const kids = expectChildren(ext, Tag.SEQUENCE, "Extension", 2);
    if (kids.length > 3) throw new DerError(`Extension: more than 3 elements`);
    const critical = kids.length === 3 && contents(expectTag(kids[1], Tag.BOOLEAN, "critical"))[0] !== 0;
    const id = oidValue(kids[0]!);
    if (map.has(id)) throw new DerError(`duplicate extension ${id}`);
    map.set(id, { critical, value: contents(expectTag(kids[kids.length - 1], Tag.OCTET_STRING, "extnValue")) });
  }
  return map;
}

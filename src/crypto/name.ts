/**
 * X.501 Names (RFC 5280 §4.1.2.4): parse to attribute lists, format for people,
 * and build from "CN=..., O=..." strings.
 */
import { children, expectChildren, expectTag, oidValue, printable, raw, seq, setOf, stringValue, Tag, utf8, type Tlv, oid, parseDer, ia5 } from "./der.js";
import { DerError } from "./errors.js";

export interface NameAttribute {
  oid: string;
  /** Short name such as "CN", or the dotted OID when unknown. */
  type: string;
  value: string;
}

const shortNames: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.4": "SN",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "street",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.12": "title",
  "2.5.4.42": "GN",
  "1.2.840.113549.1.9.1": "emailAddress",
  "0.9.2342.19200300.100.1.25": "DC",
  "0.9.2342.19200300.100.1.1": "UID",
  "1.2.840.113549.1.9.2": "unstructuredName",
};
const oidsByShortName = new Map(Object.entries(shortNames).map(([o, s]) => [s.toUpperCase(), o]));

/** The attributes of a Name in encoding order (RDNs flattened). */
export function nameAttributes(name: Tlv): NameAttribute[] {
  const out: NameAttribute[] = [];
  for (const rdn of expectChildren(name, Tag.SEQUENCE, "Name")) {
    for (const atv of expectChildren(rdn, Tag.SET, "RelativeDistinguishedName", 1)) {
      const [type, value, ...extra] = expectChildren(atv, Tag.SEQUENCE, "AttributeTypeAndValue", 2);
      // X.501: SEQUENCE { type, value }, nothing more; extra elements were skipped unread (issue 12).
      if (extra.length) throw new DerError("AttributeTypeAndValue: more than 2 elements");
      const o = oidValue(type!);
      let text: string;
      try {
        text = stringValue(value!);
      } catch {
        text = "#" + Buffer.from(raw(value!)).toString("hex");
      }
      out.push({ oid: o, type: shortNames[o] ?? o, value: text });
    }
  }
  return out;
}

/**
 * Checks that `tlv` is a Name (RFC 5280 §4.1.2.4) and returns it. For the
 * Names carried on as raw bytes (certificate issuer and subject, the issuer
 * of an IssuerAndSerialNumber), which were not looked inside before (issue 12, fuzz-shape-fields).
 */
export function expectName(tlv: Tlv | undefined, what: string): Tlv {
  nameAttributes(expectTag(tlv, Tag.SEQUENCE, what));
  return tlv!;
}

/** Parses DER Name bytes. */
export function parseName(der: Uint8Array): NameAttribute[] {
  return nameAttributes(parseDer(der));
}

/** "CN=a, O=b" in encoding order, with `,` `+` `=` escaped. */
export function formatName(attrs: NameAttribute[]): string {
  return attrs.map((a) => `${a.type}=${a.value.replace(/([,+=\\])/g, "\\$1")}`).join(", ");
}

/** The first commonName, if any. */
export function commonName(attrs: NameAttribute[]): string | undefined {
  return attrs.find((a) => a.oid === "2.5.4.3")?.value;
}

/**
 * Splits "CN=a, O=b\, c" (or OpenSSL's "/O=b/CN=a") into [type, value] pairs.
 * The separator is "/" only for the slash form, so a value may hold "/".
 */
function splitDn(dn: string): Array<[string, string]> {
  const parts: Array<[string, string]> = [];
  const separator = dn.trimStart().startsWith("/") ? "/" : ",";
  let cur = "";
  for (let i = 0; i < dn.length; i++) {
    const ch = dn[i]!;
    if (ch === "\\" && i + 1 < dn.length) cur += dn[++i];
    else if (ch === separator) {
      if (cur.trim()) parts.push(splitPair(cur));
      cur = "";
    } else cur += ch;
  }
  if (cur.trim()) parts.push(splitPair(cur));
  return parts;
}

function splitPair(s: string): [string, string] {
  const eq = s.indexOf("=");
  if (eq <= 0) throw new DerError(`bad name component "${s.trim()}"`);
  return [s.slice(0, eq).trim(), s.slice(eq + 1).trim()];
}

/**
 * Builds a DER Name from "CN=a, O=b" (or "/O=b/CN=a"); one attribute per RDN.
 * C, serialNumber and DC use PrintableString/IA5String as RFC 5280 requires, the rest UTF8String.
 */
export function buildName(dn: string): Uint8Array {
  const rdns = splitDn(dn).map(([type, value]) => {
    const o = oidsByShortName.get(type.toUpperCase()) ?? (/^\d+(\.\d+)+$/.test(type) ? type : undefined);
    if (!o) throw new DerError(`unknown name attribute type "${type}"`);
    const enc = o === "2.5.4.6" || o === "2.5.4.5" ? printable(value) : o.startsWith("0.9.2342") || o === "1.2.840.113549.1.9.1" ? ia5(value) : utf8(value);
    return setOf(seq(oid(o), enc));
  });
  return seq(...rdns);
}

/** Number of RDNs, to tell an empty Name apart. */
export function isEmptyName(name: Tlv): boolean {
  return children(name).length === 0;
}

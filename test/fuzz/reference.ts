/**
 * The reference decoders: asn1js for the BER tree, pkijs for the CMS, X.509
 * and PKCS#10 structures, reduced to the same views as ours.ts. pkijs ignores
 * bytes after the element; `trailing` says when there were some.
 */
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { ipText } from "../../src/crypto/extensions.js";
import type { Kind } from "./ours.js";

export type RefOutcome = { ok: true; view: unknown; trailing: boolean } | { ok: false; error: string };

const hex = (b: ArrayBuffer | Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString("hex"));

class RefReject extends Error {}

function ber(bytes: Uint8Array): { result: asn1js.AsnType; trailing: boolean } {
  const r = asn1js.fromBER(bytes);
  if (r.offset === -1) throw new RefReject(`asn1js: ${r.result.error}`);
  const err = firstError(r.result);
  if (err) throw new RefReject(`asn1js: ${err}`);
  return { result: r.result, trailing: r.offset !== bytes.length };
}

/**
 * asn1js records some value errors on inner blocks and still returns a result.
 * The children of a primitive OCTET/BIT STRING are asn1js' guess at content
 * embedded in it (parseEmbedded), not part of the encoding: not searched.
 * asn1js bounds a child by the end of the input only, so a child may run past
 * its definite-length parent (X.690 §8.1.1 forbids it); found here, since
 * the tree asn1js builds then is not the one encoded. Likewise a [UNIVERSAL 0]
 * that is no end-of-contents (length > 0, or in a definite-length parent):
 * asn1js takes it for one and ends the element there.
 */
function firstError(root: asn1js.AsnType): string | undefined {
  if (root instanceof asn1js.EndOfContent) return "skip: asn1js reads a [UNIVERSAL 0] element as end-of-contents";
  const stack: asn1js.AsnType[] = [root];
  for (let n = stack.pop(); n; n = stack.pop()) {
    const b = n as unknown as {
      error?: string; valueBlock?: { error?: string; value?: unknown; blockLength?: number }; idBlock?: { error?: string; isConstructed?: boolean };
      lenBlock?: { error?: string; isIndefiniteForm?: boolean; length?: number };
    };
    const e = b.error || b.idBlock?.error || b.lenBlock?.error || b.valueBlock?.error;
    if (e) return e;
    // A primitive [UNIVERSAL 16/17] (no valid SEQUENCE/SET, X.690 §8.9.1): asn1js misreads the bytes after it. Our TLV layer gives tags no meaning; the typed parsers want 0x30/0x31.
    const id = (n as asn1js.BaseBlock).idBlock;
    if (id.tagClass === 1 && !id.isConstructed && (id.tagNumber === 16 || id.tagNumber === 17)) return "skip: asn1js misreads a primitive SEQUENCE/SET";
    const v = b.valueBlock?.value;
    if (b.idBlock?.isConstructed && !b.lenBlock?.isIndefiniteForm && b.valueBlock?.blockLength !== b.lenBlock?.length) return "a child element runs past its definite-length parent";
    if (Array.isArray(v) && b.idBlock?.isConstructed) {
      // asn1js ends an indefinite length at any 0x00 identifier octet, whatever length octet follows.
      const whole = (n as asn1js.BaseBlock).valueBeforeDecodeView;
      const badEnd = b.lenBlock?.isIndefiniteForm && whole[(n as asn1js.BaseBlock).blockLength - 1] !== 0;
      if (badEnd || v.some((x) => x instanceof asn1js.EndOfContent)) return "skip: asn1js reads a [UNIVERSAL 0] element as end-of-contents";
    }
    if (Array.isArray(v) && b.idBlock?.isConstructed) stack.push(...(v as asn1js.AsnType[]));
  }
  return undefined;
}

/**
 * asn1js writes an arc past 2^53 as "{hex}", the hex being its base-128
 * digits one per octet (the encoded octets with bit 8 cleared), and a first
 * subidentifier past 2^53 as "2.{{hex} - 80}": back to decimal, as ours writes them.
 */
export function dottedOid(s: string): string {
  const arc = (h: string): bigint => Buffer.from(h, "hex").reduce((v, b) => (v << 7n) | BigInt(b & 0x7f), 0n);
  return s.replace(/\{\{([0-9a-fA-F]+)\} - 80\}/g, (_m, h: string) => (arc(h) - 80n).toString()).replace(/\{([0-9a-fA-F]+)\}/g, (_m, h: string) => arc(h).toString());
}

const STRING_TYPES = new Set([12, 19, 20, 22, 30]);

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A UTF8String that is valid UTF-8, decoded; undefined otherwise (ours shows those as "#hex": fuzz-utf8-invalid). */
function strictUtf8(b: asn1js.BaseBlock): string | undefined {
  try {
    return utf8.decode(primContents(b));
  } catch {
    return undefined;
  }
}

/**
 * A name attribute value as ours formats it: the string, or "#" + hex of the
 * element exactly as encoded (not asn1js' re-encoding, which rewrites
 * lengths and drops what it could not read).
 */
function attrValue(v: asn1js.AsnType): string {
  const b = v as asn1js.BaseBlock;
  const id = b.idBlock;
  if (id.tagClass === 1 && !id.isConstructed && STRING_TYPES.has(id.tagNumber)) {
    const text = id.tagNumber === 12 ? strictUtf8(b) : String((v as asn1js.BaseStringBlock).valueBlock.value);
    if (text !== undefined) return text;
  }
  return "#" + hex(b.valueBeforeDecodeView);
}

function names(n: pkijs.RelativeDistinguishedNames): Array<[string, string]> {
  return n.typesAndValues.map((t) => [dottedOid(t.type), attrValue(t.value)]);
}

function sans(exts: pkijs.Extension[] | undefined): string[] | undefined {
  const san = exts?.find((e) => e.extnID === "2.5.29.17");
  if (!san) return undefined;
  const seq = asn1js.fromBER(san.extnValue.valueBlock.valueHexView);
  // asn1js' own reason when it cannot read the value (VALUE_CHECKS / IN_SKIPPED_PARTS judge it: ours shows an unknown GeneralName as "other:hex" unread).
  if (seq.offset === -1) throw new RefReject(`asn1js: ${seq.result.error}`);
  if (!(seq.result instanceof asn1js.Sequence)) throw new RefReject("subjectAltName is not a SEQUENCE");
  return seq.result.valueBlock.value.map((gn) => {
    const id = (gn as asn1js.BaseBlock).idBlock;
    const raw = primContents(gn as asn1js.BaseBlock);
    const text = Buffer.from(raw).toString("latin1");
    if (id.tagClass === 3 && !id.isConstructed && id.tagNumber === 1) return `email:${text}`;
    if (id.tagClass === 3 && !id.isConstructed && id.tagNumber === 2) return `DNS:${text}`;
    if (id.tagClass === 3 && !id.isConstructed && id.tagNumber === 6) return `URI:${text}`;
    if (id.tagClass === 3 && !id.isConstructed && id.tagNumber === 7) return `IP:${ipText(raw)}`;
    if (id.tagClass === 3 && id.isConstructed && id.tagNumber === 0) return `otherName:${((gn as asn1js.Constructed).valueBlock.value[0] as asn1js.ObjectIdentifier).valueBlock.toString()}`;
    return `other:${hex(gn.toBER(false))}`;
  });
}

function serialHex(i: asn1js.Integer): string {
  const b = i.valueBlock.valueHexView;
  let k = 0;
  while (k < b.length - 1 && b[k] === 0) k++;
  return hex(b.subarray(k))!;
}

/** The SPKI element of a Certificate or CertificationRequest exactly as encoded (pkijs only re-encodes it). */
function rawSpki(root: asn1js.AsnType, csr: boolean): string | undefined {
  const info = (root as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence;
  const kids = info.valueBlock.value;
  const at = csr ? 2 : (kids[0] as asn1js.BaseBlock).idBlock.tagClass === 3 ? 6 : 5;
  return hex((kids[at] as asn1js.BaseBlock).valueBeforeDecodeView);
}

export function certView(c: pkijs.Certificate, root: asn1js.AsnType): unknown {
  return {
    serial: serialHex(c.serialNumber),
    issuer: names(c.issuer),
    subject: names(c.subject),
    spki: rawSpki(root, false),
    notBefore: c.notBefore.value.getTime(),
    notAfter: c.notAfter.value.getTime(),
    extensions: (c.extensions ?? []).map((e) => dottedOid(e.extnID)).sort(),
    sans: sans(c.extensions),
  };
}

function octets(o: asn1js.OctetString): Uint8Array {
  if (!o.idBlock.isConstructed) return o.valueBlock.valueHexView;
  return Buffer.concat(o.valueBlock.value.map((x) => octets(x as asn1js.OctetString)));
}

const emptySequence = (v: asn1js.AsnType | undefined): boolean => v instanceof asn1js.Sequence && v.valueBlock.value.length === 0;

function csrView(c: pkijs.CertificationRequest, root: asn1js.AsnType): unknown {
  let challengePassword: string | undefined;
  let exts: pkijs.Extension[] | undefined;
  for (const a of c.attributes ?? []) {
    if (a.type === "1.2.840.113549.1.9.7") challengePassword = String((a.values[0] as asn1js.BaseStringBlock).valueBlock.value);
    // pkijs throws a TypeError on an empty Extensions SEQUENCE; ours reads it as no extensions.
    if (a.type === "1.2.840.113549.1.9.14") exts = emptySequence(a.values?.[0]) ? [] : new pkijs.Extensions({ schema: a.values[0] }).extensions;
  }
  return {
    subject: names(c.subject),
    spki: rawSpki(root, true),
    challengePassword,
    extensions: (exts ?? []).map((e) => dottedOid(e.extnID)).sort(),
    sans: sans(exts),
    signatureOid: dottedOid(c.signatureAlgorithm.algorithmId),
  };
}

/** Whether an EncryptedContentInfo's [0] encryptedContent has constructed OCTET STRING segments (BER allows them, X.690 §8.7.3.2; pkijs' schema does not). */
function nestedSegments(envelopedData: asn1js.AsnType): boolean {
  const kids = (envelopedData as asn1js.Sequence).valueBlock.value ?? [];
  return kids.some((k) => {
    const enc = (k as asn1js.Sequence).valueBlock?.value?.[2] as asn1js.Constructed | undefined;
    return k instanceof asn1js.Sequence && enc?.idBlock?.tagClass === 3 && enc.idBlock.isConstructed && Array.isArray(enc.valueBlock.value) && enc.valueBlock.value.some((s) => s instanceof asn1js.OctetString && s.idBlock.isConstructed);
  });
}

function envelopeView(ci: pkijs.ContentInfo): unknown {
  if (ci.contentType !== "1.2.840.113549.1.7.3") throw new RefReject("not envelopedData");
  if (nestedSegments(ci.content)) throw new RefReject("skip: pkijs takes no constructed segments inside a constructed encryptedContent");
  const e = new pkijs.EnvelopedData({ schema: ci.content });
  const eci = e.encryptedContentInfo;
  const params = eci.contentEncryptionAlgorithm.algorithmParams as asn1js.AsnType | undefined;
  return {
    recipients: e.recipientInfos.map((r) => {
      if (r.variant !== 1) return { kind: r.variant === 2 ? "kari" : "other" };
      const ktri = r.value as pkijs.KeyTransRecipientInfo;
      if (ktri.rid instanceof pkijs.IssuerAndSerialNumber) return { issuer: hex(ktri.rid.issuer.valueBeforeDecode), serial: hex(ktri.rid.serialNumber.valueBlock.valueHexView) };
      return { ski: hex(octets(ktri.rid as asn1js.OctetString)) };
    }),
    cipherOid: dottedOid(eci.contentEncryptionAlgorithm.algorithmId),
    // Ours reads a primitive OCTET STRING IV only (a constructed one is refused when the envelope is opened).
    iv: params instanceof asn1js.OctetString && !params.idBlock.isConstructed ? hex(params.valueBlock.valueHexView) : undefined,
    encryptedContent: eci.encryptedContent ? hex(octets(eci.encryptedContent)) : undefined,
  };
}

function attr(sd: pkijs.SignedData, type: string): asn1js.AsnType | undefined {
  // pkijs leaves `values` undefined for an empty SET; ours reads that as the attribute's absence.
  return sd.signerInfos[0]?.signedAttrs?.attributes.find((a) => a.type === type)?.values?.[0];
}
const str = (v: asn1js.AsnType | undefined): string | undefined => (v === undefined ? undefined : String((v as asn1js.BaseStringBlock).valueBlock.value));
const oct = (v: asn1js.AsnType | undefined): string | undefined => (v === undefined ? undefined : hex((v as asn1js.OctetString).valueBlock.valueHexView));

/** The carried certificates, each viewed over its element as encoded (pkijs' toSchema re-encodes). */
function carried(ci: pkijs.ContentInfo, sd: pkijs.SignedData): unknown[] {
  const kids = (ci.content as asn1js.Sequence).valueBlock.value;
  const set = kids.find((k) => (k as asn1js.BaseBlock).idBlock.tagClass === 3 && (k as asn1js.BaseBlock).idBlock.tagNumber === 0) as asn1js.Constructed | undefined;
  const raw = set?.valueBlock.value ?? [];
  return (sd.certificates ?? []).flatMap((c, i) => (c instanceof pkijs.Certificate ? [certView(c, raw[i]!)] : []));
}

function emptyCrlExtensions(signedData: asn1js.AsnType): boolean {
  const kids = (signedData as asn1js.Sequence).valueBlock.value ?? [];
  const crls = kids.find((k) => (k as asn1js.BaseBlock).idBlock.tagClass === 3 && (k as asn1js.BaseBlock).idBlock.tagNumber === 1) as asn1js.Constructed | undefined;
  return (crls?.valueBlock.value ?? []).some((crl) => {
    const tbs = (crl as asn1js.Sequence).valueBlock?.value?.[0] as asn1js.Sequence | undefined;
    return (tbs?.valueBlock?.value ?? []).some((e) => (e as asn1js.BaseBlock).idBlock.tagClass === 3 && emptySequence((e as asn1js.Constructed).valueBlock?.value?.[0]));
  });
}

function signedDataView(ci: pkijs.ContentInfo): unknown {
  if (ci.contentType !== "1.2.840.113549.1.7.2") throw new RefReject("not signedData");
  let sd: pkijs.SignedData;
  try {
    sd = new pkijs.SignedData({ schema: ci.content });
  } catch (err) {
    // pkijs throws a TypeError on a CRL whose crlExtensions [0] holds an empty SEQUENCE; ours reads it as no extensions, as for certificates and CSRs (csrView).
    if (err instanceof TypeError && emptyCrlExtensions(ci.content)) throw new RefReject("skip: pkijs throws on an empty crlExtensions SEQUENCE");
    throw err;
  }
  const si = sd.signerInfos[0];
  const e = sd.encapContentInfo.eContent;
  return {
    contentType: dottedOid(sd.encapContentInfo.eContentType),
    content: e ? hex(octets(e)) : undefined,
    certificates: carried(ci, sd),
    // Ours counts the CertificateLists (the [1] other-format ones are skipped).
    crls: (sd.crls ?? []).filter((c) => c instanceof pkijs.CertificateRevocationList).length,
    signers: sd.signerInfos.length,
    digestOid: si && dottedOid(si.digestAlgorithm.algorithmId),
    signatureOid: si && dottedOid(si.signatureAlgorithm.algorithmId),
    messageType: str(attr(sd, "2.16.840.1.113733.1.9.2")),
    transactionId: str(attr(sd, "2.16.840.1.113733.1.9.7")),
    senderNonce: oct(attr(sd, "2.16.840.1.113733.1.9.5")),
    recipientNonce: oct(attr(sd, "2.16.840.1.113733.1.9.6")),
    pkiStatus: str(attr(sd, "2.16.840.1.113733.1.9.3")),
  };
}

function shape(n: asn1js.AsnType): unknown {
  const b = n as asn1js.BaseBlock;
  const tag = (b.idBlock.tagClass - 1) * 0x40 + (b.idBlock.isConstructed ? 0x20 : 0) + b.idBlock.tagNumber;
  if (b.idBlock.isConstructed && !Array.isArray((b as asn1js.Constructed).valueBlock.value)) throw new RefReject("skip: asn1js keeps no children for a constructed string");
  if (b.idBlock.isConstructed) return [tag, (b as asn1js.Constructed).valueBlock.value.filter((x) => !(x instanceof asn1js.EndOfContent)).map(shape)];
  return [tag, hex(primContents(b))];
}

/** The contents octets of a primitive element exactly as they were in the input. */
function primContents(b: asn1js.BaseBlock): Uint8Array {
  const whole = b.valueBeforeDecodeView;
  const header = b.idBlock.blockLength + b.lenBlock.blockLength;
  return whole.subarray(header, header + b.lenBlock.length);
}

function payloadView(r: asn1js.AsnType): unknown {
  if (!(r instanceof asn1js.Sequence)) throw new RefReject("not a SEQUENCE");
  const [a, b] = r.valueBlock.value;
  // pkijs builds an empty Name from a missing schema: both elements must be there.
  if (!a || !b) throw new RefReject("IssuerAndSubject / IssuerAndSerialNumber: fewer than 2 elements");
  const issuer = names(new pkijs.RelativeDistinguishedNames({ schema: a }));
  // By the tag, as ours picks: asn1js' Enumerated (0x0a) is a subclass of its Integer.
  if (b instanceof asn1js.Integer && (b as asn1js.BaseBlock).idBlock.tagNumber === 2) return { issuer, serial: hex(b.valueBlock.valueHexView) };
  return { issuer, subject: names(new pkijs.RelativeDistinguishedNames({ schema: b })) };
}

const decoders: Record<Kind, (r: asn1js.AsnType) => unknown> = {
  der: shape,
  name: (r) => names(new pkijs.RelativeDistinguishedNames({ schema: r })),
  cert: (r) => certView(new pkijs.Certificate({ schema: r }), r),
  csr: (r) => csrView(new pkijs.CertificationRequest({ schema: r }), r),
  envelope: (r) => envelopeView(new pkijs.ContentInfo({ schema: r })),
  pkimessage: (r) => signedDataView(new pkijs.ContentInfo({ schema: r })),
  payload: payloadView,
};

/** Runs the reference decoder of `kind`. Never throws. */
export function decodeReference(kind: Kind, bytes: Uint8Array): RefOutcome {
  try {
    const { result, trailing } = ber(bytes);
    return { ok: true, view: JSON.parse(JSON.stringify(decoders[kind](result))), trailing };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

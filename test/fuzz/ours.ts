/**
 * The decoders under test, each reduced to a plain "view" of the fields a
 * caller relies on (subject, SANs, public key, attributes, nonces,
 * transactionID, messageType...), or a rejection. A rejection is fine only
 * when the error is one of our typed errors.
 */
import { children, parseDer, Tag, type Tlv } from "../../src/crypto/der.js";
import {
  CryptoError, parseCarriedCertificates, parseCertificate, parseCsr, parseEnvelope, parseName, parseSignedData, parseSubjectAltName, Oid,
  type Certificate, type NameAttribute,
} from "../../src/crypto/index.js";
import { AttributeError, parseIssuerAndSerial, parseIssuerAndSubject, ProtocolError, readScepAttributes } from "../../src/protocol/index.js";

export type Kind = "der" | "name" | "cert" | "csr" | "envelope" | "pkimessage" | "payload";

export type Outcome = { ok: true; view: unknown } | { ok: false; typed: boolean; error: string };

/** Our typed errors (src/crypto/errors.ts, src/protocol/errors.ts, AttributeError). */
export function isTyped(err: unknown): boolean {
  return err instanceof CryptoError || err instanceof ProtocolError || err instanceof AttributeError;
}

const hex = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString("hex"));
const names = (a: NameAttribute[]): Array<[string, string]> => a.map((x) => [x.oid, x.value]);

/** Tree shape: [tag, children] or [tag, contents hex], iterative (nesting may be deep). */
function shape(root: Tlv): unknown {
  const out: unknown[] = [];
  const stack: Array<[Tlv, unknown[]]> = [[root, out]];
  for (let e = stack.pop(); e; e = stack.pop()) {
    const [t, into] = e;
    if ((t.tag & 0x20) === 0) {
      into.push([t.tag, hex(t.buf.subarray(t.contentStart, t.contentEnd))]);
      continue;
    }
    const kids: unknown[] = [];
    into.push([t.tag, kids]);
    for (const c of children(t).reverse()) stack.push([c, kids]);
  }
  return out[0];
}

function sans(c: { extensions: ReadonlyMap<string, { value: Uint8Array }> }): string[] | undefined {
  const san = c.extensions.get(Oid.subjectAltName);
  return san ? parseSubjectAltName(san.value) : undefined;
}

export function certView(c: Certificate): unknown {
  return {
    serial: c.serialHex,
    issuer: names(parseName(c.issuer)),
    subject: names(c.subjectAttributes()),
    spki: hex(c.spki),
    notBefore: c.notBefore.getTime(),
    notAfter: c.notAfter.getTime(),
    extensions: [...c.extensions.keys()].sort(),
    sans: sans(c),
  };
}

const decoders: Record<Kind, (b: Uint8Array) => unknown> = {
  der: (b) => shape(parseDer(b)),
  name: (b) => names(parseName(b)),
  cert: (b) => certView(parseCertificate(b)),
  csr: (b) => {
    const c = parseCsr(b);
    return { subject: names(c.subjectAttributes), spki: hex(c.spki), challengePassword: c.challengePassword, extensions: [...c.extensions.keys()].sort(), sans: sans(c), signatureOid: c.signatureOid };
  },
  envelope: (b) => {
    const e = parseEnvelope(b);
    return {
      recipients: e.recipients.map((r) => (r.kind === "ktri" ? ("ski" in r.rid ? { ski: hex(r.rid.ski) } : { issuer: hex(r.rid.issuer), serial: hex(r.rid.serial) }) : { kind: r.kind })),
      cipherOid: e.cipherOid,
      iv: hex(e.iv),
      encryptedContent: hex(e.encryptedContent),
    };
  },
  pkimessage: (b) => {
    const sd = parseSignedData(b);
    const certs = parseCarriedCertificates(sd).map(certView);
    const si = sd.signers[0];
    const a = si ? readScepAttributes(si.attributes) : {};
    return {
      contentType: sd.contentType,
      content: hex(sd.content),
      certificates: certs,
      crls: sd.crls.length,
      signers: sd.signers.length,
      digestOid: si?.digestOid,
      signatureOid: si?.signatureOid,
      messageType: a.messageType,
      transactionId: a.transactionId,
      senderNonce: hex(a.senderNonce),
      recipientNonce: hex(a.recipientNonce),
      pkiStatus: a.pkiStatus,
    };
  },
  // Which of the two by the second element, as the reference picks (a try/catch fell back to IssuerAndSubject on a bad issuer Name and reported that error).
  payload: (b) => {
    if (children(parseDer(b))[1]?.tag === Tag.INTEGER) {
      const p = parseIssuerAndSerial(b);
      return { issuer: names(parseName(p.issuer)), serial: hex(p.serial) };
    }
    const p = parseIssuerAndSubject(b);
    return { issuer: names(parseName(p.issuer)), subject: names(parseName(p.subject)) };
  },
};

/** Runs our decoder of `kind` on `bytes`. Never throws. */
export function decodeOurs(kind: Kind, bytes: Uint8Array): Outcome {
  try {
    return { ok: true, view: decoders[kind](bytes) };
  } catch (err) {
    return { ok: false, typed: isTyped(err), error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

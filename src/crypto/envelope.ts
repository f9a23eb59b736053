/**
 * CMS EnvelopedData (RFC 5652 §6) as SCEP's pkcsPKIEnvelope: parse, open with
 * one of our keys, and build to a recipient certificate.
 */
import type { KeyObject } from "node:crypto";
import { cipherByOid, Ciphers, digestByOid, type CipherName, type DigestName, type KeyTransportName } from "./algorithms.js";
import type { Certificate } from "./certificate.js";
import { matchesIssuerSerial, parseCertificate } from "./certificate.js";
import { decryptContent, encryptContent, newContentKey } from "./content-cipher.js";
import { parseContentInfo, contentInfo } from "./content-info.js";
import {
  algorithmId, children, contents, ctx, ctxPrim, derNull, expectChildren, expectTag, int, intRaw, octetValue, octets, oid, oidValue, raw, retag,
  parseDer, seq, setOf, Tag, type Tlv,
} from "./der.js";
import { expectAlgorithm, expectAttributeSet, expectVersion } from "./der-shape.js";
import { DerError, NoRecipientError, UnsupportedAlgorithmError } from "./errors.js";
import { agreeAndUnwrap, agreeAndWrap, KARI_VERSION } from "./key-agreement.js";
import { unwrapOaep, unwrapPkcs1, wrapOaep, wrapPkcs1 } from "./key-transport.js";
import { expectName } from "./name.js";
import { Oid } from "./oids.js";
import { certificateSet, revocationInfoChoices } from "./signed-data.js";
import { inThreadKeyOps, type PrivateKeyOps } from "./private-key-ops.js";

/** RecipientIdentifier: IssuerAndSerialNumber or [0] SubjectKeyIdentifier. */
export type RecipientId = { issuer: Uint8Array; serial: Uint8Array } | { ski: Uint8Array };

export type RecipientInfo =
  | { kind: "ktri"; rid: RecipientId; keyEncryption: Tlv; encryptedKey: Uint8Array }
  | { kind: "kari"; originatorKey: Tlv; ukm?: Uint8Array; schemeOid: string; wrapOid: string; keys: Array<{ rid: RecipientId; encryptedKey: Uint8Array }> }
  | { kind: "other" };

export interface ParsedEnvelope {
  recipients: RecipientInfo[];
  cipherOid: string;
  iv: Uint8Array | undefined;
  encryptedContent: Uint8Array;
}

/** One of our decryption identities; `rejectionSecret` from keys.implicitRejectionSecret. */
export interface DecryptionKey {
  cert: Certificate;
  key: KeyObject;
  rejectionSecret: Uint8Array;
}

export interface OpenedEnvelope {
  content: Uint8Array;
  cipher: CipherName;
  keyTransport: KeyTransportName | "ecdh";
  oaepHash?: DigestName;
  recipient: DecryptionKey;
}

function parseRid(t: Tlv): RecipientId {
  if (t.tag === 0x80) return { ski: contents(t) };
  const [issuer, serial] = expectChildren(t, Tag.SEQUENCE, "IssuerAndSerialNumber", 2);
  return { issuer: raw(expectName(issuer, "issuer")), serial: contents(expectTag(serial, Tag.INTEGER, "serialNumber")) };
}

function parseKari(t: Tlv): RecipientInfo {
  const kids = children(t);
  const originator = children(expectTag(kids[1], 0xa0, "originator"))[0];
  if (!originator || originator.tag !== 0xa1) throw new UnsupportedAlgorithmError("key agreement without an originator public key");
  let i = 2;
  const ukm = kids[i]?.tag === 0xa1 ? octetValue(children(kids[i++]!)[0]!) : undefined;
  const [schemeOid, wrapAlg] = expectChildren(kids[i++], Tag.SEQUENCE, "keyEncryptionAlgorithm", 2);
  const keys = expectChildren(kids[i], Tag.SEQUENCE, "RecipientEncryptedKeys").map((rek) => {
    const [rid, ek] = expectChildren(rek, Tag.SEQUENCE, "RecipientEncryptedKey", 2);
    const id = rid!.tag === 0xa0 ? { ski: contents(children(rid!)[0]!) } : parseRid(rid!);
    return { rid: id, encryptedKey: octetValue(ek!) };
  });
  const [wrapOid] = expectChildren(wrapAlg, Tag.SEQUENCE, "key wrap algorithm", 1);
  return { kind: "kari", originatorKey: originator, ukm, schemeOid: oidValue(schemeOid!), wrapOid: oidValue(wrapOid!), keys };
}

/**
 * OriginatorInfo ::= SEQUENCE { certs [0] IMPLICIT CertificateSet OPTIONAL, crls [1] IMPLICIT RevocationInfoChoices OPTIONAL }
 * (RFC 5652 §6.1), as [0] IMPLICIT: not read by scepgate, and skipped
 * whatever it held (issue 12, fuzz-envelope-originator-info).
 */
function expectOriginatorInfo(t: Tlv): void {
  const kids = children(t);
  let i = 0;
  if (kids[i]?.tag === 0xa0) for (const c of certificateSet(kids[i++]!)) parseCertificate(c);
  if (kids[i]?.tag === 0xa1) revocationInfoChoices(kids[i++]!);
  if (kids[i]) throw new DerError(`OriginatorInfo: unexpected element 0x${kids[i]!.tag.toString(16)}`);
}

/**
 * The outer shape of the RecipientInfo alternatives scepgate does not use (RFC 5652 §6.2.3-5):
 *
 *     kekri [2] { version, kekid KEKIdentifier SEQUENCE, keyEncryptionAlgorithm, encryptedKey OCTET STRING }
 *     pwri  [3] { version, keyDerivationAlgorithm [0] OPTIONAL, keyEncryptionAlgorithm, encryptedKey OCTET STRING }
 *     ori   [4] { oriType OBJECT IDENTIFIER, oriValue ANY }
 */
function expectOtherRecipient(t: Tlv): RecipientInfo {
  const what = `RecipientInfo [${t.tag & 0x1f}]`;
  const kids = children(t);
  if (t.tag === 0xa4) {
    if (kids.length !== 2) throw new DerError(`${what}: expected 2 elements, got ${kids.length}`);
    oidValue(expectTag(kids[0], Tag.OID, `${what} oriType`));
    return { kind: "other" };
  }
  expectVersion(kids[0], what);
  let i = 1;
  if (t.tag === 0xa2) expectTag(kids[i++], Tag.SEQUENCE, `${what} kekid`);
  else if (kids[i]?.tag === 0xa0) oidValue(expectTag(expectChildren(kids[i++], 0xa0, `${what} keyDerivationAlgorithm`, 1)[0], Tag.OID, `${what} keyDerivationAlgorithm algorithm`));
  expectAlgorithm(kids[i++], `${what} keyEncryptionAlgorithm`);
  expectTag(kids[i++], Tag.OCTET_STRING, `${what} encryptedKey`);
  if (kids[i]) throw new DerError(`${what}: more elements than RFC 5652 §6.2 gives it`);
  return { kind: "other" };
}

/** Parses a ContentInfo(envelopedData); throws DerError when malformed. */
export function parseEnvelope(der: Uint8Array): ParsedEnvelope {
  const { contentType, content } = parseContentInfo(der);
  if (contentType !== Oid.envelopedData) throw new DerError(`expected envelopedData, got content type ${contentType}`);
  const kids = expectChildren(content, Tag.SEQUENCE, "EnvelopedData", 3);
  expectVersion(kids[0], "EnvelopedData");
  let i = 1;
  if (kids[i]?.tag === 0xa0) expectOriginatorInfo(kids[i++]!);
  const recipients = expectChildren(kids[i++], Tag.SET, "RecipientInfos", 1).map((ri): RecipientInfo => {
    if (ri.tag === 0xa1) return parseKari(ri);
    // RecipientInfo is a CHOICE (RFC 5652 §6.2): kekri [2], pwri [3] and ori [4] are "other"; any other tag is no RecipientInfo (issue 12, fuzz-shape-fields).
    if (ri.tag === 0xa2 || ri.tag === 0xa3 || ri.tag === 0xa4) return expectOtherRecipient(ri);
    const [version, rid, alg, ek] = expectChildren(ri, Tag.SEQUENCE, "KeyTransRecipientInfo", 4);
    expectVersion(version, "KeyTransRecipientInfo");
    expectAlgorithm(alg, "keyEncryptionAlgorithm");
    return { kind: "ktri", rid: parseRid(rid!), keyEncryption: alg!, encryptedKey: octetValue(expectTag(ek, Tag.OCTET_STRING, "encryptedKey")) };
  });
  const tail = kids.slice(i + 1);
  // RFC 5652 §6.1: only unprotectedAttrs [1] may follow encryptedContentInfo; other elements were skipped unread (issue 12).
  if (tail.length > 1 || (tail[0] && tail[0].tag !== 0xa1)) throw new DerError("EnvelopedData: unexpected element after encryptedContentInfo");
  if (tail[0]) expectAttributeSet(tail[0], 0xa1, "unprotectedAttrs");
  const [contentTypeTlv, algTlv, encrypted] = expectChildren(kids[i], Tag.SEQUENCE, "EncryptedContentInfo", 2);
  oidValue(contentTypeTlv!);
  expectAlgorithm(algTlv, "contentEncryptionAlgorithm");
  const [cipherOidTlv, params] = expectChildren(algTlv, Tag.SEQUENCE, "contentEncryptionAlgorithm", 1);
  if (!encrypted || (encrypted.tag & 0xdf) !== 0x80) throw new DerError("EncryptedContentInfo has no encryptedContent");
  return {
    recipients,
    cipherOid: oidValue(cipherOidTlv!),
    iv: params?.tag === Tag.OCTET_STRING ? contents(params) : undefined,
    encryptedContent: octetValue(encrypted),
  };
}

function ridMatches(rid: RecipientId, cert: Certificate): boolean {
  if ("ski" in rid) {
    const ski = cert.extensions.get(Oid.subjectKeyIdentifier);
    return !!ski && Buffer.compare(octetValue(expectTag(parseDer(ski.value), Tag.OCTET_STRING, "SubjectKeyIdentifier")), rid.ski) === 0;
  }
  return matchesIssuerSerial(cert, rid.issuer, rid.serial);
}

function oaepHashOf(alg: Tlv): DigestName {
  const [, params] = children(alg);
  if (!params) return "sha1";
  let hash: DigestName = "sha1";
  let mgfHash: DigestName = "sha1";
  for (const field of children(params)) {
    const inner = children(field)[0]!;
    if (field.tag === 0xa0) hash = digestByOid(oidValue(children(inner)[0]!));
    if (field.tag === 0xa1) mgfHash = digestByOid(oidValue(children(children(inner)[1]!)[0]!));
    if (field.tag === 0xa2 && contents(children(children(inner)[1] ?? inner)[0] ?? inner).length) {
      throw new UnsupportedAlgorithmError("RSAES-OAEP with a label is not supported");
    }
  }
  if (hash !== mgfHash) throw new UnsupportedAlgorithmError("RSAES-OAEP with different OAEP and MGF1 hashes is not supported");
  return hash;
}

/**
 * Finds our recipient and decrypts the content; the RSA private-key operation
 * runs on `ops`. Throws NoRecipientError, UnsupportedAlgorithmError or DecryptionError.
 */
export async function openEnvelope(env: ParsedEnvelope, keys: readonly DecryptionKey[], ops: PrivateKeyOps = inThreadKeyOps): Promise<OpenedEnvelope> {
  const cipher = cipherByOid(env.cipherOid);
  const spec = Ciphers[cipher];
  if (!env.iv || env.iv.length !== spec.ivLength) throw new DerError(`${cipher}: missing or bad IV`);
  for (const ri of env.recipients) {
    if (ri.kind === "ktri") {
      const k = keys.find((key) => ridMatches(ri.rid, key.cert));
      if (!k) continue;
      const algOid = oidValue(children(ri.keyEncryption)[0]!);
      let cek: Uint8Array;
      let oaepHash: DigestName | undefined;
      if (algOid === Oid.rsaEncryption) cek = await unwrapPkcs1(k.key, k.rejectionSecret, ri.encryptedKey, spec.keyLength, ops);
      else if (algOid === Oid.rsaesOaep) cek = unwrapOaep(k.key, (oaepHash = oaepHashOf(ri.keyEncryption)), ri.encryptedKey);
      else throw new UnsupportedAlgorithmError(`unsupported key encryption algorithm ${algOid}`);
      const content = decryptContent(cipher, cek, env.iv, env.encryptedContent);
      return { content, cipher, keyTransport: algOid === Oid.rsaEncryption ? "rsa-pkcs1" : "rsa-oaep", oaepHash, recipient: k };
    }
    if (ri.kind === "kari") {
      for (const rek of ri.keys) {
        const k = keys.find((key) => ridMatches(rek.rid, key.cert));
        if (!k) continue;
        const spki = originatorSpki(ri.originatorKey, k);
        const cek = agreeAndUnwrap(k.key, spki, ri.schemeOid, ri.wrapOid, rek.encryptedKey, ri.ukm);
        return { content: decryptContent(cipher, cek, env.iv, env.encryptedContent), cipher, keyTransport: "ecdh", recipient: k };
      }
    }
  }
  throw new NoRecipientError("the envelope is not encrypted to any of our certificates");
}

/** OriginatorPublicKey as an SPKI; absent curve parameters mean the recipient's curve (RFC 5753 §3.1.1). */
function originatorSpki(originatorKey: Tlv, ours: DecryptionKey): Uint8Array {
  const [alg, pub] = children(originatorKey);
  if (children(alg!).length >= 2) return retag(raw(originatorKey), Tag.SEQUENCE);
  const [ourAlg] = children(parseDer(ours.cert.spki));
  return seq(raw(ourAlg!), raw(pub!));
}

export interface EnvelopeOptions {
  content: Uint8Array;
  cipher: CipherName;
  recipient: Certificate;
  /** For RSA recipients; default rsa-pkcs1 (what every SCEP client decrypts). */
  keyTransport?: KeyTransportName;
  oaepHash?: DigestName;
}

function issuerAndSerial(cert: Certificate): Uint8Array {
  return seq(cert.issuer, intRaw(cert.serial));
}

function recipientInfo(o: EnvelopeOptions, cek: Uint8Array): Uint8Array {
  const pub = o.recipient.publicKey();
  if (pub.asymmetricKeyType === "ec") {
    const r = agreeAndWrap(pub, cek);
    const [, point] = children(parseDer(r.originatorSpki));
    const originatorKey = ctx(1, algorithmId(Oid.ecPublicKey), raw(point!));
    const rek = seq(issuerAndSerial(o.recipient), octets(r.encryptedKey));
    return ctx(1, KARI_VERSION, ctx(0, originatorKey), r.keyEncryptionAlgorithm, seq(rek));
  }
  if (pub.asymmetricKeyType !== "rsa") throw new UnsupportedAlgorithmError(`cannot encrypt to a ${pub.asymmetricKeyType} key`);
  if (o.keyTransport === "rsa-oaep") {
    const hash = o.oaepHash ?? "sha1";
    const params = hash === "sha1" ? seq() : oaepParams(hash);
    return seq(int(0), issuerAndSerial(o.recipient), algorithmId(Oid.rsaesOaep, params), octets(wrapOaep(pub, hash, cek)));
  }
  return seq(int(0), issuerAndSerial(o.recipient), algorithmId(Oid.rsaEncryption, derNull()), octets(wrapPkcs1(pub, cek)));
}

function oaepParams(hash: DigestName): Uint8Array {
  const hashAlg = algorithmId(digestOid(hash), derNull());
  return seq(ctx(0, hashAlg), ctx(1, algorithmId(Oid.mgf1, hashAlg)));
}

function digestOid(hash: DigestName): string {
  return { md5: Oid.md5, sha1: Oid.sha1, sha256: Oid.sha256, sha384: Oid.sha384, sha512: Oid.sha512 }[hash];
}

/** Builds ContentInfo(envelopedData) with DER (definite) lengths and a primitive encryptedContent. */
export function buildEnvelope(o: EnvelopeOptions): Uint8Array {
  const { key, iv } = newContentKey(o.cipher);
  const ri = recipientInfo(o, key);
  const encrypted = encryptContent(o.cipher, key, iv, o.content);
  const eci = seq(oid(Oid.data), algorithmId(Ciphers[o.cipher].oid, octets(iv)), ctxPrim(0, encrypted));
  const version = ri[0] === 0xa1 ? 2 : 0;
  return contentInfo(Oid.envelopedData, seq(int(version), setOf(ri), eci));
}

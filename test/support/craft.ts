/**
 * Builders for pkiMessages that scepgate's own builders refuse to make:
 * envelopes with chosen OIDs and corrupted parts, SignedData with an invented
 * digest OID, and byte patches at a known place. Everything is written with
 * the DER writer of src/crypto/der.ts, so each test states exactly what is
 * wrong with its message.
 */
import { constants, createHash, createPrivateKey, createPublicKey, sign as nodeSign, type KeyObject } from "node:crypto";
import {
  buildCsr, buildName, children, Ciphers, contents, Digests, encodePssParams, Oid, parseDer, raw, signData,
  type Attribute, type Certificate, type CipherName, type DigestName, type PssParams,
} from "../../src/crypto/index.js";
import { encryptContent, newContentKey } from "../../src/crypto/content-cipher.js";
import { contentInfo } from "../../src/crypto/content-info.js";
import { algorithmId, bitString, ctx, ctxPrim, derNull, int, intRaw, octets, oid, retag, seq, setOf, time } from "../../src/crypto/der.js";
import { wrapPkcs1 } from "../../src/crypto/key-transport.js";
import { MessageType, scepAttributes, type ScepAttributes } from "../../src/protocol/index.js";

export interface CraftSigner {
  cert: Certificate;
  key: KeyObject;
}

/** Returns a copy of `whole` with `f` applied to the byte at `index` of `part`, a view into `whole`. */
export function patchByte(whole: Uint8Array, part: Uint8Array, index: number, f: (b: number) => number = (b) => b ^ 0x01): Uint8Array {
  const inside = part.byteOffset >= whole.byteOffset && part.byteOffset + part.length <= whole.byteOffset + whole.length;
  if (part.buffer !== whole.buffer || !inside) throw new Error("patchByte: part is not a view into whole");
  const at = part.byteOffset - whole.byteOffset + (index < 0 ? part.length + index : index);
  if (at < 0 || at >= whole.length) throw new Error("patchByte: index outside the message");
  const copy = Buffer.from(whole);
  copy[at] = f(copy[at]!) & 0xff;
  return copy;
}

export interface CraftEnvelopeOptions {
  content: Uint8Array;
  /** Whose IssuerAndSerialNumber the recipient names and whose key wraps the CEK. */
  recipient: Certificate;
  /** The cipher really used; default aes128. */
  cipher?: CipherName;
  /** The contentEncryptionAlgorithm OID written; default the cipher's. */
  cipherOid?: string;
  /** The keyEncryptionAlgorithm OID written; default rsaEncryption (params NULL). */
  keyEncryptionOid?: string;
  /** Changes the encryptedKey after wrapping. */
  mutateEncryptedKey?: (encryptedKey: Uint8Array) => Uint8Array;
  /** Changes the encrypted content after encryption (it receives the IV too). */
  mutateCiphertext?: (ciphertext: Uint8Array, iv: Uint8Array) => Uint8Array;
}

/** The parts of a crafted envelope, for tests that reason about them. */
export interface CraftedEnvelope {
  der: Uint8Array;
  cipher: CipherName;
  iv: Uint8Array;
  encryptedKey: Uint8Array;
  ciphertext: Uint8Array;
}

/** ContentInfo(envelopedData) with one KeyTransRecipientInfo, built field by field (RFC 5652 §6.1). */
export function craftEnvelope(o: CraftEnvelopeOptions): CraftedEnvelope {
  const cipher = o.cipher ?? "aes128";
  const { key, iv } = newContentKey(cipher);
  const encryptedKey = (o.mutateEncryptedKey ?? ((k) => k))(wrapPkcs1(o.recipient.publicKey(), key));
  const ciphertext = (o.mutateCiphertext ?? ((c) => c))(encryptContent(cipher, key, iv, o.content), iv);
  const keyAlg = o.keyEncryptionOid === undefined ? algorithmId(Oid.rsaEncryption, derNull()) : algorithmId(o.keyEncryptionOid, derNull());
  const ktri = seq(int(0), seq(o.recipient.issuer, intRaw(o.recipient.serial)), keyAlg, octets(encryptedKey));
  const eci = seq(oid(Oid.data), algorithmId(o.cipherOid ?? Ciphers[cipher].oid, octets(iv)), ctxPrim(0, ciphertext));
  return { der: contentInfo(Oid.envelopedData, seq(int(0), setOf(ktri), eci)), cipher, iv, encryptedKey, ciphertext };
}

export interface CraftRequestOptions {
  signer: CraftSigner;
  /** The eContent: normally a pkcsPKIEnvelope. */
  content: Uint8Array;
  /** SCEP attributes; default PKCSReq with a transactionID and a 16-octet senderNonce. */
  scep?: ScepAttributes;
  /** Further signed attributes, written as given. */
  extraAttributes?: readonly Attribute[];
  digest?: DigestName;
  certificates?: readonly Uint8Array[];
}

export const defaultScep = (): ScepAttributes => ({
  messageType: MessageType.PKCSReq,
  transactionId: "crafted-tx",
  senderNonce: Uint8Array.from({ length: 16 }, (_, i) => i + 1),
});

/** A correctly signed pkiMessage around `content` with the SCEP attributes given (absent ones are left out). */
export function craftRequest(o: CraftRequestOptions): Uint8Array {
  return signData({
    contentType: Oid.data,
    content: o.content,
    certificates: o.certificates ?? [o.signer.cert.der],
    signerCert: o.signer.cert,
    signerKey: o.signer.key,
    digest: o.digest ?? "sha256",
    signingTime: new Date(),
    attributes: [...scepAttributes(o.scep ?? defaultScep()), ...(o.extraAttributes ?? [])],
  });
}

/** The same pkiMessage with its EncapsulatedContentInfo replaced by `encap` (DER); the signature is left as it was. */
export function replaceEncapContent(der: Uint8Array, encap: Uint8Array): Uint8Array {
  const [type, wrapped] = children(parseDer(der));
  const [signedData] = children(wrapped!);
  const kids = children(signedData!).map(raw);
  kids[2] = encap;
  return seq(raw(type!), ctx(0, seq(...kids)));
}

export interface CraftDigestOptions extends CraftRequestOptions {
  /** The digestAlgorithm OID written (in SignedData.digestAlgorithms and the SignerInfo). */
  digestOid: string;
}

/**
 * A pkiMessage whose digestAlgorithm is `digestOid` while messageDigest and
 * the signature are really computed with `digest` (RSA signer, signature
 * algorithm rsaEncryption as scepgate writes it).
 */
export function craftWithDigestOid(o: CraftDigestOptions): Uint8Array {
  const hash = Digests[o.digest ?? "sha256"].node;
  const attrs = [
    seq(oid(Oid.contentType), setOf(oid(Oid.data))),
    seq(oid(Oid.signingTime), setOf(time(new Date()))),
    seq(oid(Oid.messageDigest), setOf(octets(createHash(hash).update(o.content).digest()))),
    ...scepAttributes(o.scep ?? defaultScep()).map((a) => seq(oid(a.type), setOf(...a.values))),
  ];
  const signedAttrs = setOf(...attrs);
  const signature = nodeSign(hash, signedAttrs, o.signer.key);
  const signerInfo = seq(
    int(1),
    seq(o.signer.cert.issuer, intRaw(o.signer.cert.serial)),
    algorithmId(o.digestOid, derNull()),
    retag(signedAttrs, 0xa0),
    algorithmId(Oid.rsaEncryption, derNull()),
    octets(signature),
  );
  const sd = seq(
    int(1),
    setOf(algorithmId(o.digestOid, derNull())),
    seq(oid(Oid.data), ctx(0, octets(o.content))),
    ctx(0, ...(o.certificates ?? [o.signer.cert.der])),
    setOf(signerInfo),
  );
  return contentInfo(Oid.signedData, sd);
}

/** A PKCS#10 request whose signature BIT STRING has its last octet flipped. */
export function csrWithBadSignature(key: KeyObject, dn = "CN=tampered"): Uint8Array {
  const csr = buildCsr({ subject: buildName(dn), key, challengePassword: "pw" });
  const [, , signature] = children(parseDer(csr));
  return patchByte(csr, contents(signature!), -1);
}

function sequenceHeader(len: number): number[] {
  if (len < 0x80) return [0x30, len];
  const bytes: number[] = [];
  for (let v = len; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [0x30, 0x80 | bytes.length, ...bytes];
}

/** `depth` nested SEQUENCEs, definite (DER) or indefinite (BER) lengths, built without recursion. */
export function nestedSequences(depth: number, indefinite = false): Uint8Array {
  if (indefinite) return Buffer.concat([Buffer.alloc(depth * 2, Buffer.from([0x30, 0x80])), Buffer.alloc(depth * 2, 0)]);
  const headers: number[][] = [];
  let len = 0;
  for (let i = 0; i < depth; i++) {
    const header = sequenceHeader(len);
    headers.push(header);
    len += header.length;
  }
  return Uint8Array.from(headers.reverse().flat());
}

// ---------------------------------------------------------------- RSASSA-PSS (issue 10)

/**
 * How a crafted RSASSA-PSS signature is made and what its AlgorithmIdentifier
 * says: the parameters really used to sign, and the parameters written
 * (default: their DER; `null` writes no parameters at all).
 */
export interface PssSignature {
  params: PssParams;
  written?: Uint8Array | null;
}

/** The id-RSASSA-PSS AlgorithmIdentifier a {@link PssSignature} writes. */
export function pssAlgorithmId(s: PssSignature): Uint8Array {
  if (s.written === null) return algorithmId(Oid.rsassaPss);
  return algorithmId(Oid.rsassaPss, s.written ?? encodePssParams(s.params));
}

/**
 * An id-RSASSA-PSS PKCS#8 private key (RFC 4055 §3.1 parameters in the
 * privateKeyAlgorithm) for the RSA key `key`: OpenSSL then runs MGF1 with
 * the key's MGF1 hash, which node:crypto's sign options cannot choose.
 */
export function pssPrivateKey(key: KeyObject, p: PssParams): KeyObject {
  const pkcs8 = seq(int(0), algorithmId(Oid.rsassaPss, encodePssParams(p)), octets(key.export({ format: "der", type: "pkcs1" })));
  return createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" });
}

/** RSASSA-PSS signature of `data` (RFC 8017 §8.1.1) under exactly `p`. */
export function signPss(data: Uint8Array, key: KeyObject, p: PssParams): Uint8Array {
  const signer = p.mgf1Hash === p.hash ? key : pssPrivateKey(key, p);
  return nodeSign(Digests[p.hash].node, data, { key: signer, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: p.saltLength });
}

/** The same RSA public key as an id-RSASSA-PSS SubjectPublicKeyInfo, with `params` (the key's restrictions) or none. */
export function pssSpki(key: KeyObject, params?: Uint8Array): Uint8Array {
  const rsa = createPublicKey(key).export({ format: "der", type: "pkcs1" });
  return seq(params ? algorithmId(Oid.rsassaPss, params) : algorithmId(Oid.rsassaPss), bitString(rsa));
}

/**
 * A copy of a SignedData (a pkiMessage or a CertRep) whose first signerInfo
 * is signed again, over its signedAttrs, with RSASSA-PSS by `key`; its
 * signatureAlgorithm becomes id-RSASSA-PSS with the parameters of `s`.
 */
export function resignWithPss(der: Uint8Array, key: KeyObject, s: PssSignature): Uint8Array {
  const [, wrapped] = children(parseDer(der));
  const sdKids = children(children(wrapped!)[0]!);
  const signerInfos = sdKids[sdKids.length - 1]!;
  const [first, ...others] = children(signerInfos);
  const si = children(first!).map(raw);
  const signedAttrs = si[3]!;
  if (signedAttrs[0] !== 0xa0) throw new Error("resignWithPss: the signerInfo has no signedAttrs");
  si[4] = pssAlgorithmId(s);
  si[5] = octets(signPss(retag(signedAttrs, 0x31), key, s.params));
  const rebuilt = [...sdKids.slice(0, -1).map(raw), setOf(seq(...si), ...others.map(raw))];
  return contentInfo(Oid.signedData, seq(...rebuilt));
}

/**
 * A PKCS#10 request (as buildCsr makes it) signed with RSASSA-PSS by `key`;
 * `spki` replaces the subjectPKInfo (e.g. {@link pssSpki}).
 */
export function csrWithPss(o: { dn: string; key: KeyObject; challengePassword?: string; spki?: Uint8Array }, s: PssSignature): Uint8Array {
  const plain = buildCsr({ subject: buildName(o.dn), key: o.key, challengePassword: o.challengePassword });
  const [info] = children(parseDer(plain));
  const infoKids = children(info!).map(raw);
  if (o.spki) infoKids[2] = o.spki;
  const tbs = seq(...infoKids);
  return seq(tbs, pssAlgorithmId(s), bitString(signPss(tbs, o.key, s.params)));
}

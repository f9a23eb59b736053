/**
 * An RSA private key on a PKCS#11 token, as the RA uses it: represented by its
 * public KeyObject, registered (crypto/private-key-ops) so that every
 * private-key operation on that KeyObject goes to the token.
 *
 * - Signing: the digest is computed here and the token signs the DigestInfo
 *   with CKM_RSA_PKCS (so every SCEP digest works, MD5 included, whatever
 *   CKM_*_RSA_PKCS the token has).
 * - Key transport: the token does raw RSA (CKM_RSA_X_509) and the PKCS#1 v1.5
 *   padding is checked in software with implicit rejection, exactly as for a
 *   file key (crypto/key-transport.ts). CKM_RSA_PKCS decryption on a token
 *   answers a bad padding with an error of its own: a padding oracle.
 */
import { constants, createHash, createPublicKey, publicEncrypt, randomBytes, verify, type KeyObject } from "node:crypto";
import { registerExternalKey, type DigestName, type ExternalPrivateKey } from "../crypto/index.js";
import { HsmError } from "./errors.js";
import { ck, pkcs11Reason, Pkcs11Token, type TokenRef } from "./pkcs11-token.js";

/** DER DigestInfo up to the digest value (RFC 8017 §9.2 note 1). */
const DIGEST_INFO_PREFIX: Record<DigestName, Buffer> = {
  md5: Buffer.from("3020300c06082a864886f70d020505000410", "hex"),
  sha1: Buffer.from("3021300906052b0e03021a05000414", "hex"),
  sha256: Buffer.from("3031300d060960864801650304020105000420", "hex"),
  sha384: Buffer.from("3041300d060960864801650304020205000430", "hex"),
  sha512: Buffer.from("3051300d060960864801650304020305000440", "hex"),
};

/** A key on a token: where it is and what it is called. */
export interface TokenKeyRef extends TokenRef {
  keyLabel: string;
}

export interface OpenedTokenKey {
  /** The key's public half; the handle the rest of scepgate uses for it. */
  publicKey: KeyObject;
  /** The secret for implicit rejection (crypto/keys.implicitRejectionSecret for file keys). */
  rejectionSecret: Uint8Array;
  /** The token and object, for messages. */
  source: string;
  token: Pkcs11Token;
  /** CKA_ID of the key (the certificate written next to it gets the same). */
  id: Buffer;
  /** The token would let the private key out (CKA_EXTRACTABLE, or not CKA_SENSITIVE). */
  exportable: boolean;
  /** The key may decrypt (CKA_DECRYPT), checked to work by raw RSA. */
  decrypts: boolean;
}

function digestInfo(digest: DigestName, data: Uint8Array): Buffer {
  const prefix = DIGEST_INFO_PREFIX[digest];
  if (!prefix) throw new HsmError(`no DigestInfo for ${digest}`);
  return Buffer.concat([prefix, createHash(digest).update(data).digest()]);
}

class TokenPrivateKey implements ExternalPrivateKey {
  constructor(
    private readonly token: Pkcs11Token,
    private readonly handle: Buffer,
    private readonly size: number,
  ) {}

  async rsaRaw(input: Uint8Array): Promise<Uint8Array> {
    const out = await this.token.withSession(async (lib, session) => {
      lib.C_DecryptInit(session, { mechanism: ck().CKM_RSA_X_509 }, this.handle);
      return lib.C_DecryptAsync(session, Buffer.from(input), Buffer.alloc(this.size));
    });
    return leftPad(out, this.size);
  }

  async sign(digest: DigestName, data: Uint8Array): Promise<Uint8Array> {
    const info = digestInfo(digest, data);
    return this.token.withSession(async (lib, session) => {
      lib.C_SignInit(session, { mechanism: ck().CKM_RSA_PKCS }, this.handle);
      return lib.C_SignAsync(session, info, Buffer.alloc(this.size));
    });
  }

  signNow(digest: DigestName, data: Uint8Array): Uint8Array {
    const info = digestInfo(digest, data);
    return this.token.withSessionNow((lib, session) => {
      lib.C_SignInit(session, { mechanism: ck().CKM_RSA_PKCS }, this.handle);
      return lib.C_Sign(session, info, Buffer.alloc(this.size));
    });
  }
}

/** Some tokens drop the leading zero octets of a raw RSA result; the unpadding wants all k octets. */
function leftPad(out: Buffer, size: number): Uint8Array {
  if (out.length === size) return new Uint8Array(out);
  const full = new Uint8Array(size);
  full.set(out, size - out.length);
  return full;
}

function objectsLabelled(token: Pkcs11Token, cls: number, label: string): Buffer[] {
  return token.find([{ type: ck().CKA_CLASS, value: cls }, { type: ck().CKA_LABEL, value: label }]);
}

/** The public key of the pair: from the public key object, else the private key's own attributes. */
function publicKeyOf(token: Pkcs11Token, privateKey: Buffer, label: string): KeyObject {
  const holder = objectsLabelled(token, ck().CKO_PUBLIC_KEY, label)[0] ?? privateKey;
  let n: Buffer, e: Buffer;
  try {
    [n, e] = token.attributes(holder, [ck().CKA_MODULUS, ck().CKA_PUBLIC_EXPONENT]) as [Buffer, Buffer];
  } catch (err) {
    throw new HsmError(`${token.name}: cannot read the public key of "${label}" (${pkcs11Reason(err)})`, { cause: err });
  }
  const b64 = (b: Buffer) => b.toString("base64url");
  return createPublicKey({ key: { kty: "RSA", n: b64(n), e: b64(e) }, format: "jwk" });
}

const PROOF_MESSAGE = Buffer.from("scepgate: token key proof and implicit-rejection secret, v1");

/** Key transport needs raw RSA on the token (some tokens disable CKM_RSA_X_509 by policy): find out at start, not at the first request. */
function assertRawRsa(token: Pkcs11Token, handle: Buffer, publicKey: KeyObject, size: number, source: string): void {
  const block = randomBytes(size);
  block[0] = 0;
  const encrypted = publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, block);
  let out: Buffer;
  try {
    out = token.withSessionNow((lib, session) => {
      lib.C_DecryptInit(session, { mechanism: ck().CKM_RSA_X_509 }, handle);
      return lib.C_Decrypt(session, encrypted, Buffer.alloc(size));
    });
  } catch (err) {
    throw new HsmError(`${source}: the token cannot decrypt with it by raw RSA (CKM_RSA_X_509: ${pkcs11Reason(err)}), which key transport needs`, { cause: err });
  }
  if (!Buffer.from(leftPad(out, size)).equals(block)) throw new HsmError(`${source}: the token's raw RSA decryption gave a wrong result`);
}

/**
 * Opens the key labelled `ref.keyLabel` on the token (logging in), checks it
 * is an RSA key whose private half matches its public half (one signature),
 * and registers it for the private-key operations. Throws HsmError with a
 * one-line reason (never the PIN).
 */
export function openTokenKey(ref: TokenKeyRef): OpenedTokenKey {
  const token = Pkcs11Token.open(ref);
  const source = `${token.name}, key "${ref.keyLabel}"`;
  const found = objectsLabelled(token, ck().CKO_PRIVATE_KEY, ref.keyLabel);
  if (found.length === 0) throw new HsmError(`${token.name}: no private key labelled "${ref.keyLabel}"`);
  if (found.length > 1) throw new HsmError(`${token.name}: ${found.length} private keys labelled "${ref.keyLabel}": labels must be unique`);
  const handle = found[0]!;
  const [type, id, sensitive, extractable, decrypt] = token.attributes(handle, [ck().CKA_KEY_TYPE, ck().CKA_ID, ck().CKA_SENSITIVE, ck().CKA_EXTRACTABLE, ck().CKA_DECRYPT]) as
    Buffer[] as [Buffer, Buffer, Buffer, Buffer, Buffer];
  if (type.readUIntLE(0, Math.min(type.length, 6)) !== ck().CKK_RSA) throw new HsmError(`${source}: only RSA keys on a token are supported`);
  const publicKey = publicKeyOf(token, handle, ref.keyLabel);
  const size = Math.ceil((publicKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  const key = new TokenPrivateKey(token, handle, size);
  let proof: Uint8Array;
  try {
    proof = key.signNow("sha256", PROOF_MESSAGE);
  } catch (err) {
    throw new HsmError(`${source}: the token cannot sign with it (${pkcs11Reason(err)})`, { cause: err });
  }
  if (!verify("sha256", PROOF_MESSAGE, publicKey, proof)) throw new HsmError(`${source}: the private key does not match its public key`);
  const decrypts = decrypt[0] !== 0;
  if (decrypts) assertRawRsa(token, handle, publicKey, size, source);
  registerExternalKey(publicKey, key);
  // Stable per key and known only to who can use the key: a hash of its (deterministic) signature.
  const rejectionSecret = createHash("sha256").update("scepgate implicit rejection (token)").update(proof).digest();
  const exportable = extractable[0] !== 0 || sensitive[0] === 0;
  return { publicKey, rejectionSecret, source, token, id, exportable, decrypts };
}

/** Generates an RSA key pair labelled `label` on the token (private half sensitive, not extractable). */
export function generateTokenKey(ref: TokenKeyRef, bits = 2048): void {
  const token = Pkcs11Token.open(ref);
  if (objectsLabelled(token, ck().CKO_PRIVATE_KEY, ref.keyLabel).length > 0) throw new HsmError(`${token.name}: a private key labelled "${ref.keyLabel}" exists already`);
  const id = createHash("sha1").update(ref.keyLabel).update(String(Date.now())).digest();
  const common = [
    { type: ck().CKA_TOKEN, value: true },
    { type: ck().CKA_LABEL, value: ref.keyLabel },
    { type: ck().CKA_ID, value: id },
  ];
  try {
    token.generateRsaKeyPair(
      [...common, { type: ck().CKA_MODULUS_BITS, value: bits }, { type: ck().CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
        { type: ck().CKA_VERIFY, value: true }, { type: ck().CKA_ENCRYPT, value: true }],
      [...common, { type: ck().CKA_PRIVATE, value: true }, { type: ck().CKA_SENSITIVE, value: true }, { type: ck().CKA_EXTRACTABLE, value: false },
        { type: ck().CKA_SIGN, value: true }, { type: ck().CKA_DECRYPT, value: true }],
    );
  } catch (err) {
    throw new HsmError(`${token.name}: cannot generate an RSA-${bits} key "${ref.keyLabel}" (${pkcs11Reason(err)})`, { cause: err });
  }
}

/** True when the token holds a private key labelled `ref.keyLabel`. */
export function hasTokenKey(ref: TokenKeyRef): boolean {
  return objectsLabelled(Pkcs11Token.open(ref), ck().CKO_PRIVATE_KEY, ref.keyLabel).length > 0;
}

/** The DER of the X.509 certificate labelled `label`, if the token has one. */
export function readTokenCertificate(token: Pkcs11Token, label: string): Uint8Array | undefined {
  const found = objectsLabelled(token, ck().CKO_CERTIFICATE, label);
  if (found.length > 1) throw new HsmError(`${token.name}: ${found.length} certificates labelled "${label}": labels must be unique`);
  if (found.length === 0) return undefined;
  const [value] = token.attributes(found[0]!, [ck().CKA_VALUE]) as [Buffer];
  return new Uint8Array(value);
}

/** What the token stores of a certificate besides its DER. */
export interface CertificateFields {
  der: Uint8Array;
  subject: Uint8Array;
  issuer: Uint8Array;
  /** DER of the serialNumber INTEGER, tag and length included. */
  serialDer: Uint8Array;
}

/** Stores `cert` labelled `label` (with the key's CKA_ID), replacing any certificate of that label. */
export function writeTokenCertificate(token: Pkcs11Token, label: string, id: Buffer, cert: CertificateFields): void {
  for (const old of objectsLabelled(token, ck().CKO_CERTIFICATE, label)) token.destroy(old);
  try {
    token.create([
      { type: ck().CKA_CLASS, value: ck().CKO_CERTIFICATE },
      { type: ck().CKA_CERTIFICATE_TYPE, value: ck().CKC_X_509 },
      { type: ck().CKA_TOKEN, value: true },
      { type: ck().CKA_LABEL, value: label },
      { type: ck().CKA_ID, value: id },
      { type: ck().CKA_SUBJECT, value: Buffer.from(cert.subject) },
      { type: ck().CKA_ISSUER, value: Buffer.from(cert.issuer) },
      { type: ck().CKA_SERIAL_NUMBER, value: Buffer.from(cert.serialDer) },
      { type: ck().CKA_VALUE, value: Buffer.from(cert.der) },
    ]);
  } catch (err) {
    throw new HsmError(`${token.name}: cannot store the certificate "${label}" (${pkcs11Reason(err)})`, { cause: err });
  }
}

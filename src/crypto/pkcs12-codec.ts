/**
 * PKCS#12 (RFC 7292) key + certificate bundles: open the files operators and
 * OpenSSL make, and build them for devices (batch enrollment).
 *
 * pkijs handles the structure (PFX, AuthenticatedSafe, SafeContents, bags)
 * and the password MAC. The bag encryption goes through ./pkcs12-pbe.ts
 * (node:crypto) via a CryptoEngine subclass, because pkijs 4 can only do
 * PBES2 with AES, not the PKCS#12 PBE schemes (3DES, RC2) that legacy files
 * use, and because its own PBES2 output is a BER constructed OCTET STRING.
 *
 * ```asn
 * PFX ::= SEQUENCE { version INTEGER {v3(3)}, authSafe ContentInfo, macData MacData OPTIONAL }
 * AuthenticatedSafe ::= SEQUENCE OF ContentInfo  -- data or encryptedData, each a SafeContents
 * SafeBag ::= SEQUENCE { bagId, bagValue [0] EXPLICIT, bagAttributes SET OF PKCS12Attribute OPTIONAL }
 * ```
 */
import { createHash, createPrivateKey, createPublicKey, webcrypto, type KeyObject } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { parseCertificate, type Certificate } from "./certificate.js";
import { DerError, KeyError, UnsupportedAlgorithmError } from "./errors.js";
import { pbeDecrypt, pbeEncrypt, PKCS12_ITERATIONS, type PbeScheme } from "./pkcs12-pbe.js";

/** What a PKCS#12 file holds, as scepgate uses it. */
export interface Pkcs12Contents {
  key: KeyObject;
  /** The certificate whose public key is `key`'s (DER). */
  cert: Uint8Array;
  /** The other certificates, issuer of `cert` first where the chain can be followed. */
  chain: Uint8Array[];
}

export interface Pkcs12BuildOptions {
  key: KeyObject;
  cert: Uint8Array;
  chain: Uint8Array[];
  passphrase: string;
  /** pbeWithSHAAnd3-KeyTripleDES-CBC for key and certificates and a SHA-1 MAC, for old devices. */
  legacy?: boolean;
  /** friendlyName attribute of the key and certificate (shown by Windows and macOS on import). */
  friendlyName?: string;
}

/** Iterations of the bag encryption and of the MAC (OpenSSL 3's default). */

const BagId = {
  key: "1.2.840.113549.1.12.10.1.1",
  shroudedKey: "1.2.840.113549.1.12.10.1.2",
  cert: "1.2.840.113549.1.12.10.1.3",
  safeContents: "1.2.840.113549.1.12.10.1.6",
} as const;
const x509CertType = "1.2.840.113549.1.9.22.1";
const friendlyNameOid = "1.2.840.113549.1.9.20";
const localKeyIdOid = "1.2.840.113549.1.9.21";

const toArrayBuffer = (b: Uint8Array): ArrayBuffer => Uint8Array.from(b).buffer;
const berOf = (o: { toBER(sizeOnly?: boolean): ArrayBuffer }): Uint8Array => new Uint8Array(o.toBER(false));

/**
 * A pkijs engine whose password-based bag encryption is ./pkcs12-pbe.ts. It
 * keeps the passphrase as a string: PBES2 wants it as UTF-8, the PKCS#12 PBE
 * schemes as BMPString, and pkijs only passes bytes.
 */
class Pkcs12Engine extends pkijs.CryptoEngine {
  constructor(
    private readonly passphrase: string,
    private readonly scheme: PbeScheme,
  ) {
    super({ name: "scepgate-pkcs12", crypto: webcrypto as unknown as pkijs.CryptoEngineParameters["crypto"] });
  }

  override async encryptEncryptedContentInfo(p: pkijs.CryptoEngineEncryptParams): Promise<pkijs.EncryptedContentInfo> {
    const { algorithm, ciphertext } = pbeEncrypt(this.scheme, new Uint8Array(p.contentToEncrypt), this.passphrase, PKCS12_ITERATIONS);
    return new pkijs.EncryptedContentInfo({
      contentType: p.contentType,
      contentEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({ schema: asn1js.fromBER(algorithm).result }),
      encryptedContent: new asn1js.OctetString({ valueHex: ciphertext }),
      disableSplit: true,
    });
  }

  override async decryptEncryptedContentInfo(p: pkijs.CryptoEngineDecryptParams): Promise<ArrayBuffer> {
    const info = p.encryptedContentInfo;
    const plain = pbeDecrypt(berOf(info.contentEncryptionAlgorithm.toSchema()), new Uint8Array(info.getEncryptedContent()), this.passphrase);
    return toArrayBuffer(plain);
  }
}

interface Bags {
  keys: Uint8Array[];
  certs: Uint8Array[];
}

function collectBags(bags: readonly pkijs.SafeBag[], passphrase: string, out: Bags): void {
  for (const bag of bags) {
    const value: unknown = bag.bagValue;
    if (bag.bagId === BagId.key && value instanceof pkijs.PrivateKeyInfo) {
      out.keys.push(berOf(value.toSchema()));
    } else if (bag.bagId === BagId.shroudedKey && value instanceof pkijs.PKCS8ShroudedKeyBag) {
      // NOTE: pkijs declares PKCS8ShroudedKeyBag.parseInternalValues protected; decrypt directly.
      out.keys.push(pbeDecrypt(berOf(value.encryptionAlgorithm.toSchema()), value.encryptedData.valueBlock.valueHexView, passphrase));
    } else if (bag.bagId === BagId.cert && value instanceof pkijs.CertBag && value.certId === x509CertType) {
      const certValue = value.certValue;
      if (certValue instanceof asn1js.OctetString) out.certs.push(Uint8Array.from(certValue.valueBlock.valueHexView));
    } else if (bag.bagId === BagId.safeContents && value instanceof pkijs.SafeContents) {
      collectBags(value.safeBags, passphrase, out);
    }
  }
}

async function openBags(der: Uint8Array, passphrase: string): Promise<Bags> {
  const engine = new Pkcs12Engine(passphrase, "aes256");
  const password = toArrayBuffer(Buffer.from(passphrase, "utf8"));
  const asn = asn1js.fromBER(toArrayBuffer(der));
  if (asn.offset === -1) throw new DerError(`not BER: ${asn.result.error}`);
  const pfx = new pkijs.PFX({ schema: asn.result });
  await pfx.parseInternalValues({ password, checkIntegrity: pfx.macData !== undefined }, engine);
  const authSafe = pfx.parsedValue?.authenticatedSafe;
  if (!authSafe) throw new DerError("PFX without an AuthenticatedSafe");
  await authSafe.parseInternalValues({ safeContents: authSafe.safeContents.map(() => ({ password })) }, engine);
  const out: Bags = { keys: [], certs: [] };
  for (const sc of authSafe.parsedValue.safeContents as Array<{ value: pkijs.SafeContents }>) collectBags(sc.value.safeBags, passphrase, out);
  return out;
}

/** Orders the non-leaf certificates: the issuer of `leaf` first, then its issuer, ...; the rest after, in file order. */
function orderChain(leaf: Certificate, others: Certificate[]): Uint8Array[] {
  const rest = [...others];
  const ordered: Certificate[] = [];
  for (let cur = leaf; !cur.isSelfIssued; ) {
    const i = rest.findIndex((c) => Buffer.compare(c.subject, cur.issuer) === 0);
    if (i < 0) break;
    cur = rest.splice(i, 1)[0]!;
    ordered.push(cur);
  }
  return [...ordered, ...rest].map((c) => c.der);
}

/**
 * Opens a PKCS#12 file: OpenSSL 3 defaults (PBES2 AES-256-CBC + PBKDF2-SHA256,
 * SHA-256 MAC) and legacy files (3DES / RC2-40 PBE, SHA-1 MAC). The returned
 * certificate is the one matching the key, wherever it sits in the file.
 * Throws KeyError on a wrong passphrase, a damaged file, or no matching pair.
 */
export async function loadPkcs12(der: Uint8Array, passphrase: string): Promise<Pkcs12Contents> {
  let bags: Bags;
  try {
    bags = await openBags(der, passphrase);
  } catch (err) {
    if (err instanceof UnsupportedAlgorithmError) throw new KeyError(`cannot open PKCS#12: ${err.message}`, { cause: err });
    throw new KeyError("cannot open PKCS#12: wrong passphrase or damaged file", { cause: err });
  }
  if (bags.keys.length === 0) throw new KeyError("PKCS#12 holds no private key");
  let certs: Certificate[];
  try {
    certs = bags.certs.map(parseCertificate);
  } catch (err) {
    throw new KeyError("PKCS#12 holds a certificate that cannot be parsed", { cause: err });
  }
  for (const pkcs8 of bags.keys) {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" });
    } catch (err) {
      throw new KeyError("cannot open PKCS#12: wrong passphrase or damaged file", { cause: err });
    }
    const pub = createPublicKey(key);
    const leaf = certs.find((c) => pub.equals(c.publicKey()));
    if (leaf) return { key, cert: leaf.der, chain: orderChain(leaf, certs.filter((c) => c !== leaf)) };
  }
  throw new KeyError("PKCS#12 holds no certificate for its private key");
}

function attribute(type: string, value: asn1js.AsnType): pkijs.Attribute {
  return new pkijs.Attribute({ type, values: [value] });
}

/** localKeyId (SHA-1 of the certificate, as OpenSSL sets it) and friendlyName, pairing key and certificate on import. */
function pairAttributes(cert: Uint8Array, friendlyName: string | undefined): pkijs.Attribute[] {
  const attrs = [attribute(localKeyIdOid, new asn1js.OctetString({ valueHex: createHash("sha1").update(cert).digest() }))];
  if (friendlyName !== undefined) attrs.push(attribute(friendlyNameOid, new asn1js.BmpString({ value: friendlyName })));
  // DER: SET OF sorted by encoding.
  return attrs.sort((a, b) => Buffer.compare(berOf(a.toSchema()), berOf(b.toSchema())));
}

/**
 * Builds a PKCS#12 file: certificates (leaf, then chain) in an encrypted
 * SafeContents, the key in a shrouded key bag, a password MAC. Default
 * PBES2 AES-256-CBC + PBKDF2-HMAC-SHA256 and a SHA-256 MAC (OpenSSL 3's
 * default); `legacy` uses 3DES PBE for both and a SHA-1 MAC, which OpenSSL 3
 * reads without `-legacy` and old devices (iOS < 13, Windows 7, Java 8) read too.
 */
export async function buildPkcs12(o: Pkcs12BuildOptions): Promise<Uint8Array> {
  if (!createPublicKey(o.key).equals(parseCertificate(o.cert).publicKey())) throw new KeyError("PKCS#12: the key does not belong to the certificate");
  const engine = new Pkcs12Engine(o.passphrase, o.legacy ? "3des" : "aes256");
  const password = toArrayBuffer(Buffer.from(o.passphrase, "utf8"));
  // The engine ignores the algorithm given here and uses its own scheme.
  const encryptParams = { password, contentEncryptionAlgorithm: { name: "AES-CBC", length: 256 } as pkijs.ContentEncryptionAlgorithm, hmacHashAlgorithm: "SHA-256", iterationCount: PKCS12_ITERATIONS };
  const attrs = pairAttributes(o.cert, o.friendlyName);

  const pkcs8 = o.key.export({ format: "der", type: "pkcs8" });
  const shrouded = new pkijs.PKCS8ShroudedKeyBag({ parsedValue: pkijs.PrivateKeyInfo.fromBER(toArrayBuffer(pkcs8)) });
  await shrouded.makeInternalValues(encryptParams, engine);
  const keyBag = new pkijs.SafeBag({ bagId: BagId.shroudedKey, bagValue: shrouded, bagAttributes: attrs });

  const certBags = [o.cert, ...o.chain].map((der, i) => {
    const bagValue = new pkijs.CertBag({ certId: x509CertType, certValue: new asn1js.OctetString({ valueHex: der }) });
    return new pkijs.SafeBag(i === 0 ? { bagId: BagId.cert, bagValue, bagAttributes: attrs } : { bagId: BagId.cert, bagValue });
  });

  const authenticatedSafe = new pkijs.AuthenticatedSafe({
    parsedValue: {
      safeContents: [
        { privacyMode: 1, value: new pkijs.SafeContents({ safeBags: certBags }) },
        { privacyMode: 0, value: new pkijs.SafeContents({ safeBags: [keyBag] }) },
      ],
    },
  });
  await authenticatedSafe.makeInternalValues({ safeContents: [encryptParams, {}] }, engine);

  const pfx = new pkijs.PFX({ parsedValue: { integrityMode: 0, authenticatedSafe } });
  await pfx.makeInternalValues(
    { password, iterations: PKCS12_ITERATIONS, pbkdf2HashAlgorithm: { name: "SHA-256" }, hmacHashAlgorithm: o.legacy ? "SHA-1" : "SHA-256" },
    engine,
  );
  return berOf(pfx.toSchema());
}

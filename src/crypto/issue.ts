/**
 * Builds and signs X.509 v3 certificates (RFC 5280 §4.1). Used by the embedded
 * development CA, the generated RA identity and tests: one DER builder and an
 * OpenSSL signature (node:crypto) cost well under a millisecond, where a
 * WebCrypto-based generator measured ~8 ms per certificate here.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { signatureOid, type DigestName } from "./algorithms.js";
import type { Certificate } from "./certificate.js";
import { algorithmId, bitString, ctx, derNull, int, seq, time } from "./der.js";
import { UnsupportedAlgorithmError } from "./errors.js";
import { encodeExtension, type ExtensionSpec } from "./extensions.js";
import { signNow, type PrivateKeyOps } from "./private-key-ops.js";

export interface IssueOptions {
  /** DER Name of the subject. */
  subject: Uint8Array;
  /** DER SubjectPublicKeyInfo of the subject key. */
  spki: Uint8Array;
  /** Positive serial number, as unsigned big-endian bytes (up to 20 octets). */
  serial: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** The issuing CA; omitted for a self-signed certificate. */
  issuerCert?: Certificate;
  issuerKey: KeyObject;
  extensions: readonly ExtensionSpec[];
  digest?: DigestName;
}

function signatureAlgorithm(key: KeyObject, digest: DigestName): Uint8Array {
  const type = key.asymmetricKeyType;
  if (type === "rsa") return algorithmId(signatureOid("rsa", digest), derNull());
  if (type === "ec") return algorithmId(signatureOid("ec", digest));
  throw new UnsupportedAlgorithmError(`cannot sign a certificate with a ${type} key`);
}

function prepareCertificate(o: IssueOptions): { tbs: Uint8Array; digest: DigestName; assemble(signature: Uint8Array): Uint8Array } {
  const digest = o.digest ?? "sha256";
  const sigAlg = signatureAlgorithm(o.issuerKey, digest);
  const issuerName = o.issuerCert ? o.issuerCert.subject : o.subject;
  const tbs = seq(
    ctx(0, int(2)),
    int(o.serial),
    sigAlg,
    issuerName,
    seq(time(o.notBefore), time(o.notAfter)),
    o.subject,
    o.spki,
    ctx(3, seq(...o.extensions.map(encodeExtension))),
  );
  return { tbs, digest, assemble: (signature) => seq(tbs, sigAlg, bitString(signature)) };
}

/** Returns the DER of the new certificate. */
export function issueCertificate(o: IssueOptions): Uint8Array {
  const p = prepareCertificate(o);
  return p.assemble(signNow(p.digest, p.tbs, o.issuerKey));
}

/** issueCertificate with the signature on `ops` (off the event loop on a server). */
export async function issueCertificateWith(o: IssueOptions, ops: PrivateKeyOps): Promise<Uint8Array> {
  const p = prepareCertificate(o);
  return p.assemble(await ops.sign(p.digest, p.tbs, o.issuerKey));
}

/** The SPKI DER of a key (public or private). */
export function spkiOf(key: KeyObject): Uint8Array {
  return (key.type === "public" ? key : createPublicKey(key)).export({ format: "der", type: "spki" });
}

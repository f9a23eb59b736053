/**
 * What a request's CSR says beyond the fields a Transaction keeps: its
 * signature algorithm and the extensions it asks for (PKCS#9
 * extensionRequest, RFC 2985 §5.4.2), in words an operator reads before
 * approving. Unreadable parts are shown as such, never thrown.
 */
import { children, Oid, oidValue, parseCsr, parseDer, parseKeyUsage, parseSubjectAltName, contents, Tag } from "../crypto/index.js";
import type { Transaction } from "./ports.js";

/** One requested extension. */
export interface RequestedExtension {
  oid: string;
  /** A known name (`subjectAltName`) or the OID again. */
  name: string;
  critical: boolean;
  /** The value in words (`DNS:a.example, IP:192.0.2.1`), or its size when not decoded. */
  value: string;
}

/** The CSR's details for the operator page. */
export interface RequestDetails {
  /** `sha256WithRSAEncryption`, `ecdsa-with-SHA256`, ... or the OID. */
  signatureAlgorithm: string;
  extensions: RequestedExtension[];
  /** Set when the stored CSR cannot be parsed (the fields above are then empty). */
  error?: string;
}

const SIGNATURE_NAMES: Readonly<Record<string, string>> = {
  [Oid.rsaEncryption]: "rsaEncryption",
  [Oid.md5WithRSA]: "md5WithRSAEncryption",
  [Oid.sha1WithRSA]: "sha1WithRSAEncryption",
  [Oid.sha256WithRSA]: "sha256WithRSAEncryption",
  [Oid.sha384WithRSA]: "sha384WithRSAEncryption",
  [Oid.sha512WithRSA]: "sha512WithRSAEncryption",
  [Oid.rsassaPss]: "RSASSA-PSS",
  [Oid.ecdsaWithSHA1]: "ecdsa-with-SHA1",
  [Oid.ecdsaWithSHA256]: "ecdsa-with-SHA256",
  [Oid.ecdsaWithSHA384]: "ecdsa-with-SHA384",
  [Oid.ecdsaWithSHA512]: "ecdsa-with-SHA512",
  "1.3.101.112": "Ed25519",
};

/** RFC 5280 §4.2 names, plus what Microsoft clients (NDES, Intune) ask for. */
const EXTENSION_NAMES: Readonly<Record<string, string>> = {
  [Oid.subjectAltName]: "subjectAltName",
  [Oid.keyUsage]: "keyUsage",
  [Oid.extKeyUsage]: "extKeyUsage",
  [Oid.basicConstraints]: "basicConstraints",
  [Oid.subjectKeyIdentifier]: "subjectKeyIdentifier",
  [Oid.authorityKeyIdentifier]: "authorityKeyIdentifier",
  "2.5.29.31": "cRLDistributionPoints",
  "2.5.29.32": "certificatePolicies",
  "1.3.6.1.5.5.7.1.1": "authorityInfoAccess",
  "1.3.6.1.4.1.311.20.2": "Microsoft certificate template name",
  "1.3.6.1.4.1.311.21.7": "Microsoft certificate template",
  "1.3.6.1.4.1.311.21.10": "Microsoft application policies",
};

/** RFC 5280 §4.2.1.12 key purposes. */
const KEY_PURPOSES: Readonly<Record<string, string>> = {
  "1.3.6.1.5.5.7.3.1": "serverAuth",
  "1.3.6.1.5.5.7.3.2": "clientAuth",
  "1.3.6.1.5.5.7.3.3": "codeSigning",
  "1.3.6.1.5.5.7.3.4": "emailProtection",
  "1.3.6.1.5.5.7.3.8": "timeStamping",
  "1.3.6.1.5.5.7.3.9": "OCSPSigning",
  "1.3.6.1.5.5.7.3.17": "ipsecIKE",
  "2.5.29.37.0": "anyExtendedKeyUsage",
};

const DECODERS: Readonly<Record<string, (value: Uint8Array) => string>> = {
  [Oid.subjectAltName]: (v) => parseSubjectAltName(v).join(", "),
  [Oid.keyUsage]: (v) => Object.entries(parseKeyUsage(v)).filter(([, on]) => on).map(([bit]) => bit).join(", ") || "(none)",
  [Oid.extKeyUsage]: (v) => children(parseDer(v)).map((t) => KEY_PURPOSES[oidValue(t)] ?? oidValue(t)).join(", "),
  [Oid.basicConstraints]: basicConstraintsText,
};

/** `CA: yes, path length 0` / `CA: no` (RFC 5280 §4.2.1.9). */
function basicConstraintsText(value: Uint8Array): string {
  const kids = children(parseDer(value));
  const ca = kids[0]?.tag === Tag.BOOLEAN && contents(kids[0])[0] !== 0;
  const len = kids.find((k) => k.tag === Tag.INTEGER);
  return len ? `CA: ${ca ? "yes" : "no"}, path length ${Buffer.from(contents(len)).readUIntBE(0, Math.min(6, contents(len).length))}` : `CA: ${ca ? "yes" : "no"}`;
}

function describeExtension(oid: string, ext: { critical: boolean; value: Uint8Array }): RequestedExtension {
  const decode = DECODERS[oid];
  let value = `${ext.value.length} bytes`;
  if (decode) {
    try {
      value = decode(ext.value);
    } catch {
      value = `(unreadable, ${ext.value.length} bytes)`;
    }
  }
  return { oid, name: EXTENSION_NAMES[oid] ?? oid, critical: ext.critical, value };
}

/** The signature algorithm and requested extensions of `tx`'s CSR. */
export async function requestDetails(tx: Pick<Transaction, "csr">): Promise<RequestDetails> {
  let csr;
  try {
    csr = parseCsr(Buffer.from(tx.csr, "base64"));
  } catch (err) {
    return { signatureAlgorithm: "", extensions: [], error: `the stored CSR cannot be read: ${(err as Error).message}` };
  }
  const extensions = [...csr.extensions].map(([oid, ext]) => describeExtension(oid, ext));
  return { signatureAlgorithm: SIGNATURE_NAMES[csr.signatureOid] ?? csr.signatureOid, extensions };
}

/**
 * RSASSA-PSS parameters (RFC 4055 §3.1, RFC 8017 Appendix A.2.3): parsed
 * strictly (DER, explicit tags in order, defaults omitted or written out) and
 * written in DER.
 *
 * ```asn1
 * RSASSA-PSS-params ::= SEQUENCE {
 *   hashAlgorithm      [0] HashAlgorithm    DEFAULT sha1,
 *   maskGenAlgorithm   [1] MaskGenAlgorithm DEFAULT mgf1SHA1,
 *   saltLength         [2] INTEGER          DEFAULT 20,
 *   trailerField       [3] TrailerField     DEFAULT trailerFieldBC }
 * TrailerField ::= INTEGER { trailerFieldBC(1) }
 * ```
 *
 * Every refusal is an UnsupportedAlgorithmError (a SCEP peer gets badAlg)
 * with a one-line reason.
 */
import { Digests, type DigestName } from "./algorithms.js";
import { algorithmId, children, contents, ctx, derNull, int, oidValue, seq, Tag, type Tlv } from "./der.js";
import { derIntegerValue, parseStrictDer } from "./der-strict.js";
import { DerError, UnsupportedAlgorithmError } from "./errors.js";
import { Oid } from "./oids.js";

/** The hashes RSASSA-PSS may use here (RFC 4055 §2.1 lists SHA-1 and the SHA-2 family; SHA-224 is not supported). */
export type PssHash = Exclude<DigestName, "md5">;

/** Decoded RSASSA-PSS-params; trailerField is always trailerFieldBC (1), the only value RFC 4055 §3.1 allows. */
export interface PssParams {
  hash: PssHash;
  /** The hash of MGF1 (RFC 8017 §B.2.1), the only mask generation function defined. */
  mgf1Hash: PssHash;
  /** Octets of salt (sLen of RFC 8017 §9.1.1). */
  saltLength: number;
}

/** The values an absent field stands for (RFC 4055 §3.1). */
export const PSS_DEFAULTS: Readonly<PssParams> = { hash: "sha1", mgf1Hash: "sha1", saltLength: 20 };

/** Above this no key could hold the salt (a 65,536-bit modulus has 8,192 octets). */
const MAX_SALT_LENGTH = 8192;

const pssHashes = new Map<string, PssHash>([
  [Oid.sha1, "sha1"],
  [Oid.sha256, "sha256"],
  [Oid.sha384, "sha384"],
  [Oid.sha512, "sha512"],
]);

function refuse(reason: string): never {
  throw new UnsupportedAlgorithmError(`RSASSA-PSS parameters: ${reason}`);
}

const isAbsentOrNull = (t: Tlv | undefined): boolean => t === undefined || (t.tag === Tag.NULL && contents(t).length === 0);

/** A HashAlgorithm: an OID we know, its parameters NULL or absent (RFC 4055 §2.1: accept both). */
function hashAlgorithm(t: Tlv | undefined, what: string): PssHash {
  if (t?.tag !== Tag.SEQUENCE) refuse(`${what} is not an AlgorithmIdentifier`);
  const [algOid, params, ...rest] = children(t);
  if (algOid?.tag !== Tag.OID || rest.length > 0) refuse(`${what} is not an AlgorithmIdentifier`);
  if (!isAbsentOrNull(params)) refuse(`${what} parameters must be NULL or absent`);
  const dotted = oidValue(algOid);
  const hash = pssHashes.get(dotted);
  if (!hash) refuse(`unsupported ${what} ${dotted}`);
  return hash;
}

/** MaskGenAlgorithm: only id-mgf1 with a HashAlgorithm parameter (RFC 4055 §2.2). */
function maskGenAlgorithm(t: Tlv | undefined): PssHash {
  if (t?.tag !== Tag.SEQUENCE) refuse("maskGenAlgorithm is not an AlgorithmIdentifier");
  const [algOid, params, ...rest] = children(t);
  if (algOid?.tag !== Tag.OID || rest.length > 0) refuse("maskGenAlgorithm is not an AlgorithmIdentifier");
  const dotted = oidValue(algOid);
  if (dotted !== Oid.mgf1) refuse(`mask generation function ${dotted} is not MGF1 (${Oid.mgf1})`);
  if (!params) refuse("MGF1 without its hash algorithm parameter");
  return hashAlgorithm(params, "MGF1 hash algorithm");
}

function saltLength(t: Tlv | undefined): number {
  if (t?.tag !== Tag.INTEGER) refuse("saltLength is not an INTEGER");
  const v = derIntegerValue(t, "saltLength");
  if (v < 0n) refuse(`negative saltLength ${v}`);
  if (v > BigInt(MAX_SALT_LENGTH)) refuse(`saltLength ${v} is absurd (no RSA key holds more than ${MAX_SALT_LENGTH} octets)`);
  return Number(v);
}

function trailerField(t: Tlv | undefined): void {
  if (t?.tag !== Tag.INTEGER) refuse("trailerField is not an INTEGER");
  const v = derIntegerValue(t, "trailerField");
  if (v !== 1n) refuse(`trailerField ${v} is not trailerFieldBC (1)`);
}

/** Reads the explicitly tagged fields [0]..[3], each at most once and in order (X.680 SEQUENCE). */
function readFields(root: Tlv): PssParams {
  if (root.tag !== Tag.SEQUENCE) refuse(`expected a SEQUENCE, got tag 0x${root.tag.toString(16)}`);
  const p: PssParams = { ...PSS_DEFAULTS };
  let last = -1;
  for (const field of children(root)) {
    const n = field.tag - 0xa0;
    if (n < 0 || n > 3) refuse(`unexpected element with tag 0x${field.tag.toString(16)}`);
    if (n <= last) refuse(`field [${n}] out of order or repeated`);
    last = n;
    const inner = children(field);
    if (inner.length !== 1) refuse(`field [${n}] must hold exactly one element`);
    const v = inner[0];
    if (n === 0) p.hash = hashAlgorithm(v, "hash algorithm");
    else if (n === 1) p.mgf1Hash = maskGenAlgorithm(v);
    else if (n === 2) p.saltLength = saltLength(v);
    else trailerField(v);
  }
  return p;
}

/**
 * Parses the DER of an RSASSA-PSS-params (the `parameters` of an
 * id-RSASSA-PSS AlgorithmIdentifier, RFC 4055 §3.1). Throws
 * UnsupportedAlgorithmError naming what is wrong, including for bytes that
 * are not DER at all.
 */
export function parsePssParams(der: Uint8Array): PssParams {
  let root: Tlv;
  try {
    root = parseStrictDer(der, "RSASSA-PSS-params");
  } catch (err) {
    if (err instanceof DerError) throw new UnsupportedAlgorithmError(`RSASSA-PSS parameters: not DER (${err.message})`, { cause: err });
    throw err;
  }
  try {
    return readFields(root);
  } catch (err) {
    if (err instanceof DerError) throw new UnsupportedAlgorithmError(`RSASSA-PSS parameters: ${err.message}`, { cause: err });
    throw err;
  }
}

/** Options of {@link encodePssParams}. */
export interface EncodePssOptions {
  /** Write fields even when they hold the default (some encoders do; DER leaves them out). */
  explicitDefaults?: boolean;
}

const hashId = (h: PssHash): Uint8Array => algorithmId(Digests[h].oid, derNull());

/** DER of RSASSA-PSS-params (RFC 4055 §3.1), hash parameters NULL as OpenSSL and strongSwan write them. */
export function encodePssParams(p: PssParams, o: EncodePssOptions = {}): Uint8Array {
  const all = o.explicitDefaults === true;
  const fields: Uint8Array[] = [];
  if (all || p.hash !== PSS_DEFAULTS.hash) fields.push(ctx(0, hashId(p.hash)));
  if (all || p.mgf1Hash !== PSS_DEFAULTS.mgf1Hash) fields.push(ctx(1, algorithmId(Oid.mgf1, hashId(p.mgf1Hash))));
  if (all || p.saltLength !== PSS_DEFAULTS.saltLength) fields.push(ctx(2, int(p.saltLength)));
  if (all) fields.push(ctx(3, int(1)));
  return seq(...fields);
}

/**
 * The largest salt a key of `modulusBits` can carry with `hash`:
 * emLen - hLen - 2, emLen = ⌈(modBits - 1) / 8⌉ (RFC 8017 §9.1.1 step 3).
 */
export function maxSaltLength(modulusBits: number, hash: PssHash): number {
  return Math.ceil((modulusBits - 1) / 8) - Digests[hash].size - 2;
}

/** "RSASSA-PSS sha256, MGF1 sha256, salt 32", for messages and logs. */
export function describePss(p: PssParams): string {
  return `RSASSA-PSS ${p.hash}, MGF1 ${p.mgf1Hash}, salt ${p.saltLength}`;
}

/**
 * The verdict on one sampled input: our decoder against `openssl`
 * (openssl-reference.ts). Same outcomes as compare.ts: both reject, or both
 * accept with the same fields, is fine; we reject and openssl accepts for a
 * documented reason is "stricter"; openssl accepts where it is knowingly
 * more lenient is "lenient"; everything else is a disagreement.
 */
import type { Outcome } from "./ours.js";
import { DOCUMENTED_STRICTER, type Verdict } from "./compare.js";
import { normaliseIp, plain, type OpensslOutcome, type OpensslView } from "./openssl-reference.js";
import { parseTree } from "./tlv-model.js";
import type { Kind } from "./ours.js";

/**
 * Where scepgate refuses and openssl accepts, beyond DOCUMENTED_STRICTER
 * (which holds against openssl as it does against pkijs): BER that
 * OpenSSL's templates take and scepgate does not. Each entry: the pattern
 * of our error, and why the refusal is right.
 *
 * 1. A constructed BIT STRING (BER, X.690 §8.6.3) as a signature or a
 *    subjectPublicKey: openssl joins the segments; no SCEP client sends
 *    one, DER (RFC 5280 §4.1, RFC 2986) forbids it, and the signature
 *    check needs the one primitive value.
 */
export const OPENSSL_LENIENT: ReadonlyArray<{ pattern: RegExp; reason: string }> = [
  { pattern: /(signature|signatureValue|subjectPublicKey): expected tag 0x3, got 0x23/, reason: "constructed (BER) BIT STRING as a signature or key (X.690 §8.6.3; RFC 5280/2986 are DER)" },
  // 2. The same for a constructed OCTET STRING (X.690 §8.7.3) where ours wants the primitive one: an extnValue (certificates are DER), a signature, an encryptedKey.
  { pattern: /(extnValue|signature|encryptedKey): expected tag 0x4, got 0x24/, reason: "constructed (BER) OCTET STRING as extnValue, signature or encryptedKey (X.690 §8.7.3; no SCEP client sends one)" },
];

/**
 * Where openssl refuses and scepgate accepts. OpenSSL decodes every
 * primitive value of every field its templates know (d2i), including the
 * ones scepgate carries as bytes (serials, algorithm parameters, the
 * signature, the bits of the key) or shows as "#hex" (a Name value that is
 * no valid string); scepgate checks the values it reads. Each entry: the
 * pattern of openssl's error stack and why accepting is right.
 *
 * 1. INTEGER contents not in the fewest octets, or empty (X.690 §8.3.1-2):
 *    serialNumber and version. A serial is kept as its octets and compared
 *    as octets (IssuerAndSerialNumber, RFC 5652 §10.2.4), so a padded one
 *    only fails to match. (An empty *version* ours refuses too.)
 * 2. A version past 2^32 (openssl reads it into a uint32).
 * 3. Name values: openssl canonicalises every Name while decoding
 *    (x509_name_canon) and so refuses a value that is not a
 *    DirectoryString-like type (ASN1_PRINTABLE), or whose string contents
 *    are not valid for the type (BMPString/UniversalString lengths,
 *    UTF-8, PrintableString characters). pkijs takes them; ours keeps the
 *    attribute and shows the value as "#hex" (fuzz-utf8-invalid), which no
 *    policy rule matches as a string.
 * 4. BIT STRING unused-bits octet missing or over 7 (X.690 §8.6.2.2), and a
 *    NULL with contents (X.690 §8.8.2), in the signature, the key bits or
 *    algorithm parameters: carried as bytes; a bad signature or key fails
 *    when it is used (signature check, key import).
 * 5. OBJECT IDENTIFIER contents openssl's c2i refuses that BER allows
 *    (an arc past 2^64, a last octet ... : "invalid object encoding"), and
 *    an AlgorithmIdentifier / IssuerAndSerialNumber / Name whose inner
 *    element openssl's template refuses for one of the reasons above
 *    (reported by openssl only as the enclosing type).
 * 6. The public key: openssl x509/req decode the key (X509_PUBKEY_get0) and
 *    stop on one they cannot; ours carries the SPKI as bytes until it
 *    imports the key (and refuses it then: badAlg / badMessageCheck).
 *
 * A rule applies only with the openssl error matching and never turns a
 * field difference into a pass: both accept → the fields are compared.
 */
export const OPENSSL_STRICTER: ReadonlyArray<{ pattern: RegExp; reason: string }> = [
  { pattern: /illegal padding \(c2i_ibuf\)|illegal zero content \(c2i_ibuf\)|illegal negative value \(c2i_ibuf\)/, reason: "INTEGER not minimal or empty (X.690 §8.3): serials are compared as octets" },
  { pattern: /too large \(uint32_c2i\)|too (small|large) \(c2i_uint64/, reason: "version past 2^32" },
  { pattern: /Field=value,Type=X509_NAME_ENTRY|\(ASN1_mbstring_ncopy\)|is wrong length \(asn1_ex_c2i\) < Field=value|Type=X509_NAME\b|x509_name_ex_d2i/, reason: "Name value not a valid string of its type: ours shows it as #hex" },
  { pattern: /bits left \(ossl_c2i_ASN1_BIT_STRING\)|string too short \(ossl_c2i_ASN1_BIT_STRING\)|null is wrong length/, reason: "BIT STRING unused bits / NULL contents in carried bytes" },
  { pattern: /invalid object encoding|Type=X509_ALGOR|Type=CMS_IssuerAndSerialNumber|header too long|too long \(ASN1_get_object\)/, reason: "a value openssl's templates refuse inside an AlgorithmIdentifier, IssuerAndSerialNumber or OID" },
  { pattern: /decode error \(X509_PUBKEY_get0\)|Field=public_key,Type=X509_PUBKEY/, reason: "public key openssl cannot decode: ours imports it only when used" },
];

/** "algorithm OID / subjectPublicKey contents" of an SPKI, whatever its length forms. */
function spkiCore(hex: string | undefined): string | undefined {
  if (hex === undefined) return undefined;
  try {
    const [alg, bits] = parseTree(Buffer.from(hex, "hex")).children ?? [];
    const oid = alg?.children?.[0]?.content;
    return `${Buffer.from(oid ?? []).toString("hex")}/${Buffer.from(bits?.content ?? []).toString("hex")}`;
  } catch {
    return undefined;
  }
}

/** Our SAN notation reduced to what openssl prints reliably. */
function oursSans(list: string[] | undefined): string[] | undefined {
  return list?.map((s) => {
    const c = s.indexOf(":");
    const [type, value] = [s.slice(0, c), s.slice(c + 1)];
    if (type === "DNS" || type === "email" || type === "URI") return s;
    if (type === "IP") return `IP:${normaliseIp(value)}`;
    return "other";
  });
}

const sanValue = (s: string): string => s.slice(s.indexOf(":") + 1);

/** Compares the fields openssl reads reliably; returns the first difference, or "" when none. */
function compareFields(kind: Kind, ours: Record<string, unknown>, o: OpensslView, notes: string[]): string {
  if (kind === "cert" || kind === "csr") {
    const subject = ours.subject as Array<[string, string]>;
    if (subject.every(([, v]) => plain(v))) {
      if (JSON.stringify(subject) !== JSON.stringify(o.subject)) return `subject: ours ${JSON.stringify(subject)} openssl ${JSON.stringify(o.subject)}`;
    } else notes.push("subject not plain ASCII: not compared");
    const sans = oursSans(ours.sans as string[] | undefined);
    if (sans && o.sansUndecoded) return `sans: ours ${JSON.stringify(sans)}, openssl could not decode the extension`;
    if (sans && sans.every((s) => s === "other" || plain(sanValue(s)))) {
      if (JSON.stringify(sans) !== JSON.stringify(o.sans)) return `sans: ours ${JSON.stringify(sans)} openssl ${JSON.stringify(o.sans)}`;
    } else if (sans) notes.push("SAN values not plain ASCII: not compared");
    else if (o.sans) return `sans: ours none, openssl ${JSON.stringify(o.sans)}`;
    // openssl writes the AlgorithmIdentifier back its own way (an RSA key gets NULL parameters): the key is compared as algorithm OID + key bits.
    if (o.keyError) notes.push("openssl could not decode the public key (ours carries the SPKI as bytes until it uses the key)");
    else if ((spkiCore(ours.spki as string) ?? ours.spki) !== (spkiCore(o.spki) ?? o.spki)) return `spki: ours ${String(ours.spki).slice(0, 80)} openssl ${String(o.spki).slice(0, 80)}`;
    if (kind === "csr") {
      const cp = ours.challengePassword as string | undefined;
      // openssl req prints only some string types; for the others it writes this.
      if (o.challengePassword === "unable to print attribute") notes.push("challengePassword of a type openssl req does not print: not compared");
      else if (cp === undefined ? o.challengePassword !== undefined : plain(cp) && cp !== o.challengePassword) return `challengePassword: ours ${JSON.stringify(cp)} openssl ${JSON.stringify(o.challengePassword)}`;
    }
    return "";
  }
  if (o.printIncomplete) {
    notes.push("openssl's print stopped early or dumped a value: only accept/reject compared");
    return "";
  }
  if (kind === "envelope") {
    const recipients = (ours.recipients as unknown[]).length;
    if (recipients !== o.recipients) return `recipients: ours ${recipients} openssl ${o.recipients}`;
    if (ours.cipherOid !== o.cipherOid) return `cipherOid: ours ${String(ours.cipherOid)} openssl ${String(o.cipherOid)}`;
    return "";
  }
  for (const f of ["contentType", "signers", "senderNonce", "recipientNonce"] as const) {
    if (ours[f] !== o[f]) return `${f}: ours ${JSON.stringify(ours[f])} openssl ${JSON.stringify(o[f])}`;
  }
  const certs = (ours.certificates as unknown[]).length;
  if (certs !== o.certificates) return `certificates: ours ${certs} openssl ${o.certificates}`;
  for (const f of ["messageType", "transactionId", "pkiStatus"] as const) {
    const v = ours[f] as string | undefined;
    if (v === undefined ? o[f] !== undefined : plain(v) && v !== o[f]) return `${f}: ours ${JSON.stringify(v)} openssl ${JSON.stringify(o[f])}`;
  }
  return "";
}

export interface OpensslVerdict {
  verdict: Verdict;
  /** Fields that could not be compared reliably on this input. */
  notes: string[];
}

export function judgeOpenssl(kind: Kind, ours: Outcome, o: OpensslOutcome): OpensslVerdict {
  const notes: string[] = [];
  if (!ours.ok && !ours.typed) return { verdict: { kind: "crash", detail: ours.error }, notes };
  if (ours.ok && !o.ok) {
    const s = OPENSSL_STRICTER.find((r) => r.pattern.test(o.error));
    if (s) return { verdict: { kind: "lenient", reason: `openssl stricter: ${s.reason}` }, notes };
    return { verdict: { kind: "disagreement", detail: `openssl: we accept, openssl rejects (${o.error})` }, notes };
  }
  if (!ours.ok && o.ok) {
    const documented = DOCUMENTED_STRICTER.find((s) => s.pattern.test(ours.error)) ?? OPENSSL_LENIENT.find((s) => s.pattern.test(ours.error));
    if (documented) return { verdict: { kind: "stricter", reason: documented.reason }, notes };
    return { verdict: { kind: "disagreement", detail: `openssl: we reject (${ours.error}), openssl accepts` }, notes };
  }
  if (!ours.ok || !o.ok) return { verdict: { kind: "ok" }, notes };
  const d = compareFields(kind, JSON.parse(JSON.stringify(ours.view)) as Record<string, unknown>, o.view, notes);
  return { verdict: d ? { kind: "disagreement", detail: `openssl field ${d}` } : { kind: "ok" }, notes };
}

/** What the openssl sample saw, summed over a campaign. */
export interface OpensslCounts {
  inputs: number;
  ms: number;
  bothAccept: number;
  bothReject: number;
  stricter: Record<string, number>;
  lenient: Record<string, number>;
  notes: Record<string, number>;
}

export function freshOpensslCounts(): OpensslCounts {
  return { inputs: 0, ms: 0, bothAccept: 0, bothReject: 0, stricter: {}, lenient: {}, notes: {} };
}

/** Adds `b` into `a`. */
export function addOpensslCounts(a: OpensslCounts, b: OpensslCounts): void {
  a.inputs += b.inputs;
  a.ms += b.ms;
  a.bothAccept += b.bothAccept;
  a.bothReject += b.bothReject;
  for (const k of ["stricter", "lenient", "notes"] as const) for (const [r, n] of Object.entries(b[k])) a[k][r] = (a[k][r] ?? 0) + n;
}

/**
 * The second reference, for a sample: the `openssl` command line (OpenSSL
 * 3, its own ASN.1 templates, independent of asn1js/pkijs). Per kind:
 *
 *     cert        openssl x509 -inform DER -noout -subject -nameopt ... -ext subjectAltName -pubkey
 *     csr         openssl req  -inform DER -noout -subject -nameopt ... -text -reqopt ... -pubkey
 *     pkimessage  openssl cms  -inform DER -cmsout -print
 *     envelope    openssl cms  -inform DER -cmsout -print
 *
 * and the output reduced to the fields that read back reliably: accept or
 * reject, the subject, the SANs, the public key (SPKI), the challenge
 * password, and for CMS the SCEP attributes, counts and OIDs. Names, SANs and
 * attributes are read only where every value is plain ASCII (see `plain`):
 * openssl prints values unescaped, so a value with a newline, " + " or ", "
 * cannot be split back reliably.
 */
import { spawnSync } from "node:child_process";
import { degenerateSignedData } from "../../src/crypto/index.js";
import type { Kind } from "./ours.js";

export const OPENSSL_KINDS: ReadonlySet<Kind> = new Set(["cert", "csr", "pkimessage", "envelope"]);

/** Numeric OIDs, one AVA per line, multi-valued RDNs joined by " + ", UTF-8 output, non-string values as #hex of their DER. */
const NAMEOPT = "oid,sep_multiline,utf8,dump_nostr,dump_der";

export type OpensslOutcome =
  | { ok: true; view: OpensslView; ms: number }
  | { ok: false; error: string; ms: number };

export interface OpensslView {
  subject?: Array<[string, string]>;
  /** SANs as ours writes them ("DNS:x", "IP:1.2.3.4", "email:x", "URI:x"); "other" for the rest. */
  sans?: string[];
  /** The subjectAltName extension is present but openssl did not decode it (printed as a hex dump). */
  sansUndecoded?: boolean;
  /** openssl's print stopped early ("Error in encoding") or dumped an attribute value with asn1parse: the fields after it are not read. */
  printIncomplete?: boolean;
  /** DER of the SubjectPublicKeyInfo as openssl writes it back; undefined with `keyError` when openssl could not decode the key. */
  spki?: string;
  keyError?: string;
  challengePassword?: string;
  contentType?: string;
  certificates?: number;
  signers?: number;
  messageType?: string;
  transactionId?: string;
  senderNonce?: string;
  recipientNonce?: string;
  pkiStatus?: string;
  recipients?: number;
  cipherOid?: string;
}

function command(kind: Kind): string[] {
  switch (kind) {
    case "cert":
      return ["x509", "-inform", "DER", "-noout", "-subject", "-nameopt", NAMEOPT, "-ext", "subjectAltName", "-pubkey"];
    case "csr":
      return ["req", "-inform", "DER", "-noout", "-subject", "-nameopt", NAMEOPT, "-text", "-reqopt", "no_header,no_version,no_subject,no_pubkey,no_sigdump", "-pubkey"];
    default:
      return ["cms", "-inform", "DER", "-cmsout", "-print"];
  }
}

/** Runs openssl on `bytes` as `kind`. Never throws (a missing or hanging openssl is an error outcome). */
export function decodeOpenssl(kind: Kind, bytes: Uint8Array): OpensslOutcome {
  const t0 = performance.now();
  const r = spawnSync("openssl", command(kind), { input: bytes, timeout: 10_000, maxBuffer: 16 * 1024 * 1024 });
  const ms = performance.now() - t0;
  const out = r.stdout?.toString("utf8") ?? "";
  const err = r.stderr?.toString("utf8") ?? "";
  if (r.error) return { ok: false, error: `openssl did not run: ${r.error.message}`, ms };
  // x509/req -pubkey: the structure was read (the subject is printed) and only the key did not decode.
  const keyError = /Error getting public key|Unable to load Public Key/.test(err) && /^subject=/m.test(out) ? firstLine(err.replace(/^.*(Error getting public key|Unable to load Public Key)/s, "$1")) : undefined;
  if (r.status !== 0 && !keyError) {
    // openssl x509 loads through OSSL_STORE, which reports only "unsupported": the reason comes from d2i_X509 itself, run through cms on a certs-only SignedData.
    const why = kind === "cert" ? `${firstError(err)} [d2i: ${certReason(bytes)}]` : firstError(err);
    return { ok: false, error: `openssl ${command(kind)[0]} exit ${r.status ?? r.signal}: ${why}`, ms: performance.now() - t0 };
  }
  try {
    const view = kind === "cert" || kind === "csr" ? certLikeView(kind, out) : cmsView(kind, out);
    if (keyError) view.keyError = keyError;
    return { ok: true, view, ms };
  } catch (e) {
    return { ok: false, error: `unreadable openssl output: ${(e as Error).message}`, ms };
  }
}

function certReason(cert: Uint8Array): string {
  const r = spawnSync("openssl", command("pkimessage"), { input: degenerateSignedData([cert]), timeout: 10_000 });
  return r.status === 0 ? "accepted inside a SignedData" : firstError(r.stderr?.toString("utf8") ?? "");
}

const firstLine = (s: string): string => s.split("\n")[0]!.trim();

/** An openssl error stack in one line, innermost first: "wrong tag < Field=algorithm,Type=X509_ALGOR < Field=sig_alg,Type=X509_CRL_INFO ...". */
function firstError(err: string): string {
  const parts = err.split("\n").filter((l) => l.includes(":error:")).map((l) => {
    const m = /:error:[0-9A-F]+:[^:]*:([^:]*):([^:]*):[^:]*:\d+:(.*)$/.exec(l);
    if (!m) return l.trim();
    return m[3] ? m[3].replace(/, /g, ",") : m[1] === "asn1_item_embed_d2i" || m[1] === "asn1_template_noexp_d2i" || m[2] === "nested asn1 error" ? "" : `${m[2]} (${m[1]})`;
  });
  return parts.filter(Boolean).join(" < ").slice(0, 300) || err.trim().split("\n")[0]!.slice(0, 160);
}

/** Plain ASCII that openssl prints back unchanged and that splits unambiguously. */
export const plain = (s: string): boolean => /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(s) && !s.includes(" + ") && !s.includes(", ") && !s.startsWith("#");

function parseSubject(lines: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const l of lines) {
    if (!l.trim()) continue; // an empty Name prints one blank line
    for (const ava of l.slice(4).split(" + ")) {
      const eq = ava.indexOf("=");
      if (eq < 0) throw new Error(`subject line without "=": ${l.slice(0, 60)}`);
      out.push([ava.slice(0, eq), ava.slice(eq + 1)]);
    }
  }
  return out;
}

const pemBody = (out: string): string | undefined => {
  const m = /-----BEGIN PUBLIC KEY-----\n([A-Za-z0-9+/=\n]+)-----END PUBLIC KEY-----/.exec(out);
  return m ? Buffer.from(m[1]!.replace(/\n/g, ""), "base64").toString("hex") : undefined;
};

/** "DNS:a, IP Address:1.2.3.4, email:b" → ours' notation. IPv6 is printed uncompressed upper-case: normalised. */
function parseSans(line: string): string[] {
  return line.trim().split(", ").map((g) => {
    const c = g.indexOf(":");
    const [type, value] = [g.slice(0, c), g.slice(c + 1)];
    if (type === "DNS" || type === "email" || type === "URI") return `${type}:${value}`;
    if (type === "IP Address") return `IP:${normaliseIp(value)}`;
    return "other";
  });
}

/** An IPv6 address as 8 lower-case groups without leading zeros; an IPv4 one unchanged. */
export function normaliseIp(s: string): string {
  if (!s.includes(":")) return s;
  const [head, tail] = s.toLowerCase().split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail === undefined ? [] : tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill("0"), ...t];
  return groups.map((g) => g.replace(/^0+(?=.)/, "")).join(":");
}

function certLikeView(kind: "cert" | "csr", out: string): OpensslView {
  const lines = out.split("\n");
  const s = lines.indexOf("subject=");
  if (s < 0) throw new Error("no subject= line");
  const subj: string[] = [];
  for (let i = s + 1; i < lines.length && lines[i]!.startsWith("    ") && !lines[i]!.startsWith("     "); i++) subj.push(lines[i]!);
  const view: OpensslView = { subject: parseSubject(subj), spki: pemBody(out) };
  const san = lines.findIndex((l) => /^\s*X509v3 Subject Alternative Name:/.test(l));
  if (san >= 0) {
    const value = lines[san + 1] ?? "";
    // An extension value openssl cannot decode is dumped as hex ("0000 - 30 ..") or printed as "<Unsupported...>".
    if (/^\s*[0-9a-f]{4} - /.test(value) || /^\s*<Unsupported/.test(value) || /Error/.test(value)) view.sansUndecoded = true;
    else view.sans = parseSans(value);
  }
  if (kind === "csr") {
    const cp = lines.find((l) => /^\s*challengePassword\s+:/.test(l));
    if (cp) view.challengePassword = cp.replace(/^\s*challengePassword\s+:/, "");
  }
  return view;
}

/** The hex of an openssl dump that starts after line `at` ("0000 - d2 1e ..-.. ascii"). */
function dumpHex(lines: string[], at: number): string {
  let hex = "";
  for (let i = at; i < lines.length; i++) {
    const m = /^\s*[0-9a-f]{4} - ((?:[0-9a-f]{2}[ -]){0,15}[0-9a-f]{2})/.exec(lines[i]!);
    if (!m) break;
    hex += m[1]!.replace(/[ -]/g, "");
  }
  return hex;
}

const SCEP_ATTRS: Record<string, keyof OpensslView> = {
  "2.16.840.1.113733.1.9.2": "messageType",
  "2.16.840.1.113733.1.9.7": "transactionId",
  "2.16.840.1.113733.1.9.5": "senderNonce",
  "2.16.840.1.113733.1.9.6": "recipientNonce",
  "2.16.840.1.113733.1.9.3": "pkiStatus",
};

function cmsView(kind: Kind, out: string): OpensslView {
  const lines = out.split("\n");
  const ct = /^ {2}contentType: .*\(([\d.]+)\)$/m.exec(out)?.[1];
  if (kind === "envelope") {
    if (ct !== "1.2.840.113549.1.7.3") throw new Error(`not envelopedData: ${ct}`);
    const alg = lines.findIndex((l) => /^\s*contentEncryptionAlgorithm:/.test(l));
    return {
      printIncomplete: /Error in encoding|^\s+\d+:d=\d+ +hl=/m.test(out) || undefined,
      recipients: lines.filter((l) => /^\s*d\.(ktri|kari|kekri|pwri|ori):/.test(l)).length,
      cipherOid: alg >= 0 ? /\(([\d.]+)\)\s*$/.exec(lines[alg + 1] ?? "")?.[1] : undefined,
    };
  }
  if (ct !== "1.2.840.113549.1.7.2") throw new Error(`not signedData: ${ct}`);
  const view: OpensslView = {
    printIncomplete: /Error in encoding|^\s+\d+:d=\d+ +hl=/m.test(out) || undefined,
    contentType: /^ {6}eContentType: .*\(([\d.]+)\)$/m.exec(out)?.[1],
    certificates: lines.filter((l) => /^ {6}d\.certificate: ?$/.test(l)).length,
  };
  const first = lines.findIndex((l) => /^ {4}signerInfos:/.test(l));
  const starts = lines.flatMap((l, i) => (first >= 0 && i > first && /^ {8}version: /.test(l) ? [i] : []));
  view.signers = starts.length;
  // signedAttrs of the first signer only (ours reads the first).
  const end = starts[1] ?? lines.length;
  for (let i = starts[0] ?? lines.length; i < end; i++) {
    const m = /^ {12}object: .*\(([\d.]+)\)$/.exec(lines[i]!) ?? /^ {12}object: ([\d.]+)$/.exec(lines[i]!);
    const field = m && SCEP_ATTRS[m[1]!];
    if (!field || view[field] !== undefined) continue;
    const v = lines[i + 2] ?? "";
    const str = /^ {14}(PRINTABLESTRING|UTF8STRING|IA5STRING|T61STRING):(.*)$/.exec(v);
    if (str) (view as Record<string, unknown>)[field] = str[2];
    else if (/^ {14}OCTET STRING:$/.test(v)) (view as Record<string, unknown>)[field] = dumpHex(lines, i + 3);
    else (view as Record<string, unknown>)[field] = `<${v.trim().split(":")[0]}>`;
  }
  return view;
}

/**
 * Certificate checks for integration tests, with the `openssl` CLI (an
 * implementation independent of the code under test) and node:crypto.
 */
import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./process.js";

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every `CERTIFICATE` PEM block in `text`, each ending with a newline. */
export function splitPem(text: string): string[] {
  return [...text.matchAll(PEM_CERT)].map((m) => `${m[0]}\n`);
}

/** DER → PEM for one certificate. */
export function derToPem(der: Uint8Array): string {
  return new X509Certificate(der).toString();
}

/** True if the certificate is self-signed (issuer = subject and its own key verifies it). */
export function isSelfSigned(certPem: string): boolean {
  const cert = new X509Certificate(certPem);
  return cert.checkIssued(cert) && cert.verify(cert.publicKey);
}

/** What GetCACert served, as PEM. */
export interface CaChain {
  /** Content-Type of the answer (`application/x-x509-ca-cert` or `-ca-ra-cert`). */
  contentType: string;
  /** The raw body. */
  der: Buffer;
  /** Every certificate served, in the order served. */
  all: string[];
  /** The self-signed ones (trust anchors). */
  roots: string[];
  /** The others: RA certificates and intermediates. */
  others: string[];
}

/**
 * GetCACert (`GET url?operation=GetCACert`) → PEM list, split into roots vs
 * others. A single DER certificate (`application/x-x509-ca-cert`) and a
 * PKCS#7 certs-only bundle (`application/x-x509-ca-ra-cert`) are both
 * understood (RFC 8894 §4.2.1).
 */
export async function fetchCaChain(url: string, opts: { message?: string } = {}): Promise<CaChain> {
  const q = new URL(url);
  q.searchParams.set("operation", "GetCACert");
  if (opts.message !== undefined) q.searchParams.set("message", opts.message);
  const res = await fetch(q, { signal: AbortSignal.timeout(10_000) });
  const der = Buffer.from(await res.arrayBuffer());
  if (!res.ok) throw new Error(`GetCACert ${url}: HTTP ${res.status}: ${der.toString("utf8").slice(0, 200)}`);
  const contentType = res.headers.get("content-type") ?? "";
  let all: string[];
  if (/pkcs7|ca-ra-cert/i.test(contentType)) {
    const p7 = await run("openssl", ["pkcs7", "-inform", "DER", "-print_certs"], { input: der, timeoutMs: 10_000 });
    if (p7.code !== 0) throw new Error(`GetCACert ${url}: not a PKCS#7 bundle: ${p7.stderr}`);
    all = splitPem(p7.stdout);
  } else {
    all = [derToPem(der)];
  }
  if (all.length === 0) throw new Error(`GetCACert ${url}: no certificate in the answer (${contentType})`);
  return {
    contentType,
    der,
    all,
    roots: all.filter(isSelfSigned),
    others: all.filter((c) => !isSelfSigned(c)),
  };
}

/** Result of {@link verifyCert}. */
export interface VerifyResult {
  ok: boolean;
  /** openssl's stdout + stderr. */
  output: string;
}

/**
 * `openssl verify -CAfile ROOTS [-untrusted UNTRUSTED] CERT`. `ok` only if
 * openssl exits 0 and says OK. Never throws on a verification failure.
 */
export async function verifyCert(
  certPem: string,
  trust: { roots: string | readonly string[]; untrusted?: string | readonly string[] },
): Promise<VerifyResult> {
  const dir = await mkdtemp(join(tmpdir(), "scepgate-verify-"));
  try {
    const joinPem = (p: string | readonly string[]): string => (typeof p === "string" ? p : p.join(""));
    await writeFile(join(dir, "cert.pem"), certPem);
    await writeFile(join(dir, "roots.pem"), joinPem(trust.roots));
    const args = ["verify", "-CAfile", join(dir, "roots.pem")];
    const untrusted = trust.untrusted === undefined ? "" : joinPem(trust.untrusted);
    if (untrusted.includes("BEGIN CERTIFICATE")) {
      await writeFile(join(dir, "untrusted.pem"), untrusted);
      args.push("-untrusted", join(dir, "untrusted.pem"));
    }
    args.push(join(dir, "cert.pem"));
    const r = await run("openssl", args, { timeoutMs: 10_000 });
    const output = `${r.stdout}${r.stderr}`.replaceAll(`${dir}/`, "");
    return { ok: r.code === 0 && /: OK\s*$/m.test(r.stdout), output };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** True if the certificate carries the public key of `keyPem` (a private key, any PEM form). */
export function sameKey(certPem: string, keyPem: string): boolean {
  const fromCert = new X509Certificate(certPem).publicKey.export({ type: "spki", format: "der" });
  const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: "spki", format: "der" });
  return fromCert.equals(fromKey);
}

/**
 * The keyUsage bits openssl prints for a certificate, e.g.
 * `["Digital Signature", "Key Encipherment"]`; `[]` when there is no keyUsage
 * extension (RFC 5280: then every use is allowed).
 */
export async function keyUsage(certPem: string): Promise<string[]> {
  const r = await run("openssl", ["x509", "-noout", "-ext", "keyUsage"], { input: certPem, timeoutMs: 10_000 });
  const lines = r.stdout.split("\n").slice(1).join(",");
  return lines
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * A certificate serial as uppercase hex without leading zeros ("0A" → "A"),
 * so serials from node:crypto, openssl and the micromdm depot compare equal.
 */
export function normalizeSerial(hex: string): string {
  const s = hex.replace(/[^0-9a-f]/gi, "").replace(/^0+/, "").toUpperCase();
  return s === "" ? "0" : s;
}

/** Subject, issuer and serial (normalized) of a PEM certificate. */
export function certInfo(certPem: string): { subject: string; issuer: string; serial: string } {
  const cert = new X509Certificate(certPem);
  return { subject: cert.subject, issuer: cert.issuer, serial: normalizeSerial(cert.serialNumber) };
}

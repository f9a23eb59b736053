/**
 * micromdm `scepclient` 2.1.0 (Debian package `scep`).
 *
 * NOTE(scepclient): it always signs with SHA-1 and encrypts with single
 * DES-CBC, whatever GetCACaps says; it POSTs (Content-Type
 * application/octet-stream) when POSTPKIOperation is advertised; it writes and
 * REUSES `csr.pem` in its working directory (so each enrollment gets a fresh
 * directory); on PENDING it logs "sleeping for 30 seconds, then trying again"
 * and re-sends the same PKCSReq (same transactionID), not a CertPoll, forever.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { run } from "../process.js";
import { makeTempDir } from "../tmp.js";
import { pickCert, readOrEmpty, type EnrollResult } from "./result.js";

/** Options of {@link enrollScepclient}. */
export interface ScepclientOptions {
  /** Common name of the subject `C=US, O=lab, OU=MDM, CN=…`. */
  cn: string;
  /** challengePassword put in the CSR. */
  challenge?: string;
  /** RSA key size; default 2048. */
  keySize?: number;
  /** Enroll this key (PEM) instead of a new one: the same key gives the same transactionID (base64 SHA-1 of the key). */
  keyPem?: string;
  /** Kill it after this long; default 60 s. (On PENDING it only retries every 30 s.) */
  timeoutMs?: number;
  /** `-ca-fingerprint`: SHA-256 hex of the CA certificate it must find in GetCACert. */
  caFingerprint?: string;
  /** Run with `-debug`. */
  debug?: boolean;
  /** A PEM CA file it trusts for an https URL instead of the system's (Go reads SSL_CERT_FILE). */
  trustedCa?: string;
}

/** A scepclient result that can send the same request again. */
export interface ScepclientResult extends EnrollResult {
  /**
   * Runs scepclient again in the same working directory with the same key and
   * csr.pem, i.e. re-sends the same PKCSReq (same transactionID) — what the
   * client itself does every 30 s while PENDING.
   */
  rerun(opts?: { timeoutMs?: number }): Promise<ScepclientResult>;
}

/** Enrolls with `scepclient` in a fresh temp directory. Never throws on client failure. */
export async function enrollScepclient(url: string, opts: ScepclientOptions): Promise<ScepclientResult> {
  const dir = makeTempDir("scepclient-");
  await mkdir(join(dir, "work"));
  if (opts.keyPem !== undefined) await writeFile(join(dir, "key.pem"), opts.keyPem, { mode: 0o600 });
  return attempt(url, dir, opts, opts.timeoutMs ?? 60_000);
}

async function attempt(url: string, dir: string, opts: ScepclientOptions, timeoutMs: number): Promise<ScepclientResult> {
  const work = join(dir, "work");
  const args = ["-server-url", url, "-private-key", join(dir, "key.pem"), "-certificate", join(dir, "cert.pem")];
  args.push("-cn", opts.cn, "-organization", "lab", "-keySize", String(opts.keySize ?? 2048));
  if (opts.challenge !== undefined) args.push("-challenge", opts.challenge);
  if (opts.caFingerprint !== undefined) args.push("-ca-fingerprint", opts.caFingerprint);
  if (opts.debug) args.push("-debug");

  const env = opts.trustedCa === undefined ? undefined : { ...process.env, SSL_CERT_FILE: opts.trustedCa };
  const r = await run("scepclient", args, { cwd: work, timeoutMs, env });
  const keyPem = await readOrEmpty(join(dir, "key.pem"));
  const picked = pickCert(await readOrEmpty(join(dir, "cert.pem")), keyPem);
  const ok = r.code === 0 && picked.certPem !== undefined;
  let log = `$ scepclient ${args.join(" ")}\n${r.stdout}${r.stderr}\n[harness] exit ${r.code}`;
  if (r.timedOut) log += ` (killed after ${timeoutMs} ms)`;
  if (!ok && picked.problem) log += `; ${picked.problem}`;
  await writeFile(join(dir, "scepclient.log"), log);
  return {
    ok,
    exitCode: r.code,
    timedOut: r.timedOut,
    pending: /PENDING|sleeping for 30 seconds/.test(log),
    ...(ok && picked.certPem ? { certPem: picked.certPem } : {}),
    keyPem,
    log,
    dir,
    durationMs: r.durationMs,
    rerun: (o = {}) => attempt(url, dir, opts, o.timeoutMs ?? timeoutMs),
  };
}

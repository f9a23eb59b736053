/**
 * strongSwan `pki --scepca` + `pki --scep` 5.9.8 (Debian `strongswan-pki`;
 * its HTTP fetcher is the curl plugin from `libstrongswan-extra-plugins`).
 *
 * NOTE(strongSwan 5.9.8): GetCACaps is tested with enum indices as bit masks,
 * so `--cipher aes` is only accepted if the server lists SHA-384 and `des3`
 * only if it lists AES. It POSTs with no Content-Type, polls with CertPoll
 * every `--interval` s while PENDING, and rejects a CertRep whose signerInfo
 * signatureAlgorithm is not rsaEncryption ("only RSA digest encryption
 * supported") — which is why it cannot enroll directly against micromdm
 * scepserver 2.1.0, whose CertRep says sha1WithRSAEncryption.
 */
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fetchCaChain, keyUsage } from "../openssl.js";
import { run, type RunOptions } from "../process.js";
import { makeTempDir } from "../tmp.js";
import { dropPluginNoise, pickCert, readOrEmpty, type EnrollResult } from "./result.js";

/** Options of {@link enrollPki}. */
export interface PkiOptions {
  /** Subject `O=lab, CN=…`. */
  cn: string;
  /** challengePassword (`--password`). */
  challenge?: string;
  /** Content cipher of the PKCSReq. */
  cipher: "aes" | "des3";
  /** Digest of the PKCSReq signature. */
  digest: "sha256" | "sha1" | "sha384" | "sha512" | "sha224";
  /** `--interval` seconds between CertPolls while PENDING; default 5. */
  interval?: number;
  /** `--maxpolltime` seconds; default 60 (0 = poll forever, bounded by timeoutMs). */
  maxPollTime?: number;
  /** RSA key size; default 2048. */
  keySize?: number;
  /** Enroll this key (PEM) instead of a new one: the same key gives the same transactionID (hex SHA-1 of the key). */
  keyPem?: string;
  /** Kill it after this long; default (maxPollTime + 30) s. */
  timeoutMs?: number;
  /** `--rsa-padding`: how pki signs the CSR and the signerInfo; default: the flag is left out (pki's default, pkcs1). */
  rsaPadding?: "pkcs1" | "pss";
  /** Run `pki --scep` with its RSA key in this strongSwan plugin; default: the machine's plugin configuration. */
  rsaBackend?: RsaBackend;
  /**
   * A PEM CA file that pki trusts for an https URL. NOTE(strongSwan 5.9.8):
   * the curl plugin has no CA option, and libcurl reads the system bundle, so
   * pki runs in a private mount namespace (`unshare -m`, root) where this file
   * is bind-mounted over /etc/ssl/certs/ca-certificates.crt.
   */
  trustedCa?: string;
}

/**
 * The strongSwan plugins that can hold an RSA private key, and so make
 * pki's signatures. NOTE(strongSwan 5.9.8): the first plugin in the load
 * order that can build the key makes every signature with it; Debian's
 * default order is openssl (package libstrongswan-standard-plugins), gcrypt
 * (libstrongswan-extra-plugins), gmp (libstrongswan). gmp signs RSASSA-PSS
 * only with the mgf1 plugin loaded (else "XOF_MGF1_SHA256 not supported");
 * openssl and gcrypt do PSS themselves.
 */
export type RsaBackend = "openssl" | "gcrypt" | "gmp";

const PLUGIN_DIR = "/usr/lib/ipsec/plugins";

/** Whether this machine has the strongSwan plugin `name` (its shared object in {@link PLUGIN_DIR}). */
export function hasStrongswanPlugin(name: string): boolean {
  return existsSync(join(PLUGIN_DIR, `libstrongswan-${name}.so`));
}

/** Debian's default pki plugin order around the RSA backends (`pki` prints it as "loaded plugins:"). */
const PLUGINS_BEFORE = ["aes", "rc2", "sha2", "sha1", "md5", "mgf1", "random", "nonce", "x509", "revocation", "pubkey", "pkcs1", "pkcs7", "pkcs12", "pem"];
const PLUGINS_AFTER = ["pkcs8", "hmac", "kdf", "drbg", "curl"];
const BACKENDS: readonly RsaBackend[] = ["openssl", "gcrypt", "gmp"];

/**
 * A private strongswan.conf whose `pki { load = ... }` puts `backend` first
 * among the RSA backends (the others stay, after it, for the ciphers it may
 * lack); undefined without a backend. Only installed plugins are listed.
 */
async function writePluginConf(dir: string, backend: RsaBackend | undefined): Promise<string | undefined> {
  if (backend === undefined) return undefined;
  const backends = [backend, ...BACKENDS.filter((b) => b !== backend)];
  const load = [...PLUGINS_BEFORE, ...backends, ...PLUGINS_AFTER].filter(hasStrongswanPlugin).join(" ");
  await writeFile(join(dir, "strongswan.conf"), `pki {\n  load = ${load}\n}\n`);
  return `[harness] STRONGSWAN_CONF with pki { load = ${load} }\n`;
}

/** pki's environment: STRONGSWAN_CONF pointing at the private strongswan.conf when a backend is pinned. */
function pkiEnv(dir: string, opts: PkiOptions): NodeJS.ProcessEnv {
  return opts.rsaBackend === undefined ? process.env : { ...process.env, STRONGSWAN_CONF: join(dir, "strongswan.conf") };
}

/** A pki result that can send a new PKCSReq with the same key (same transactionID). */
export interface PkiResult extends EnrollResult {
  /** Runs `pki --scep` again with the same key, CA/RA certs and options. */
  rerun(opts?: { timeoutMs?: number }): Promise<PkiResult>;
}

/** Which certificates `pki --scep` gets, chosen from what `pki --scepca` wrote. */
interface CaFiles {
  enc: string;
  sig: string;
  cas: string[];
  note: string;
}

/**
 * Fetches the CA/RA certificates with `pki --scepca`, picks `--cacert-enc` /
 * `--cacert-sig` by keyUsage among the RA certificates served (the CA
 * certificate when there is none), makes a key with `pki --gen`, and enrolls
 * with `pki --scep`. Never throws on client failure.
 */
export async function enrollPki(url: string, opts: PkiOptions): Promise<PkiResult> {
  const started = Date.now();
  const dir = makeTempDir("pki-");
  let log = "";
  const scepca = await runPki(pkiScepcaArgs(url, dir), { timeoutMs: 30_000 }, opts.trustedCa);
  log += `$ pki --scepca --url ${url}\n${dropPluginNoise(scepca.stdout + scepca.stderr)}\n[harness] exit ${scepca.code}\n`;
  const ca = await chooseCaFiles(url, dir);
  log += ca.note;
  log += (await writePluginConf(dir, opts.rsaBackend)) ?? "";

  let keyPem = opts.keyPem;
  if (keyPem === undefined) {
    const gen = await run("pki", ["--gen", "--type", "rsa", "--size", String(opts.keySize ?? 2048), "--outform", "pem"], {
      timeoutMs: 60_000,
    });
    if (gen.code !== 0) log += `[harness] pki --gen failed: ${dropPluginNoise(gen.stderr)}\n`;
    keyPem = gen.stdout;
  }
  await writeFile(join(dir, "key.pem"), keyPem, { mode: 0o600 });
  return attempt(url, dir, opts, ca, { log, started }, opts.timeoutMs);
}

/** `pki ARGS`, inside a mount namespace that trusts `trustedCa` when given (see {@link PkiOptions.trustedCa}). */
function runPki(args: string[], opts: RunOptions, trustedCa: string | undefined): ReturnType<typeof run> {
  if (trustedCa === undefined) return run("pki", args, opts);
  const script = 'mount --bind "$0" /etc/ssl/certs/ca-certificates.crt && exec pki "$@"';
  return run("unshare", ["--mount", "sh", "-c", script, trustedCa, ...args], opts);
}

function pkiScepcaArgs(url: string, dir: string): string[] {
  const out = ["--caout", join(dir, "pki-ca.pem"), "--raout", join(dir, "pki-ra.pem")];
  return ["--scepca", "--url", url, ...out, "--outform", "pem", "--force"];
}

async function attempt(
  url: string,
  dir: string,
  opts: PkiOptions,
  ca: CaFiles,
  prior: { log: string; started: number },
  timeoutMs: number | undefined,
): Promise<PkiResult> {
  const maxPoll = opts.maxPollTime ?? 60;
  const args = ["--scep", "--url", url, "--in", join(dir, "key.pem"), "--dn", `O=lab, CN=${opts.cn}`];
  args.push("--cacert-enc", ca.enc, "--cacert-sig", ca.sig);
  for (const c of ca.cas) args.push("--cacert", c);
  args.push("--cipher", opts.cipher, "--digest", opts.digest);
  if (opts.rsaPadding !== undefined) args.push("--rsa-padding", opts.rsaPadding);
  args.push("--interval", String(opts.interval ?? 5), "--maxpolltime", String(maxPoll), "--outform", "pem");
  const shown = [...args];
  if (opts.challenge !== undefined) {
    args.push("--password", opts.challenge);
    shown.push("--password", "***");
  }
  const limit = timeoutMs ?? (maxPoll + 30) * 1_000;
  const r = await runPki(args, { timeoutMs: limit, env: pkiEnv(dir, opts) }, opts.trustedCa);
  await writeFile(join(dir, "cert.pem"), r.stdout);
  const keyPem = await readOrEmpty(join(dir, "key.pem"));
  const picked = pickCert(r.stdout, keyPem);
  const ok = r.code === 0 && picked.certPem !== undefined;
  let log = `${prior.log}$ pki ${shown.join(" ")}\n${dropPluginNoise(r.stderr)}\n[harness] exit ${r.code}`;
  if (r.timedOut) log += ` (killed after ${limit} ms)`;
  if (!ok && picked.problem) log += `; ${picked.problem}`;
  await writeFile(join(dir, "pki.log"), log);
  return {
    ok,
    exitCode: r.code,
    timedOut: r.timedOut,
    pending: /request pending/i.test(log),
    ...(ok && picked.certPem ? { certPem: picked.certPem } : {}),
    keyPem,
    log,
    dir,
    durationMs: Date.now() - prior.started,
    rerun: (o = {}) => attempt(url, dir, opts, ca, { log: "", started: Date.now() }, o.timeoutMs ?? timeoutMs),
  };
}

/**
 * Reads what `pki --scepca` wrote (pki-ca.pem, pki-ca-N.pem for sub CAs,
 * pki-ca-root-N.pem for further roots, pki-ra.pem / pki-ra-N.pem for RA
 * certificates) and picks the encryption and signature certificates. Falls
 * back to our own GetCACert if pki wrote nothing.
 */
async function chooseCaFiles(url: string, dir: string): Promise<CaFiles> {
  const names = (await readdir(dir)).sort();
  let cas = names.filter((n) => n.startsWith("pki-ca")).map((n) => join(dir, n));
  let ras = names.filter((n) => n.startsWith("pki-ra")).map((n) => join(dir, n));
  let note = "";
  if (cas.length === 0) {
    note = "[harness] pki --scepca wrote no CA certificate; using openssl's view of GetCACert\n";
    try {
      const chain = await fetchCaChain(url);
      cas = await writeAll(dir, "fallback-ca", chain.roots);
      ras = await writeAll(dir, "fallback-ra", chain.others);
    } catch (err) {
      note += `[harness] GetCACert failed too: ${String(err)}\n`;
    }
  }
  const subCa = cas.find((c) => /pki-ca-\d+\.pem$/.test(c));
  const fallback = ras[0] ?? subCa ?? cas[0] ?? join(dir, "pki-ca.pem");
  let enc: string | undefined;
  let sig: string | undefined;
  for (const ra of ras) {
    const ku = await keyUsage(await readFile(ra, "utf8"));
    if (enc === undefined && (ku.length === 0 || ku.includes("Key Encipherment"))) enc = ra;
    if (sig === undefined && (ku.length === 0 || ku.includes("Digital Signature"))) sig = ra;
  }
  enc ??= fallback;
  sig ??= fallback;
  note += `[harness] --cacert-enc ${basename(enc)} --cacert-sig ${basename(sig)} --cacert ${cas.map(basename).join(",")}\n`;
  return { enc, sig, cas, note };
}

async function writeAll(dir: string, stem: string, pems: readonly string[]): Promise<string[]> {
  const paths: string[] = [];
  for (const [i, pem] of pems.entries()) {
    const p = join(dir, `${stem}-${i + 1}.pem`);
    await writeFile(p, pem);
    paths.push(p);
  }
  return paths;
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}

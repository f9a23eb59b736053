/**
 * micromdm `scepserver` (Debian package `scep` 2.1.0) as the upstream SCEP CA
 * of integration tests.
 *
 * NOTE(micromdm): it listens on all interfaces (no bind flag) and serves only
 * the path `/scep`; it never answers PENDING; it is not safe under concurrent
 * PKCSReqs (file depot races), so forward to it one request at a time.
 */
import { createPrivateKey } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { normalizeSerial } from "./openssl.js";
import { freePort } from "./ports.js";
import { run, startProcess, waitForUrl, type ManagedProcess } from "./process.js";
import { makeTempDir, removeTempDir } from "./tmp.js";

/** Options of {@link startScepServer}. */
export interface ScepServerOptions {
  /** `-challenge`: the challengePassword every CSR must carry. Default: none required. */
  challenge?: string;
  /** CA RSA key size for `ca -init`; default 2048 (scepserver's own default, 4096, is slow). */
  keySize?: number;
  /** `-allowrenew` days; default 0 (re-enrolling an existing DN is always allowed). */
  allowRenew?: number;
  /** `-crtvalid` days for issued certificates; default 365. */
  crtValidDays?: number;
  /**
   * Directory to work in. If it already holds `depot/ca.pem` that CA is
   * reused (no `ca -init`). A directory passed here is not removed by `stop()`.
   * Default: a fresh temp dir, removed by `stop()` unless KEEP_TMP=1.
   */
  dir?: string;
  /** Port to listen on; default a free one. */
  port?: number;
  /** Run with `-debug`. */
  debug?: boolean;
  /** Echo the server's log to stderr. */
  echo?: boolean;
}

/** One certificate the depot recorded (a line of `depot/index.txt`). */
export interface IssuedCert {
  /** Normalized hex serial (see {@link normalizeSerial}). */
  serial: string;
  /** `V` valid, `R` revoked, `E` expired. */
  status: string;
  /** Subject as the depot wrote it, e.g. `/O=lab/CN=dev1`. */
  subject: string;
  /** Absolute path of the PEM file in the depot. */
  file: string;
  /** The certificate, if its file is there. */
  certPem: string | undefined;
}

/** A running micromdm scepserver. */
export interface ScepServer {
  /** `http://127.0.0.1:PORT/scep`. */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** `DIR/depot`: ca.pem, ca.key, serial, index.txt and one `CN.SERIAL.pem` per issued cert. */
  readonly depotDir: string;
  readonly caCertPem: string;
  /** The CA key as unencrypted PKCS#8 PEM (the depot's ca.key is PKCS#1 encrypted with an empty passphrase). */
  readonly caKeyPem: string;
  /** The server's log so far (current run). */
  log(): string;
  /** Stops it (SIGTERM) and removes its temp dir unless it was given one or KEEP_TMP=1. */
  stop(): Promise<void>;
  /** Stops it and starts it again on the same port with the same depot. */
  restart(): Promise<void>;
  /** Serials of every certificate issued so far, in issue order (duplicates kept). */
  issuedSerials(): Promise<string[]>;
  /** Every certificate issued so far, from `depot/index.txt`, with its PEM. */
  issued(): Promise<IssuedCert[]>;
}

/**
 * Initialises a CA depot (`scepserver ca -init -depot DIR/depot -keySize N`)
 * unless one is there, starts `scepserver -depot … -port P -allowrenew N
 * [-challenge X]`, and resolves once GetCACaps answers.
 */
export async function startScepServer(opts: ScepServerOptions = {}): Promise<ScepServer> {
  const ownsDir = opts.dir === undefined;
  const dir = opts.dir ?? makeTempDir("scepserver-");
  const depotDir = join(dir, "depot");
  if (!existsSync(join(depotDir, "ca.pem"))) await initDepot(dir, depotDir, opts.keySize ?? 2048);
  const caCertPem = await readFile(join(depotDir, "ca.pem"), "utf8");
  const caKeyPem = createPrivateKey({ key: await readFile(join(depotDir, "ca.key"), "utf8"), passphrase: "" })
    .export({ type: "pkcs8", format: "pem" })
    .toString();

  let port = opts.port ?? (await freePort());
  let proc: ManagedProcess | undefined;
  for (let attempt = 0; proc === undefined; attempt++) {
    try {
      proc = await launch(dir, depotDir, port, opts);
    } catch (err) {
      if (opts.port !== undefined || attempt >= 2) {
        if (ownsDir) await removeTempDir(dir);
        throw err;
      }
      port = await freePort(); // probably lost the race for the port
    }
  }
  let current: ManagedProcess = proc;

  const issued = async (): Promise<IssuedCert[]> => readIndex(depotDir);
  return {
    url: `http://127.0.0.1:${port}/scep`,
    port,
    dir,
    depotDir,
    caCertPem,
    caKeyPem,
    log: () => current.output(),
    stop: async () => {
      await current.stop();
      if (ownsDir) await removeTempDir(dir);
    },
    restart: async () => {
      await current.stop();
      current = await launch(dir, depotDir, port, opts);
    },
    issued,
    issuedSerials: async () => (await issued()).map((c) => c.serial),
  };
}

async function initDepot(dir: string, depotDir: string, keySize: number): Promise<void> {
  const args = ["ca", "-init", "-depot", depotDir, "-keySize", String(keySize)];
  args.push("-organization", "scepgate-test-upstream", "-organizational_unit", "SCEP CA");
  const r = await run("scepserver", args, { cwd: dir, timeoutMs: 120_000 });
  if (r.code !== 0 || !existsSync(join(depotDir, "ca.pem"))) {
    throw new Error(`scepserver ca -init failed (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  }
}

async function launch(dir: string, depotDir: string, port: number, opts: ScepServerOptions): Promise<ManagedProcess> {
  const args = ["-depot", depotDir, "-port", String(port), "-allowrenew", String(opts.allowRenew ?? 0)];
  args.push("-crtvalid", String(opts.crtValidDays ?? 365));
  if (opts.challenge !== undefined) args.push("-challenge", opts.challenge);
  if (opts.debug) args.push("-debug");
  const proc = startProcess("scepserver", args, { cwd: dir, name: `scepserver:${port}`, echo: opts.echo ?? false });
  try {
    await waitForUrl(`http://127.0.0.1:${port}/scep?operation=GetCACaps`, {
      process: proc,
      timeoutMs: 20_000,
      accept: (res) => res.ok,
    });
  } catch (err) {
    await proc.kill();
    throw err;
  }
  return proc;
}

/** Parses the OpenSSL-style `index.txt` the micromdm depot keeps (tab-separated). */
async function readIndex(depotDir: string): Promise<IssuedCert[]> {
  let text: string;
  try {
    text = await readFile(join(depotDir, "index.txt"), "utf8");
  } catch {
    return []; // nothing issued yet
  }
  const out: IssuedCert[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    // status, expiry, revocation date, serial (hex), file name, subject
    const [status = "", , , serial = "", file = "", subject = ""] = line.split("\t");
    const path = join(depotDir, file);
    const certPem = await readFile(path, "utf8").catch(() => undefined);
    out.push({ serial: normalizeSerial(serial), status, subject, file: path, certPem });
  }
  return out;
}

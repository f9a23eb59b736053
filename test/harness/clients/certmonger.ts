/**
 * certmonger 0.79.17's SCEP helper `scep-submit`, driven like the certmonger
 * daemon drives it.
 *
 * scep-submit only transports ready-made pkiMessages; the PKCSReq and the
 * GetCertInitial are built by the certmonger daemon. So:
 * 1. a private, throw-away `certmonger-session` (own D-Bus session bus via
 *    `dbus-run-session`, all state in the temp dir; never the system
 *    certmonger) gets a CA whose helper is a tiny wrapper: GetCACaps/GetCACert
 *    go to scep-submit, but on SUBMIT/POLL it saves CERTMONGER_PKCSREQ and
 *    CERTMONGER_GETCERTINITIAL and answers "wait", so the daemon itself never
 *    sends a PKIOperation;
 * 2. we run scep-submit with CERTMONGER_OPERATION=SUBMIT, then POLL while it
 *    exits 1/5 (pending), sending the daemon's GetCertInitial (or, with
 *    `pollWith: "pkcsreq"`, its PKCSReq again);
 * 3. we decrypt the pkcsPKIEnvelope it prints with the daemon-made key
 *    (openssl; the legacy provider when the CA used single DES, as micromdm
 *    does) and pick the certificate that carries our key.
 *
 * NOTE(certmonger): GET only (`GetCACaps&message=0`, `GetCACert&message=0`,
 * `PKIOperation&message=<url-encoded base64>`); SHA-256, AES-256 when AES is
 * advertised; needs the CA certificate as well as the RA certificate; exit
 * codes 0 issued, 1/5 pending, 2 rejected, 3 unreachable or bad reply.
 *
 * NOTE(certmonger): scep-submit 0.79.17 sends, in POLL mode too, whatever is
 * in CERTMONGER_PKCSREQ (it never reads CERTMONGER_GETCERTINITIAL: with only
 * that set it exits 16, "need SCEP messages"), and the daemon fills
 * CERTMONGER_PKCSREQ with its PKCSReq for SUBMIT and POLL alike. So a real
 * certmonger may poll by re-sending its PKCSReq (same transactionID), like
 * scepclient does. The harness polls with the GetCertInitial (CertPoll, 20)
 * by default, and with the PKCSReq on `pollWith: "pkcsreq"`.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fetchCaChain, sameKey, splitPem } from "../openssl.js";
import { run, sleep } from "../process.js";
import { makeTempDir } from "../tmp.js";
import { readOrEmpty, type EnrollResult } from "./result.js";

/** Where scep-submit and the private daemon live (Debian). */
const LIBEXEC = "/usr/lib/certmonger";
const SUBMIT = `${LIBEXEC}/scep-submit`;

/** Options of {@link enrollCertmonger}. */
export interface CertmongerOptions {
  /** Subject `CN=…,O=lab`. */
  cn: string;
  /** challengePassword (`getcert request -L`). */
  challenge?: string;
  /** Seconds between POLLs while pending; default 5. */
  pollIntervalS?: number;
  /** POLLs after the SUBMIT before giving up; default 12. 0: return at once when pending, with `poll()`. */
  pollMax?: number;
  /** Which captured message a POLL sends: the GetCertInitial (default) or the PKCSReq again. */
  pollWith?: PollMessage;
}

/** The daemon-made pkiMessage a POLL sends. */
export type PollMessage = "getcertinitial" | "pkcsreq";

/** A certmonger result; `poll()` sends the captured GetCertInitial once more. */
export interface CertmongerResult extends EnrollResult {
  /**
   * One more POLL for this request (by default with the GetCertInitial), e.g.
   * after an operator approved it. Resolves with the new state; never throws
   * on client failure.
   */
  poll(opts?: { pollWith?: PollMessage }): Promise<CertmongerResult>;
}

/** The files of one certmonger enrollment. */
interface Ctx {
  url: string;
  dir: string;
  cap: string;
  started: number;
  log: string[];
  pollWith: PollMessage;
}

/** Enrolls with certmonger's scep-submit (see the module comment). Never throws on client failure. */
export async function enrollCertmonger(url: string, opts: CertmongerOptions): Promise<CertmongerResult> {
  const dir = makeTempDir("certmonger-");
  const ctx: Ctx = { url, dir, cap: join(dir, "cm", "cap"), started: Date.now(), log: [], pollWith: opts.pollWith ?? "getcertinitial" };
  const certs = await fetchCerts(ctx);
  if (!certs) return finish(ctx, 4, { pending: false });
  const captured = await captureMessages(ctx, opts);
  if (!captured) return finish(ctx, 4, { pending: false });

  let rc = await submit(ctx, "SUBMIT");
  for (let i = 0; isPending(rc) && i < (opts.pollMax ?? 12); i++) {
    await sleep((opts.pollIntervalS ?? 5) * 1_000);
    rc = await submit(ctx, "POLL");
  }
  return finish(ctx, rc, { pending: isPending(rc) });
}

function isPending(rc: number): boolean {
  return rc === 1 || rc === 5;
}

/** What scep-submit itself sees in GetCACert (`-C` prints RA cert, CA cert, others). */
async function fetchCerts(ctx: Ctx): Promise<boolean> {
  const r = await run(SUBMIT, ["-C", "-u", ctx.url], { timeoutMs: 30_000 });
  const certs = splitPem(r.stdout);
  ctx.log.push(`$ scep-submit -C -u ${ctx.url}\n${r.stderr}[harness] exit ${r.code}, ${certs.length} certificate(s)`);
  const [ra, second, ...others] = certs;
  if (ra === undefined) return false;
  // A single CA certificate: scep-submit reports it as the RA certificate; it is its own CA.
  // NOTE(certmonger): without a CA certificate its trust store is empty ("certificate verify error").
  const ca = second ?? (await fetchCaChain(ctx.url).catch(() => undefined))?.roots[0] ?? ra;
  await writeFile(join(ctx.dir, "cm-ra.pem"), ra);
  await writeFile(join(ctx.dir, "cm-ca.pem"), ca);
  await writeFile(join(ctx.dir, "cm-others.pem"), others.join(""));
  return true;
}

/** Runs the private daemon until it has handed its PKCSReq + GetCertInitial to our helper. */
async function captureMessages(ctx: Ctx, opts: CertmongerOptions): Promise<boolean> {
  const cm = join(ctx.dir, "cm");
  await mkdir(ctx.cap, { recursive: true });
  await writeFile(join(cm, "helper.sh"), helperScript(ctx.cap), { mode: 0o755 });
  await writeFile(join(cm, "inner.sh"), innerScript(ctx, opts));
  // Rarely the daemon is still in GENERATING_SCEP_DATA when inner.sh gives up: one retry.
  for (let attempt = 1; attempt <= 2; attempt++) {
    const state = ["home", "cfg", "req", "cas", "local", "tmp"];
    for (const d of state) await rm(join(cm, d), { recursive: true, force: true });
    await rm(ctx.cap, { recursive: true, force: true });
    for (const d of [...state, "cap"]) await mkdir(join(cm, d), { recursive: true });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: join(cm, "home"),
      CERTMONGER_CONFIG_DIR: join(cm, "cfg"),
      CERTMONGER_REQUESTS_DIR: join(cm, "req"),
      CERTMONGER_CAS_DIR: join(cm, "cas"),
      CERTMONGER_LOCAL_CA_DIR: join(cm, "local"),
      CERTMONGER_TMPDIR: join(cm, "tmp"),
    };
    delete env["DBUS_SESSION_BUS_ADDRESS"];
    const daemon = [`${LIBEXEC}/certmonger-session`, "-s", "-n", "-c", `sh ${join(cm, "inner.sh")}`];
    const r = await run("dbus-run-session", ["--", ...daemon], { env, timeoutMs: 90_000 });
    ctx.log.push(`[harness] certmonger-session attempt ${attempt}: exit ${r.code}${r.timedOut ? " (timeout)" : ""}`);
    await writeFile(join(cm, `daemon-${attempt}.log`), r.stdout + r.stderr);
    const pkcsreq = await readOrEmpty(join(ctx.cap, "pkcsreq.pem"));
    if (pkcsreq.trim() !== "" && (await readOrEmpty(join(ctx.dir, "key.pem"))) !== "") return true;
  }
  ctx.log.push(`[harness] the daemon produced no PKCSReq:\n${await readOrEmpty(join(cm, "getcert-list.txt"))}`);
  return false;
}

/** The CA helper the daemon runs: passes CA queries to scep-submit, captures the pkiMessages. */
function helperScript(cap: string): string {
  return `#!/bin/sh
case "$CERTMONGER_OPERATION" in
SUBMIT|POLL)
  [ -n "$CERTMONGER_PKCSREQ" ] || exit 16   # ask the daemon to generate the SCEP messages
  printf '%s\\n' "$CERTMONGER_GETCERTINITIAL" > ${sh(join(cap, "gic.pem"))}
  printf '%s\\n' "$CERTMONGER_PKCSREQ" > ${sh(join(cap, "pkcsreq.pem.tmp"))}
  mv ${sh(join(cap, "pkcsreq.pem.tmp"))} ${sh(join(cap, "pkcsreq.pem"))}
  echo captured; exit 1 ;;
*) exec ${sh(SUBMIT)} "$@" ;;
esac
`;
}

/** What runs inside the private D-Bus session: add the CA, request, wait for the capture. */
function innerScript(ctx: Ctx, opts: CertmongerOptions): string {
  const cm = join(ctx.dir, "cm");
  const challenge = opts.challenge === undefined ? "" : ` -L ${sh(opts.challenge)}`;
  return `getcert add-ca -s -c lab -e ${sh(`${join(cm, "helper.sh")} -u ${ctx.url}`)} >/dev/null
getcert request -s -c lab -k ${sh(join(ctx.dir, "key.pem"))} -f ${sh(join(cm, "cert.pem"))} \\
  -N ${sh(`CN=${opts.cn},O=lab`)}${challenge} -I labreq >/dev/null
for i in $(seq 1 120); do [ -s ${sh(join(ctx.cap, "pkcsreq.pem"))} ] && break; sleep 0.25; done
getcert list -s > ${sh(join(cm, "getcert-list.txt"))}
`;
}

/**
 * Runs scep-submit for SUBMIT (the PKCSReq) or POLL (the GetCertInitial, or
 * the PKCSReq again); returns its exit code. scep-submit sends what is in
 * CERTMONGER_PKCSREQ in both modes (see the module NOTE).
 */
async function submit(ctx: Ctx, op: "SUBMIT" | "POLL"): Promise<number> {
  const pkcsreq = await readOrEmpty(join(ctx.cap, "pkcsreq.pem"));
  const gic = await readOrEmpty(join(ctx.cap, "gic.pem"));
  const message = op === "POLL" && ctx.pollWith === "getcertinitial" ? gic : pkcsreq;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CERTMONGER_OPERATION: op,
    CERTMONGER_PKCSREQ: message,
    CERTMONGER_GETCERTINITIAL: gic,
    CERTMONGER_SCEP_RA_CERTIFICATE: await readOrEmpty(join(ctx.dir, "cm-ra.pem")),
    CERTMONGER_SCEP_CA_CERTIFICATE: await readOrEmpty(join(ctx.dir, "cm-ca.pem")),
    CERTMONGER_SCEP_CERTIFICATES: await readOrEmpty(join(ctx.dir, "cm-others.pem")),
  };
  const r = await run(SUBMIT, ["-u", ctx.url], { env, timeoutMs: 60_000 });
  await writeFile(join(ctx.dir, "envelope.pem"), r.stdout);
  const out = r.code === 0 ? "" : r.stdout.slice(0, 300);
  const sent = op === "POLL" && ctx.pollWith === "getcertinitial" ? "GetCertInitial" : "PKCSReq";
  ctx.log.push(`$ CERTMONGER_OPERATION=${op} scep-submit -u ${ctx.url}   # sends the ${sent}\n${r.stderr}${out}[harness] exit ${r.code}`);
  return r.code;
}

/** Decrypts the envelope (when rc = 0) and builds the result. */
async function finish(ctx: Ctx, rc: number, state: { pending: boolean }): Promise<CertmongerResult> {
  const keyPem = await readOrEmpty(join(ctx.dir, "key.pem"));
  const certPem = rc === 0 ? await decryptIssued(ctx, keyPem) : undefined;
  if (state.pending) ctx.log.push("[harness] still pending");
  const log = ctx.log.join("\n");
  await writeFile(join(ctx.dir, "certmonger.log"), log);
  const pollable = (await readOrEmpty(join(ctx.cap, "gic.pem"))).trim() !== "";
  return {
    ok: certPem !== undefined,
    exitCode: rc,
    timedOut: false,
    pending: state.pending,
    ...(certPem ? { certPem } : {}),
    keyPem,
    log,
    dir: ctx.dir,
    durationMs: Date.now() - ctx.started,
    poll: async (o = {}) => {
      const next: Ctx = { ...ctx, started: Date.now(), log: [], pollWith: o.pollWith ?? ctx.pollWith };
      if (!pollable) return finish({ ...next, log: ["[harness] nothing to poll with"] }, 4, state);
      const code = await submit(next, "POLL");
      return finish(next, code, { pending: isPending(code) });
    },
  };
}

/** pkcsPKIEnvelope (PEM, from scep-submit) → the issued certificate carrying our key. */
async function decryptIssued(ctx: Ctx, keyPem: string): Promise<string | undefined> {
  const envelope = join(ctx.dir, "envelope.pem");
  const p7b = join(ctx.dir, "issued.p7b");
  const base = ["smime", "-decrypt", "-inform", "PEM", "-in", envelope, "-inkey", join(ctx.dir, "key.pem")];
  let r = await run("openssl", [...base, "-binary", "-out", p7b], { timeoutMs: 30_000 });
  if (r.code !== 0) {
    // NOTE(micromdm): its CertRep is single DES-CBC, which OpenSSL 3 only has in the legacy provider.
    r = await run("openssl", [...base, "-provider", "legacy", "-provider", "default", "-binary", "-out", p7b], {
      timeoutMs: 30_000,
    });
    ctx.log.push(`[harness] envelope needed the OpenSSL legacy provider: exit ${r.code} ${r.stderr}`);
  }
  if (r.code !== 0) {
    ctx.log.push(`[harness] cannot decrypt the envelope: ${r.stderr}`);
    return undefined;
  }
  const certs = await run("openssl", ["pkcs7", "-inform", "DER", "-in", p7b, "-print_certs"], { timeoutMs: 30_000 });
  const mine = splitPem(certs.stdout).find((c) => keyPem !== "" && sameKey(c, keyPem));
  if (mine === undefined) ctx.log.push("[harness] no certificate for our key in the reply");
  return mine;
}

/** Single-quotes a string for sh. */
function sh(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * `scepgate batch` as a real process (node bin/scepgate.js batch …) against a
 * real micromdm scepserver upstream (maxConcurrent 1) and a real Redis, and
 * the independent checks of what it wrote (openssl, node:crypto, micromdm's
 * depot, the records in Redis).
 */
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { run, startProcess, type ManagedProcess, type RunResult } from "../../harness/process.js";
import { startRedis, uniquePrefix, type RedisHandle } from "../../harness/redis.js";
import { childEnv, SCEPGATE_BIN } from "../../harness/scepgate.js";
import { makeTempDir, removeTempDir } from "../../harness/tmp.js";
import { startScepServer, type IssuedCert, type ScepServer, type ScepServerOptions } from "../../harness/upstream-ca.js";
import { recordReader, type RecordReader } from "../support/redis-records.js";

export const PASSPHRASE = "batch test passphrase 7f3a";

/** One row of a device list. */
export interface DeviceRow {
  name: string;
  cn: string;
  dns: string[];
  ip: string[];
  email: string[];
  o?: string;
  ou?: string;
  c?: string;
  key?: "rsa-2048" | "rsa-3072" | "ec-p256" | "ec-p384";
}

/** Key types by device index. */
export type KeyPlan = (i: number) => DeviceRow["key"];

/**
 * NOTE(micromdm): scepserver 2.1.0 copies the CSR's signatureAlgorithm into
 * the certificate it signs with its RSA CA key, so an EC device's CSR
 * (ecdsa-with-SHA256) fails there ("x509: requested SignatureAlgorithm does
 * not match private key type", FAILURE badRequest): against micromdm the mix
 * is RSA-2048 with an RSA-3072 every 25th; EC keys are tested with the
 * embedded CA.
 */
export const RSA_MIX: KeyPlan = (i) => (i % 25 === 12 ? "rsa-3072" : "rsa-2048");
/** EC P-256 with a P-384 every 3rd and an RSA-2048 every 10th (embedded CA). */
export const EC_MIX: KeyPlan = (i) => (i % 10 === 5 ? "rsa-2048" : i % 3 === 1 ? "ec-p384" : "ec-p256");

/**
 * `n` devices, key types from `keys`; DNS names on all, IPv4 on every 3rd,
 * IPv6 on every 7th, e-mail on every 4th, O/OU/C on every other.
 */
export function makeDevices(n: number, prefix: string, keys: KeyPlan = RSA_MIX): DeviceRow[] {
  return Array.from({ length: n }, (_, i) => {
    const name = `${prefix}-${String(i).padStart(3, "0")}`;
    const key = keys(i);
    return {
      name,
      cn: `${name}.devices.example`,
      dns: [`${name}.devices.example`, ...(i % 2 ? [`alt-${i}.example.org`] : [])],
      ip: [...(i % 3 === 0 ? [`10.${(i >> 8) & 255}.${i & 255}.1`] : []), ...(i % 7 === 0 ? [`2001:db8::${(i + 1).toString(16)}`] : [])],
      email: i % 4 === 0 ? [`ops+${i}@example.com`] : [],
      ...(i % 2 === 0 ? { o: "Example, Inc.", ou: "Field Devices", c: "DE" } : {}),
      key,
    };
  });
}

const quote = (v: string): string => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/** The CSV text of `rows` (header included). */
export function devicesCsv(rows: readonly DeviceRow[]): string {
  const lines = rows.map((r) => [r.name, r.cn, r.dns.join(";"), r.ip.join(";"), r.email.join(";"), r.o ?? "", r.ou ?? "", r.c ?? "", r.key ?? ""].map(quote).join(","));
  return ["name,cn,dns,ip,email,o,ou,c,key", ...lines].join("\r\n") + "\r\n";
}

/** A config, Redis, micromdm upstream and a work dir for batch runs. */
export interface BatchEnv {
  dir: string;
  configFile: string;
  passFile: string;
  keyPrefix: string;
  ca: ScepServer;
  redis: RedisHandle;
  records: RecordReader;
  /** Writes `rows` as DIR/NAME.csv and returns its path. */
  csv(name: string, rows: readonly DeviceRow[]): string;
  /** `scepgate batch ARGS --config F --pass-file P` to completion. */
  batch(args: readonly string[], o?: { timeoutMs?: number; env?: Record<string, string> }): Promise<RunResult>;
  /** The same, as a long-running process (to kill it). */
  startBatch(args: readonly string[]): ManagedProcess;
  /** Certificates in micromdm's depot whose subject CN starts with `prefix`. */
  depot(prefix: string): Promise<IssuedCert[]>;
  close(): Promise<void>;
}

export interface BatchEnvOptions {
  /** The upstream URL scepgate is configured with (default: micromdm's own). */
  upstreamUrl?: (ca: ScepServer) => string | Promise<string>;
  /** No upstream: the embedded development CA issues inline. */
  embedded?: boolean;
  ca?: ScepServerOptions;
  /** `upstream.challenge` of the profile. */
  upstreamChallenge?: string;
}

export async function batchEnv(o: BatchEnvOptions = {}): Promise<BatchEnv> {
  const dir = makeTempDir("batch-it-");
  const [redis, ca] = await Promise.all([startRedis(), startScepServer({ ...o.ca })]);
  const keyPrefix = uniquePrefix("bt");
  const configFile = join(dir, "scepgate.yaml");
  const upstream: Record<string, unknown> = { url: o.upstreamUrl ? await o.upstreamUrl(ca) : ca.url, maxConcurrent: 1, timeout: "10s" };
  if (o.upstreamChallenge !== undefined) upstream["challenge"] = o.upstreamChallenge;
  const profile = o.embedded ? {} : { upstream };
  const config = { dataDir: join(dir, "data"), redis: { url: redis.url, keyPrefix }, log: { level: "warn" }, profiles: { default: profile } };
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  const passFile = join(dir, "pass");
  writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
  const records = recordReader(redis.url, keyPrefix);
  const argv = (args: readonly string[]): string[] => [SCEPGATE_BIN, "batch", ...args, "--config", configFile, "--pass-file", passFile];
  return {
    dir, configFile, passFile, keyPrefix, ca, redis, records,
    csv: (name, rows) => {
      const file = join(dir, `${name}.csv`);
      writeFileSync(file, devicesCsv(rows));
      return file;
    },
    batch: (args, ro = {}) => run(process.execPath, argv(args), { cwd: dir, env: childEnv(ro.env), timeoutMs: ro.timeoutMs ?? 240_000 }),
    startBatch: (args) => startProcess(process.execPath, argv(args), { cwd: dir, env: childEnv(), name: "scepgate-batch" }),
    depot: async (prefix) => (await ca.issued()).filter((c) => c.subject.includes(`CN=${prefix}`)),
    close: async () => {
      await records.close();
      await Promise.all([ca.stop(), redis.stop()]);
      await removeTempDir(dir);
    },
  };
}

/** The JSON lines a batch run printed on stdout (stdout is a pipe). */
export function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** An IP address as openssl and node print it, normalised: IPv6 as eight 4-digit lower-case groups. */
export function normalizeIp(ip: string): string {
  if (!ip.includes(":")) return ip;
  const [head = "", tail = ""] = ip.toLowerCase().split("::");
  const h = head ? head.split(":") : [];
  const t = ip.includes("::") && tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t] : h;
  return groups.map((g) => g.padStart(4, "0")).join(":");
}

/** The SANs of `certFile` as `openssl x509 -ext subjectAltName` prints them, normalised and sorted. */
export async function opensslSans(certFile: string): Promise<string[]> {
  const r = await run("openssl", ["x509", "-in", certFile, "-noout", "-ext", "subjectAltName"], { timeoutMs: 10_000 });
  expect(r.code, r.stderr).toBe(0);
  const body = r.stdout.split("\n").slice(1).join(",");
  return body
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => (s.startsWith("IP Address:") ? `IP:${normalizeIp(s.slice(11))}` : s))
    .sort();
}

/** The SANs a row asked for, in the same form as {@link opensslSans}. */
export function expectedSans(r: DeviceRow): string[] {
  return [...r.dns.map((d) => `DNS:${d}`), ...r.ip.map((i) => `IP:${normalizeIp(i)}`), ...r.email.map((e) => `email:${e}`)].sort();
}

/**
 * Opens DIR/NAME.p12 with `openssl pkcs12 -nodes` and checks: one private
 * key, the certificate matching it equals NAME.crt.pem's first certificate.
 * Returns that certificate and the key PEM.
 */
export async function openP12(outDir: string, name: string, extra: readonly string[] = []): Promise<{ cert: X509Certificate; keyPem: string; output: string }> {
  const r = await run("openssl", ["pkcs12", "-in", join(outDir, `${name}.p12`), "-passin", `pass:${PASSPHRASE}`, "-nodes", ...extra], { timeoutMs: 20_000 });
  expect(r.code, `${name}.p12: ${r.stderr}`).toBe(0);
  const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(r.stdout)?.[0];
  expect(keyPem, `${name}.p12 holds a private key`).toBeDefined();
  const pub = createPublicKey(createPrivateKey(keyPem!));
  const certs = [...r.stdout.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => new X509Certificate(m[0]));
  const leaf = certs.find((c) => c.publicKey.equals(pub));
  expect(leaf, `${name}.p12: a certificate for its key`).toBeDefined();
  const crtPem = readFileSync(join(outDir, `${name}.crt.pem`), "utf8");
  expect(new X509Certificate(crtPem).raw.equals(leaf!.raw), `${name}.crt.pem starts with the p12's certificate`).toBe(true);
  return { cert: leaf!, keyPem: keyPem!, output: r.stdout };
}

/** `openssl verify -CAfile ca.pem` over many certificate files at once; returns the files that did not verify. */
export async function verifyAll(caPemFile: string, certFiles: readonly string[]): Promise<string[]> {
  const r = await run("openssl", ["verify", "-CAfile", caPemFile, ...certFiles], { timeoutMs: 60_000 });
  const ok = new Set(r.stdout.split("\n").filter((l) => l.endsWith(": OK")).map((l) => l.slice(0, -4)));
  return certFiles.filter((f) => !ok.has(f));
}

/** SHA-256 of a file, hex. */
export function fileHash(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/** Polls `cond` every 50 ms; fails after `timeoutMs`, or at once when `proc` has exited. */
export async function until(cond: () => Promise<boolean> | boolean, timeoutMs: number, proc?: ManagedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (proc && !proc.isRunning()) throw new Error(`${proc.name} exited early:\n${proc.output().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${proc ? `; output:\n${proc.output().slice(-3000)}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs `fn` over `items`, `n` at a time. */
export async function inParallel<T, R>(items: readonly T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}

/**
 * Helpers of the pipeline tests: scepgate in front of a real micromdm
 * scepserver, operated with its real CLI (`requests`, `ra init`), micromdm's
 * depot as the count of what was really issued, batches of direct devices
 * (device.ts) and a quick look at record states for timing a kill.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, X509Certificate } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Redis } from "ioredis";
import { expect } from "vitest";
import {
  basicConstraints, buildName, encodeKeyUsage, issueCertificate, Oid, parseCertificate, pemCertificates, privateKeyPem, spkiOf, toPem,
} from "../../../src/crypto/index.js";
import type { AuditEvent } from "../../../src/ra/ports.js";
import { StoreKeys } from "../../../src/store/keys.js";
import { randomSuffix } from "../../harness/clients.js";
import { normalizeSerial, sameKey, verifyCert } from "../../harness/openssl.js";
import { run, sleep, type RunResult } from "../../harness/process.js";
import { Device } from "./device.js";
import { childEnv, SCEPGATE_BIN } from "../../harness/scepgate.js";
import { scepgateCli, tail, type ConfigHolder } from "../../harness/scepgate-cli.js";
import type { ScepServer } from "../../harness/upstream-ca.js";

export { Device, pollUntilDone, type DeviceOptions } from "./device.js";

const DAY = 86_400_000;

/** `PREFIX-<12 hex>`: micromdm keeps every DN it issued, so every test uses fresh ones. */
export function uniqueCn(prefix: string): string {
  return `${prefix}-${randomSuffix()}`;
}

/** One line for the closing note, tagged so it is easy to grep out of the vitest output. */
export function report(line: string): void {
  console.log(`[pipeline] ${line}`);
}

// ---------------------------------------------------------------- the CLI

/** Runs a scepgate command against `gate`'s config; fails the test (with stderr) unless it exits 0. */
export async function cliOk(gate: ConfigHolder, ...args: string[]): Promise<RunResult> {
  const r = await scepgateCli(gate, args);
  expect(r.code, `scepgate ${args.join(" ")} → exit ${r.code}\n${r.stderr}`).toBe(0);
  return r;
}

/** A request as `scepgate requests list --json` prints it (the fields the tests read). */
export interface Listed {
  id: string;
  profile: string;
  transactionId: string;
  state: string;
  subject: string;
  commonName?: string;
  decidedBy?: string;
  reason?: string;
  failInfo?: string;
  serial?: string;
  upstream?: { transactionId: string; attempts: number; lastError?: string; nextPollAt?: string };
}

/** `scepgate requests list --json [filter…]`. */
export async function listRequests(gate: ConfigHolder, ...filter: string[]): Promise<Listed[]> {
  const r = await cliOk(gate, "requests", "list", "--json", "--limit", "1000", ...filter);
  return JSON.parse(r.stdout) as Listed[];
}

/** `scepgate requests show ID --json`: the request and its audit history. */
export async function showRequest(gate: ConfigHolder, id: string): Promise<{ request: Listed; history: AuditEvent[] }> {
  const r = await cliOk(gate, "requests", "show", id, "--json");
  return JSON.parse(r.stdout) as { request: Listed; history: AuditEvent[] };
}

/** `scepgate requests approve ID`; resolves when the command has exited, with that moment. */
export async function approveWithCli(gate: ConfigHolder, id: string): Promise<{ exitedAt: number; stdout: string }> {
  const r = await cliOk(gate, "requests", "approve", id, "--as", "pipeline-test");
  return { exitedAt: Date.now(), stdout: r.stdout };
}

/**
 * `scepgate ra init` with a configuration file of its own written into `dir`
 * (the same `dataDir` the instance will use, so its first start finds the
 * RA certificate and does not enroll again).
 */
export async function raInit(dir: string, config: Record<string, unknown>, args: readonly string[]): Promise<RunResult> {
  const file = join(dir, "ra-init.yaml");
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return run(process.execPath, [SCEPGATE_BIN, "ra", "init", "--config", file, ...args], { cwd: dir, env: childEnv(), timeoutMs: 120_000 });
}

// ---------------------------------------------------------------- waiting

/** Polls `probe` every `intervalMs` until it returns something other than undefined; fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------- micromdm's view

/** The CN of a depot subject such as `/O=lab/CN=dev-1` or `/C=US/O=lab/OU=MDM/CN=dev-1`. */
export function depotCn(subject: string): string | undefined {
  return /\/CN=([^/]+)/.exec(subject)?.[1];
}

/** Serials micromdm issued per CN (depot/index.txt), for the CNs asked. */
export async function depotSerials(server: ScepServer, cns: Iterable<string>): Promise<Map<string, string[]>> {
  const wanted = new Set(cns);
  const out = new Map<string, string[]>([...wanted].map((cn) => [cn, []]));
  for (const c of await server.issued()) {
    const cn = depotCn(c.subject);
    if (cn !== undefined && wanted.has(cn)) out.get(cn)!.push(c.serial);
  }
  return out;
}

/**
 * The certificate is micromdm's (verifies with openssl against its CA
 * certificate alone), carries `keyPem`'s key and `cn`, and is in its depot.
 */
export async function expectFromMicromdm(certPem: string | undefined, keyPem: string, cn: string, server: ScepServer, context = ""): Promise<void> {
  expect(certPem, `no certificate for ${cn}\n${tail(context)}`).toBeDefined();
  const pem = certPem!;
  expect(sameKey(pem, keyPem), `${cn}: the certificate does not carry the device's key`).toBe(true);
  const cert = new X509Certificate(pem);
  expect(cert.subject).toContain(`CN=${cn}`);
  const verified = await verifyCert(pem, { roots: server.caCertPem });
  expect(verified.ok, `${cn}: openssl verify against micromdm's CA: ${verified.output}`).toBe(true);
  const depot = await depotSerials(server, [cn]);
  expect(depot.get(cn), `${cn}: micromdm's depot`).toContain(normalizeSerial(cert.serialNumber));
}

/**
 * An RA certificate with keyUsage digitalSignature + keyEncipherment issued
 * by micromdm's CA key, written as `DIR/ra.crt` + `DIR/ra.key` for a
 * profile's `ra` — what a CA's operator hands out for an RA.
 *
 * NOTE(micromdm): the certificate scepserver issues over SCEP (and so the RA
 * certificate scepgate enrolls from it by itself) has keyUsage
 * digitalSignature only. A scepgate that forwards to such an RA picks its
 * recipient by keyUsage (like iOS and Windows) and encrypts to the CA
 * certificate instead, which the RA cannot decrypt: a scepgate that is
 * another scepgate's upstream needs an RA certificate with keyEncipherment.
 */
export async function caIssuedRaFiles(server: ScepServer, dir: string, cn: string): Promise<{ cert: string; key: string }> {
  await mkdir(dir, { recursive: true });
  const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const caCert = parseCertificate(pemCertificates(server.caCertPem)[0]!);
  const der = issueCertificate({
    subject: buildName(`CN=${cn}, O=scepgate`),
    spki: spkiOf(key),
    serial: Uint8Array.of(0x7f, ...randomBytes(8)),
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    issuerCert: caCert,
    issuerKey: createPrivateKey(server.caKeyPem),
    extensions: [
      { oid: Oid.basicConstraints, critical: true, value: basicConstraints(false) },
      { oid: Oid.keyUsage, critical: true, value: encodeKeyUsage({ digitalSignature: true, keyEncipherment: true }) },
    ],
  });
  const files = { cert: join(dir, "ra.crt"), key: join(dir, "ra.key") };
  await writeFile(files.cert, toPem(der));
  await writeFile(files.key, privateKeyPem(key), { mode: 0o600 });
  return files;
}

// ---------------------------------------------------------------- batches (crash and topology tests)

/** `n` direct devices at `url`, each with a PKCSReq sent; returns them with the status each got. */
export async function enrollBatch(url: string, n: number, prefix: string): Promise<Array<{ device: Device; status: string }>> {
  const devices = await Promise.all(Array.from({ length: n }, (_, i) => Device.create(url, uniqueCn(`${prefix}-${i}`))));
  return Promise.all(devices.map(async (device) => ({ device, status: (await device.enroll()).status })));
}

/** Approves requests through the admin API (bulk: the CLI's process start would dominate), all at once. */
export async function approveViaAdmin(baseUrl: string, token: string, ids: readonly string[]): Promise<void> {
  await Promise.all(
    ids.map(async (id) => {
      const res = await fetch(`${baseUrl}/admin/requests/${id}/approve`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ actor: "pipeline-test" }),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`approve ${id}: HTTP ${res.status} ${text}`);
    }),
  );
}

/** A quick look at the state of many records (one pipelined HGET each), for timing a kill. */
export interface StateProbe {
  /** The state of each record id, in order ("" when missing). */
  states(ids: readonly string[]): Promise<string[]>;
  close(): Promise<void>;
}

export function stateProbe(redisUrl: string, prefix: string): StateProbe {
  const redis = new Redis(redisUrl, { lazyConnect: true });
  redis.on("error", () => undefined);
  const keys = new StoreKeys(prefix);
  return {
    states: async (ids) => {
      const pipe = redis.pipeline();
      for (const id of ids) pipe.hget(keys.record(id), "state");
      const replies = (await pipe.exec()) ?? [];
      return replies.map(([err, value]) => (err || typeof value !== "string" ? "" : (JSON.parse(value) as string)));
    },
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * Spins (no sleep: a forward to micromdm takes milliseconds) until at least
 * `issuedAtLeast` of `ids` are issued while another is being forwarded: the
 * moment to kill a worker mid-forward. False when every one got issued before
 * such a moment was seen; throws after `timeoutMs`.
 */
export async function forwardingMoment(probe: StateProbe, ids: readonly string[], issuedAtLeast: number, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await probe.states(ids);
    const issued = now.filter((st) => st === "issued").length;
    if (issued >= issuedAtLeast && now.includes("forwarding")) return true;
    if (issued === ids.length) return false;
    if (Date.now() > deadline) throw new Error(`no moment to kill within ${timeoutMs} ms: ${now.join(",")}`);
  }
}

/**
 * Upstream CA rollover (issue 14, part 3) in the UpstreamDirectory, against a
 * tiny local HTTP server: GetNextCACert announced under the current CA is
 * verified, remembered, trusted from its notBefore (a refresh is due then),
 * and accepted under the old pin once GetCACert serves it, also by a new
 * directory with the same memory (a restart); an answer not signed by the
 * current CA is ignored, and the pin then holds.
 */
import { createServer, type Server } from "node:http";
import { mkdtemp, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  basicConstraints, buildName, degenerateSignedData, generateKey, inThreadKeyOps, issueCertificate, Oid, parseCertificate, signDataWith, spkiOf,
} from "../../../src/crypto/index.js";
import { rolloverFile } from "../../../src/app/rollover-file.js";
import { UpstreamError } from "../../../src/ra/errors.js";
import type { Clock, Logger } from "../../../src/ra/ports.js";
import { UpstreamDirectory, type RolloverMemory } from "../../../src/upstream/upstream-directory.js";
import { UpstreamHttp } from "../../../src/upstream/upstream-http.js";
import { makeIdentity, type TestIdentity } from "../../support/pki.js";

interface Answer {
  status: number;
  type: string;
  body: Uint8Array | string;
}

const DAY = 86_400_000;
const NOW = Date.parse("2030-01-01T00:00:00Z");

/** A self-signed CA valid from `notBefore`. */
async function rootFrom(dn: string, notBefore: number): Promise<TestIdentity> {
  const key = await generateKey("rsa-2048");
  const der = issueCertificate({
    subject: buildName(dn),
    spki: spkiOf(key),
    serial: randomBytes(12),
    notBefore: new Date(notBefore),
    notAfter: new Date(notBefore + 3650 * DAY),
    issuerKey: key,
    extensions: [{ oid: Oid.basicConstraints, critical: true, value: basicConstraints(true) }],
  });
  const cert = parseCertificate(der);
  return { cert, key, decryption: { cert, key, rejectionSecret: new Uint8Array(32) } };
}

/** GetNextCACert's answer: the certs-only bundle of `next`, signed by `signer`. */
function nextCaCertAnswer(next: TestIdentity, signer: TestIdentity): Promise<Uint8Array> {
  return signDataWith({
    contentType: Oid.data,
    content: degenerateSignedData([next.cert.der]),
    certificates: [signer.cert.der],
    signerCert: signer.cert,
    signerKey: signer.key,
    digest: "sha256",
    attributes: [],
    signingTime: new Date(NOW),
  }, inThreadKeyOps);
}

function memory(): RolloverMemory & { saved: Uint8Array[][] } {
  const saved: Uint8Array[][] = [];
  return { saved, load: async () => saved.at(-1) ?? [], save: async (certs) => void saved.push([...certs]) };
}

describe("UpstreamDirectory: CA rollover through GetNextCACert", () => {
  let server: Server;
  let url: string;
  let caCert: Answer;
  let nextCa: Answer;
  let now: number;
  let logs: string[];
  let oldRoot: TestIdentity;
  let newRoot: TestIdentity;
  let stranger: TestIdentity;

  const clock: Clock = { now: () => new Date(now) };
  const logger: Logger = { debug: () => undefined, info: (_o, msg) => void logs.push(msg ?? ""), error: () => undefined, warn: (_o, msg) => void logs.push(msg ?? "") };
  const directory = (o: { caFingerprint?: string; rollover?: RolloverMemory; capsRefreshMs?: number } = {}): UpstreamDirectory =>
    new UpstreamDirectory({ http: new UpstreamHttp(url, 5_000), capsRefreshMs: 3_600_000, clock, logger, ...o });
  const has = (certs: readonly { der: Uint8Array }[], id: TestIdentity): boolean => certs.some((c) => Buffer.compare(c.der, id.cert.der) === 0);

  beforeAll(async () => {
    oldRoot = await rootFrom("CN=Upstream CA, O=gen1", NOW - 365 * DAY);
    newRoot = await rootFrom("CN=Upstream CA, O=gen2", NOW + 7 * DAY);
    stranger = await makeIdentity("CN=Upstream CA, O=gen1", "rsa-2048", { ca: true });
    server = createServer((req, res) => {
      const op = new URL(req.url ?? "/", "http://x").searchParams.get("operation") ?? "";
      const a: Answer = op === "GetCACaps" ? { status: 200, type: "text/plain", body: "AES\nSHA-256\nGetNextCACert\n" } : op === "GetNextCACert" ? nextCa : caCert;
      res.writeHead(a.status, { "content-type": a.type });
      res.end(a.body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const addr = server.address();
    url = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/scep`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(async () => {
    caCert = { status: 200, type: "application/x-x509-ca-cert", body: oldRoot.cert.der };
    nextCa = { status: 200, type: "application/x-x509-next-ca-cert", body: await nextCaCertAnswer(newRoot, oldRoot) };
    now = NOW;
    logs = [];
  });

  it("ok/announced: remembered, not trusted before its notBefore, trusted from it (a refresh is due then)", async () => {
    const mem = memory();
    const dir = directory({ rollover: mem, capsRefreshMs: 30 * DAY });
    const before = await dir.get();
    expect(before.next.map((c) => c.der)).toEqual([newRoot.cert.der]);
    expect(has(before.trustedSigners, newRoot)).toBe(false);
    expect(mem.saved).toEqual([[newRoot.cert.der]]);
    expect(logs).toContain("upstream announces its next CA certificate (GetNextCACert)");

    now = NOW + 7 * DAY - 1;
    expect(await dir.get()).toBe(before);
    now = NOW + 7 * DAY;
    const after = await dir.get();
    expect(after).not.toBe(before);
    expect(has(after.trustedSigners, newRoot)).toBe(true);
    expect(after.caPath.map((c) => c.der)).toEqual([oldRoot.cert.der]);
    expect(mem.saved).toHaveLength(1);
  });

  it("ok/pinned to the old CA: once GetCACert serves the announced CA it is accepted, also after a restart with the same memory", async () => {
    const pin = oldRoot.cert.fingerprint256();
    const mem = memory();
    const dir = directory({ caFingerprint: pin, rollover: mem });
    await dir.get();

    caCert = { status: 200, type: "application/x-x509-ca-cert", body: newRoot.cert.der };
    nextCa = { status: 404, type: "text/plain", body: "none" };
    now = NOW + 8 * DAY;
    const rolled = await dir.get();
    expect(rolled.caPath.map((c) => c.der)).toEqual([newRoot.cert.der]);
    expect(rolled.next).toEqual([]);
    expect(logs).toContain("upstream CA rolled over to the certificate it announced by GetNextCACert; update upstream.caFingerprint when convenient");

    const restarted = await directory({ caFingerprint: pin, rollover: mem }).get();
    expect(restarted.caPath.map((c) => c.der)).toEqual([newRoot.cert.der]);

    const forgetful = directory({ caFingerprint: pin, rollover: memory() }).get();
    await expect(forgetful).rejects.toThrow(UpstreamError);
    await expect(forgetful).rejects.toThrow(/upstream CA fingerprint mismatch/);
  });

  it("fail/an announcement not signed by the current CA is ignored, and the pin then holds", async () => {
    nextCa = { status: 200, type: "application/x-x509-next-ca-cert", body: await nextCaCertAnswer(newRoot, stranger) };
    const pin = oldRoot.cert.fingerprint256();
    const mem = memory();
    const dir = directory({ caFingerprint: pin, rollover: mem });
    const info = await dir.get();
    expect(info.next).toEqual([]);
    expect(mem.saved).toEqual([]);
    expect(logs).toContain("upstream GetNextCACert failed; keeping the previous answer");

    caCert = { status: 200, type: "application/x-x509-ca-cert", body: newRoot.cert.der };
    now = NOW + 8 * DAY;
    dir.invalidate();
    const refreshed = await dir.get(); // a failed refresh keeps the previous (old CA) view
    expect(refreshed.caPath.map((c) => c.der)).toEqual([oldRoot.cert.der]);
    await expect(directory({ caFingerprint: pin, rollover: mem }).get()).rejects.toThrow(/fingerprint mismatch/);
  });

  it("ok/no next CA (404) is an empty list, and nothing is remembered", async () => {
    nextCa = { status: 404, type: "text/plain", body: "no next CA" };
    const mem = memory();
    expect((await directory({ rollover: mem }).get()).next).toEqual([]);
    expect(mem.saved).toEqual([]);
  });
});

describe("rolloverFile", () => {
  it("ok/keeps certificates as a PEM file (0644) and reads them back; nothing there is an empty list", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "scepgate-rollover-"));
    const file = path.join(dir, "profiles", "default", "upstream-next-ca.pem");
    const mem = rolloverFile(file);
    expect(await mem.load()).toEqual([]);
    const a = await makeIdentity("CN=A", "rsa-2048", { ca: true });
    const b = await makeIdentity("CN=B", "rsa-2048", { ca: true });
    await mem.save([a.cert.der, b.cert.der]);
    expect((await mem.load()).map((d) => Buffer.from(d))).toEqual([Buffer.from(a.cert.der), Buffer.from(b.cert.der)]);
    expect((await stat(file)).mode & 0o777).toBe(0o644);
  });
});

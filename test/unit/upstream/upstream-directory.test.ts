/**
 * The GetCACaps/GetCACert cache, against a tiny local HTTP server whose
 * answers the test changes: shared in-flight fetches, lazy refresh, old
 * values kept when a refresh fails, the same caChain array while unchanged,
 * the pin, and the GetCACert answer forms.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { degenerateSignedData, toPem } from "../../../src/crypto/index.js";
import { UpstreamError } from "../../../src/ra/errors.js";
import type { Clock, Logger } from "../../../src/ra/ports.js";
import { UpstreamDirectory } from "../../../src/upstream/upstream-directory.js";
import { UpstreamHttp } from "../../../src/upstream/upstream-http.js";
import { makeIdentity, type TestIdentity } from "../../support/pki.js";

interface Answer {
  status: number;
  type: string;
  body: Uint8Array | string;
}

describe("UpstreamDirectory", () => {
  let server: Server;
  let url: string;
  let caps: Answer;
  let caCert: Answer;
  let hits: string[];
  let now: number;
  let warnings: string[];
  let root: TestIdentity;
  let ra: TestIdentity;
  let otherRoot: TestIdentity;

  const clock: Clock = { now: () => new Date(now) };
  const logger: Logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (_o, msg) => void warnings.push(msg ?? "") };
  const directory = (o: { caFingerprint?: string } = {}): UpstreamDirectory =>
    new UpstreamDirectory({ http: new UpstreamHttp(url, 5_000), capsRefreshMs: 60_000, clock, logger, ...o });

  beforeAll(async () => {
    root = await makeIdentity("CN=Upstream CA", "rsa-2048", { ca: true });
    ra = await makeIdentity("CN=Upstream RA", "rsa-2048", { issuer: root, keyUsage: { digitalSignature: true, keyEncipherment: true } });
    otherRoot = await makeIdentity("CN=Upstream CA", "rsa-2048", { ca: true });
    server = createServer((req, res) => {
      const op = new URL(req.url ?? "/", "http://x").searchParams.get("operation") ?? "";
      hits.push(op);
      const a = op === "GetCACaps" ? caps : caCert;
      // Answer a little later, so concurrent callers overlap.
      setTimeout(() => {
        res.writeHead(a.status, { "content-type": a.type });
        res.end(a.body);
      }, 20);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const addr = server.address();
    url = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/scep`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    caps = { status: 200, type: "text/plain", body: "AES\nSHA-256\nPOSTPKIOperation\n" };
    caCert = { status: 200, type: "application/x-x509-ca-cert", body: root.cert.der };
    hits = [];
    now = Date.parse("2030-01-01T00:00:00Z");
    warnings = [];
  });

  it("ok/concurrent callers share one fetch; the cache holds for capsRefreshMs; caChain keeps its identity", async () => {
    const dir = directory();
    const [a, b, c] = await Promise.all([dir.get(), dir.get(), dir.get()]);
    expect(hits).toEqual(["GetCACaps", "GetCACert"]);
    expect(b).toBe(a);
    expect(c).toBe(a);
    now += 59_000;
    expect(await dir.get()).toBe(a);
    expect(hits).toHaveLength(2);
    now += 2_000;
    const refreshed = await dir.get();
    expect(hits).toHaveLength(4);
    expect(refreshed.caChain).toBe(a.caChain);
  });

  it("ok/a failed refresh keeps the old values, warns, and tries again after a minute at most", async () => {
    const dir = directory();
    const first = await dir.get();
    now += 61_000;
    caCert = { status: 503, type: "text/plain", body: "maintenance" };
    expect(await dir.get()).toBe(first);
    expect(warnings.some((w) => w.includes("refresh failed"))).toBe(true);
    const count = hits.length;
    now += 30_000;
    await dir.get();
    expect(hits).toHaveLength(count);
  });

  it("ok/caChain changes identity only when the CA path changes", async () => {
    const dir = directory();
    const first = await dir.get();
    caCert = { status: 200, type: "application/x-x509-ca-ra-cert", body: degenerateSignedData([ra.cert.der, root.cert.der]) };
    dir.invalidate();
    const second = await dir.get();
    expect(second.recipient.subjectText()).toBe("CN=Upstream RA");
    expect(second.caChain).toBe(first.caChain);
    caCert = { status: 200, type: "application/x-x509-ca-cert", body: otherRoot.cert.der };
    dir.invalidate();
    const third = await dir.get();
    expect(third.caChain).not.toBe(first.caChain);
    expect(third.caChain.map((d) => Buffer.from(d).toString("hex"))).toEqual([Buffer.from(otherRoot.cert.der).toString("hex")]);
  });

  it("ok/GetCACert as PEM is understood too", async () => {
    caCert = { status: 200, type: "application/x-pem-file", body: toPem(ra.cert.der) + toPem(root.cert.der) };
    const info = await directory().get();
    expect(info.ra.map((c) => c.subjectText())).toEqual(["CN=Upstream RA"]);
  });

  it("ok/GetCACaps refused with 404 means no capabilities: DES, SHA-1, GET", async () => {
    caps = { status: 404, type: "text/plain", body: "no such operation" };
    const info = await directory().get();
    expect(info.algorithms).toEqual({ cipher: "des", digest: "sha1", method: "GET" });
  });

  it("fail/GetCACaps 500 on the first fetch is an http error", async () => {
    caps = { status: 500, type: "text/plain", body: "boom" };
    await expect(directory().get()).rejects.toMatchObject({ kind: "http", status: 500 });
  });

  it("fail/GetCACert garbage is a protocol error", async () => {
    caCert = { status: 200, type: "application/x-x509-ca-cert", body: "<html>hello</html>" };
    await expect(directory().get()).rejects.toMatchObject({ kind: "protocol" });
  });

  it("fail/a pin mismatch is a protocol error naming both; on a refresh the pinned values stay", async () => {
    const pinned = directory({ caFingerprint: root.cert.fingerprint256() });
    const first = await pinned.get();
    caCert = { status: 200, type: "application/x-x509-ca-cert", body: otherRoot.cert.der };
    pinned.invalidate();
    expect(await pinned.get()).toBe(first);
    const err = await directory({ caFingerprint: root.cert.fingerprint256() }).get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ kind: "protocol" });
    expect((err as Error).message).toContain(root.cert.fingerprint256());
    expect((err as Error).message).toContain(otherRoot.cert.fingerprint256());
  });
});

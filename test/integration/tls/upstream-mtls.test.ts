/**
 * `upstream.tls` (issue 11, part 5): an upstream CA behind mutual TLS. A
 * TLS-terminating proxy made here (node:https, requestCert +
 * rejectUnauthorized, trusting only the client CA) stands in front of
 * micromdm scepserver. A scepgate with the right client certificate enrolls
 * its own RA certificate and a device's request through it; a scepgate with
 * a client certificate from another CA is refused in the TLS handshake, says
 * so in the request's upstream error, and keeps the request (PENDING to the
 * device, nothing reaches the CA).
 */
import type { TLSSocket } from "node:tls";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PkiStatus } from "../../../src/protocol/index.js";
import { enrollPki } from "../../harness/clients/pki.js";
import { startRedis, type RedisHandle } from "../../harness/redis.js";
import { startScepgate, type Scepgate } from "../../harness/scepgate.js";
import { makeTempDir } from "../../harness/tmp.js";
import { makeTlsPki, type TlsIdentityFiles, type TlsPki } from "../../harness/tls-pki.js";
import { startScepServer, type ScepServer } from "../../harness/upstream-ca.js";
import { Device, expectFromMicromdm, uniqueCn, waitFor } from "../pipeline/pipeline-support.js";
import { recordReader, type RecordReader } from "../support/redis-records.js";

/** The mTLS front of the CA: which client certificates got through, and how many handshakes it refused. */
interface MtlsProxy {
  url: string;
  /** Subject CN of the client certificate of each request passed on. */
  passed: string[];
  refusedHandshakes: number;
  close(): Promise<void>;
}

async function startMtlsProxy(server: TlsIdentityFiles, clientCa: string, upstreamUrl: string): Promise<MtlsProxy> {
  const passed: string[] = [];
  let refusedHandshakes = 0;
  const upstream = new URL(upstreamUrl);
  const proxy: Server = createServer(
    { cert: await readFile(server.cert), key: await readFile(server.key), ca: await readFile(clientCa), requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      passed.push(peer.subject.CN as string);
      const parts: Buffer[] = [];
      req.on("data", (d: Buffer) => parts.push(d));
      req.on("end", () => {
        const target = new URL(req.url ?? "/", upstream);
        const body = parts.length > 0 ? Buffer.concat(parts) : undefined;
        fetch(target, { method: req.method, body, headers: { "content-type": req.headers["content-type"] ?? "application/octet-stream" } })
          .then(async (answer) => {
            res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/octet-stream" });
            res.end(Buffer.from(await answer.arrayBuffer()));
          })
          .catch(() => res.writeHead(502).end());
      });
    },
  );
  proxy.on("tlsClientError", () => refusedHandshakes++);
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/scep`,
    passed,
    get refusedHandshakes() {
      return refusedHandshakes;
    },
    close: () => new Promise<void>((resolve) => {
      proxy.closeAllConnections();
      proxy.close(() => resolve());
    }),
  };
}

describe("upstream CA behind mutual TLS (upstream.tls)", () => {
  let dir: string;
  let redis: RedisHandle;
  let ca: ScepServer;
  let tls: TlsPki;
  let proxy: MtlsProxy;
  let good: Scepgate;
  let records: RecordReader;

  beforeAll(async () => {
    dir = makeTempDir("mtls-");
    [redis, ca, tls] = await Promise.all([startRedis(), startScepServer(), makeTlsPki(dir)]);
    proxy = await startMtlsProxy(await tls.server("ca-front"), tls.caCert, ca.url);
    const client = await tls.client("scepgate-ra-client");
    // No `ra`: scepgate enrolls its RA certificate from the CA at start, through the mTLS front.
    good = await startScepgate({
      redis,
      config: { profiles: { default: { approval: "auto", upstream: { url: proxy.url, maxConcurrent: 1, tls: { ca: tls.caCert, cert: client.cert, key: client.key } } } } },
    });
    records = recordReader(redis.url, good.keyPrefix);
  }, 120_000);

  afterAll(async () => {
    await records?.close();
    await good?.stop();
    await proxy?.close();
    await Promise.all([ca?.stop(), redis?.stop()]);
  });

  it("ok/the RA certificate and a device's certificate come from the CA, every request with the RA's client certificate", async () => {
    expect(good.output()).toContain("enrolling the RA certificate from the upstream CA");
    const cn = uniqueCn("mtls-pki");
    const r = await enrollPki(good.url, { cn, cipher: "aes", digest: "sha256", interval: 2, maxPollTime: 60 });
    expect(r.ok, r.log).toBe(true);
    await expectFromMicromdm(r.certPem, r.keyPem, cn, ca, r.log);
    expect(proxy.passed.length).toBeGreaterThan(0);
    expect(new Set(proxy.passed)).toEqual(new Set(["scepgate-ra-client"]));
  }, 120_000);

  it("fail/a client certificate from another CA is refused in the handshake: the request stays, PENDING, with the TLS error recorded", async () => {
    const other = await makeTlsPki(join(dir), "other-ca");
    const wrong = await other.client("impostor");
    const passedBefore = proxy.passed.length;
    const refusedBefore = proxy.refusedHandshakes;
    // The RA identity the good instance enrolled, so that this one starts without talking to the CA.
    const ra = { cert: join(good.dataDir, "profiles", "default", "ra.crt"), key: join(good.dataDir, "profiles", "default", "ra.key") };
    const bad = await startScepgate({
      redis,
      config: { profiles: { default: { ra, approval: "auto", syncWaitMs: 0, upstream: { url: proxy.url, tls: { ca: tls.caCert, cert: wrong.cert, key: wrong.key } } } } },
    });
    const badRecords = recordReader(redis.url, bad.keyPrefix);
    try {
      // Without the CA chain it cannot fetch, GetCACert is 503; the device takes the (shared) RA certificate from the good instance.
      const caCert = await fetch(`${bad.url}?operation=GetCACert`);
      expect(caCert.status).toBe(503);
      expect(await caCert.text()).toBe("the upstream CA is unavailable; try again later");
      const device = await Device.create(bad.url, uniqueCn("mtls-refused"), { caCertFrom: good.url });
      expect((await device.enroll()).status).toBe(PkiStatus.PENDING);
      const tx = await waitFor("the upstream error", async () => {
        const t = (await badRecords.byCommonName(device.cn))[0];
        return t?.upstream?.lastError ? t : undefined;
      }, 30_000);
      expect(tx.state).toBe("forwarding");
      expect(tx.upstream?.lastError).toMatch(/the connection to the CA broke before its answer \(UND_ERR_SOCKET: other side closed; an https upstream does this when it refuses the TLS client certificate \(see upstream\.tls\)\)/);
      expect((await device.poll()).status).toBe(PkiStatus.PENDING);
      expect(proxy.refusedHandshakes).toBeGreaterThan(refusedBefore);
      expect(proxy.passed.length).toBe(passedBefore);
    } finally {
      await badRecords.close();
      await bad.stop();
    }
  }, 120_000);
});

/**
 * `listen.tls` (issue 11, part 5) against a real scepgate process: real
 * clients enroll over HTTPS (strongSwan pki through libcurl, micromdm
 * scepclient through Go's TLS), the operator page's session cookie is Secure,
 * and SIGHUP swaps the certificate for new connections without dropping an
 * open one; a bad certificate on SIGHUP is logged and the current one kept.
 * The TLS PKI is made here with openssl (test/harness/tls-pki.ts).
 */
import { X509Certificate } from "node:crypto";
import { copyFile, readFile } from "node:fs/promises";
import { Agent, request as httpsRequest } from "node:https";
import { join } from "node:path";
import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomSuffix } from "../../harness/clients.js";
import { enrollPki } from "../../harness/clients/pki.js";
import { enrollScepclient } from "../../harness/clients/scepclient.js";
import { sameKey } from "../../harness/openssl.js";
import { startScepgate, type Scepgate } from "../../harness/scepgate.js";
import { makeTempDir } from "../../harness/tmp.js";
import { makeTlsPki, type TlsIdentityFiles, type TlsPki } from "../../harness/tls-pki.js";

const TOKEN = "tls-listener-token-8c1e5a";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** SHA-256 fingerprint of the server certificate on this connection. */
  peer: string;
  /** Whether the request went over a kept-alive connection. */
  reused: boolean;
}

function get(url: string, o: { ca: string; agent?: Agent; method?: string; body?: string; headers?: Record<string, string> }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: o.method ?? "GET", ca: o.ca, agent: o.agent ?? false, headers: o.headers }, (res) => {
      // Read now: a kept-alive socket leaves the response once its body has been read.
      const peer = (res.socket as unknown as { getPeerCertificate(): { fingerprint256: string } }).getPeerCertificate().fingerprint256;
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), peer, reused: req.reusedSocket }));
    });
    req.on("error", reject);
    req.end(o.body);
  });
}

/** The fingerprint a new TLS connection to the port is shown. */
function newConnectionPeer(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port, ca, servername: "localhost" }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.end();
    });
    s.on("error", reject);
  });
}

describe("HTTPS listener (listen.tls)", () => {
  let dir: string;
  let pki: TlsPki;
  let ca: string;
  let first: TlsIdentityFiles;
  let listen: { cert: string; key: string };
  let gate: Scepgate;

  beforeAll(async () => {
    dir = makeTempDir("tls-listener-");
    pki = await makeTlsPki(dir);
    ca = await readFile(pki.caCert, "utf8");
    first = await pki.server("scepgate-a");
    listen = { cert: join(dir, "listen.crt"), key: join(dir, "listen.key") };
    await copyFile(first.cert, listen.cert);
    await copyFile(first.key, listen.key);
    gate = await startScepgate({ config: { listen: { tls: listen }, admin: { token: TOKEN } }, tlsCa: ca });
  }, 60_000);

  afterAll(async () => {
    await gate?.stop();
  });

  it("ok/serves HTTPS with the configured certificate; the log names it", async () => {
    expect(gate.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/scep$/);
    const caps = await get(`${gate.url}?operation=GetCACaps`, { ca });
    expect(caps.status).toBe(200);
    expect(caps.body.toString()).toContain("POSTPKIOperation");
    expect(caps.peer).toBe(first.fingerprint);
    expect(gate.output()).toContain(first.fingerprint);
    expect(gate.output()).toMatch(/"url":"https:\/\/127\.0\.0\.1:\d+\/scep"/);
  });

  it("ok/strongSwan pki enrolls over https, trusting only the test CA", async () => {
    const cn = `pki-tls-${randomSuffix()}`;
    const r = await enrollPki(gate.url, { cn, cipher: "aes", digest: "sha256", trustedCa: pki.caCert });
    expect(r.ok, r.log).toBe(true);
    expect(sameKey(r.certPem!, r.keyPem)).toBe(true);
    expect(new X509Certificate(r.certPem!).subject).toContain(`CN=${cn}`);
  }, 120_000);

  it("ok/micromdm scepclient enrolls over https, trusting only the test CA", async () => {
    const cn = `scepclient-tls-${randomSuffix()}`;
    const r = await enrollScepclient(gate.url, { cn, trustedCa: pki.caCert });
    expect(r.ok, r.log).toBe(true);
    expect(sameKey(r.certPem!, r.keyPem)).toBe(true);
    expect(new X509Certificate(r.certPem!).subject).toContain(`CN=${cn}`);
  }, 120_000);

  it("ok/the operator page's session cookie is Secure over HTTPS", async () => {
    const res = await get(`${gate.baseUrl}/admin/ui/sign-in`, {
      ca,
      method: "POST",
      body: `token=${TOKEN}`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).toBe(303);
    const cookie = String(res.headers["set-cookie"]);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/;\s*Secure/);
  });

  it("ok/SIGHUP: new connections get the new certificate, an open one goes on; a bad one is refused and the current one stays", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca });
    try {
      const before = await get(`${gate.url}?operation=GetCACaps`, { ca, agent });
      expect(before.peer).toBe(first.fingerprint);

      const second = await pki.server("scepgate-b");
      await copyFile(second.cert, listen.cert);
      await copyFile(second.key, listen.key);
      process.kill(gate.pid(), "SIGHUP");
      await expect.poll(() => gate.output(), { timeout: 10_000 }).toContain("HTTPS listener certificate reloaded");
      expect(await newConnectionPeer(gate.port, ca)).toBe(second.fingerprint);

      const kept = await get(`${gate.url}?operation=GetCACaps`, { ca, agent });
      expect(kept.status).toBe(200);
      expect(kept.reused).toBe(true);
      expect(kept.peer).toBe(first.fingerprint);

      // A certificate whose key is not the one in the key file: refused, the current one stays.
      const third = await pki.server("scepgate-c");
      await copyFile(third.cert, listen.cert);
      process.kill(gate.pid(), "SIGHUP");
      await expect.poll(() => gate.output(), { timeout: 10_000 }).toContain("HTTPS listener certificate not reloaded");
      expect(gate.output()).toContain("the key does not match the certificate");
      expect(await newConnectionPeer(gate.port, ca)).toBe(second.fingerprint);
      expect((await get(`${gate.url}?operation=GetCACaps`, { ca })).status).toBe(200);
      expect(gate.lastExit()).toBeUndefined();
    } finally {
      agent.destroy();
    }
  }, 60_000);
});

describe("HTTPS listener: bad files stop the start with one line", () => {
  it("fail/a key that does not match the certificate names listen.tls.key", async () => {
    const dir = makeTempDir("tls-bad-");
    const pki = await makeTlsPki(dir);
    const a = await pki.server("a");
    const b = await pki.server("b");
    await expect(startScepgate({ config: { listen: { tls: { cert: a.cert, key: b.key } } }, tlsCa: await readFile(pki.caCert, "utf8") }))
      .rejects.toThrow(/config: listen\.tls\.key: .*b\.key: the key does not match the certificate/);
  }, 60_000);

  it("fail/a missing certificate file names listen.tls.cert", async () => {
    const dir = makeTempDir("tls-missing-");
    const pki = await makeTlsPki(dir);
    const a = await pki.server("a");
    await expect(startScepgate({ config: { listen: { tls: { cert: join(dir, "nope.crt"), key: a.key } } }, tlsCa: await readFile(pki.caCert, "utf8") }))
      .rejects.toThrow(/config: listen\.tls\.cert: cannot read .*nope\.crt \(ENOENT\)/);
  }, 60_000);
});

/**
 * ScepUpstream against a real micromdm scepserver 2.1.0 (and against small
 * real servers that misbehave): enrollment as the RA, the algorithms picked
 * from its caps, the CA pin, and every UpstreamError kind.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  implicitRejectionSecret, loadPrivateKey, parseCertificate, parseSignedData, pemCertificates, toPem, type Certificate,
} from "../../../src/crypto/index.js";
import { decodeRequest, FailInfo, MessageType, PkiStatus } from "../../../src/protocol/index.js";
import { UpstreamError } from "../../../src/ra/errors.js";
import type { RaIdentity } from "../../../src/ra/identity.js";
import { scepExchange } from "../../../src/upstream/scep-exchange.js";
import { ScepUpstream, type ScepUpstreamOptions } from "../../../src/upstream/scep-upstream.js";
import { UpstreamHttp } from "../../../src/upstream/upstream-http.js";
import { freePort } from "../../harness/ports.js";
import { normalizeSerial, verifyCert } from "../../harness/openssl.js";
import { startScepServer, type ScepServer } from "../../harness/upstream-ca.js";
import {
  clock, deviceCsr, recordingLogger, startBlackHole, startGarbage500, startResetter, startRecordingProxy, testRaIdentity, uniqueCn, type RecordingLogger,
} from "./upstream-support.js";

const CHALLENGE = "upstream-s3cret";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

async function upstreamError(p: Promise<unknown>): Promise<UpstreamError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(UpstreamError);
  return err as UpstreamError;
}

describe("ScepUpstream against micromdm scepserver", () => {
  let open: ScepServer;
  let guarded: ScepServer;
  let identity: RaIdentity;
  let caCert: Certificate;
  let logger: RecordingLogger;

  const upstream = (o: Partial<ScepUpstreamOptions> = {}): ScepUpstream =>
    new ScepUpstream({ url: open.url, timeoutMs: 10_000, capsRefreshMs: 3_600_000, identity, clock, logger, ...o });

  beforeAll(async () => {
    [open, guarded] = await Promise.all([startScepServer(), startScepServer({ challenge: CHALLENGE })]);
    identity = await testRaIdentity();
    caCert = parseCertificate(pemCertificates(open.caCertPem)[0]!);
  });
  afterAll(async () => {
    await open?.stop();
    await guarded?.stop();
  });

  it("ok/picks AES-128, SHA-256 and POST from micromdm's caps and encrypts to its CA certificate", async () => {
    logger = recordingLogger();
    const up = upstream();
    const info = await up.info();
    expect([...info.caps].sort()).toEqual(["AES", "DES3", "POSTPKIOPERATION", "RENEWAL", "SCEPSTANDARD", "SHA-1", "SHA-256"]);
    expect(info.algorithms).toEqual({ cipher: "aes128", digest: "sha256", method: "POST" });
    expect(hex(info.recipient.der)).toBe(hex(caCert.der));
    expect(info.ra).toEqual([]);
    const chain = await up.caChain();
    expect(chain.map(hex)).toEqual([hex(caCert.der)]);
    expect(await up.caChain()).toBe(chain);
  });

  it("ok/enrolls a device CSR unchanged: the certificate carries its key and verifies against the micromdm CA", async () => {
    logger = recordingLogger();
    const proxy = await startRecordingProxy(open.url);
    try {
      const before = await open.issuedSerials();
      const csr = await deviceCsr(uniqueCn("open"));
      const result = await upstream({ url: proxy.url }).enroll({ profile: "default", upstreamTransactionId: "tx-open-1", csr, messageType: "19" });
      expect(result.status).toBe("issued");
      if (result.status !== "issued") return;
      const cert = parseCertificate(result.certificate);
      expect(hex(cert.spki)).toBe(hex(csr.spki));
      expect(result.chain.map(hex)).toEqual([hex(caCert.der)]);
      const verified = await verifyCert(toPem(result.certificate), { roots: open.caCertPem });
      expect(verified.ok, verified.output).toBe(true);
      expect((await open.issuedSerials()).slice(before.length)).toEqual([normalizeSerial(cert.serialHex)]);

      // What went over the wire, opened with the micromdm CA key.
      const pki = proxy.requests.find((r) => r.url.includes("PKIOperation"))!;
      expect(pki.method).toBe("POST");
      expect(pki.contentType).toBe("application/x-pki-message");
      expect(parseSignedData(pki.body).certificates.map(hex)).toEqual([hex(identity.signer.cert.der)]);
      const caKey = loadPrivateKey(open.caKeyPem);
      const decoded = await decodeRequest(pki.body, [{ cert: caCert, key: caKey, rejectionSecret: implicitRejectionSecret(caKey) }]);
      if (!decoded.ok) throw new Error(decoded.rejection.reason);
      expect(decoded.request.messageType).toBe(MessageType.PKCSReq);
      expect(decoded.request.transactionId).toBe("tx-open-1");
      expect(decoded.request.algorithms).toMatchObject({ cipher: "aes128", digest: "sha256", keyTransport: "rsa-pkcs1" });
      if (decoded.request.messageType !== MessageType.PKCSReq) return;
      expect(hex(decoded.request.csr.der)).toBe(hex(csr.der));
    } finally {
      await proxy.stop();
    }
  });

  it("ok/a device RenewalReq goes upstream as a PKCSReq signed by the RA", async () => {
    logger = recordingLogger();
    const proxy = await startRecordingProxy(open.url);
    try {
      const csr = await deviceCsr(uniqueCn("renew"));
      const result = await upstream({ url: proxy.url }).enroll({ profile: "default", upstreamTransactionId: "tx-renew-1", csr, messageType: "17" });
      expect(result.status).toBe("issued");
      const caKey = loadPrivateKey(open.caKeyPem);
      const pki = proxy.requests.find((r) => r.url.includes("PKIOperation"))!;
      const decoded = await decodeRequest(pki.body, [{ cert: caCert, key: caKey, rejectionSecret: implicitRejectionSecret(caKey) }]);
      expect(decoded.ok && decoded.request.messageType).toBe(MessageType.PKCSReq);
      expect(decoded.ok && hex(decoded.request.signer.der)).toBe(hex(identity.signer.cert.der));
    } finally {
      await proxy.stop();
    }
  });

  it("ok/with upstream.challenge the CSR carries the upstream challenge and micromdm -challenge issues", async () => {
    logger = recordingLogger();
    const before = await guarded.issuedSerials();
    const csr = await deviceCsr(uniqueCn("guarded"), "the-device-challenge-for-the-ra");
    const result = await upstream({ url: guarded.url, challenge: CHALLENGE }).enroll({ profile: "default", upstreamTransactionId: "tx-g-1", csr, messageType: "19" });
    expect(result.status).toBe("issued");
    if (result.status !== "issued") return;
    expect(hex(parseCertificate(result.certificate).spki)).toBe(hex(csr.spki));
    expect(await guarded.issuedSerials()).toHaveLength(before.length + 1);
    expect(logger.text()).not.toContain(CHALLENGE);
  });

  it("fail/a wrong upstream.challenge is rejected with badRequest and nothing is issued", async () => {
    logger = recordingLogger();
    const before = await guarded.issuedSerials();
    const csr = await deviceCsr(uniqueCn("wrong"));
    const result = await upstream({ url: guarded.url, challenge: "not-it" }).enroll({ profile: "default", upstreamTransactionId: "tx-g-2", csr, messageType: "19" });
    expect(result).toMatchObject({ status: "rejected", failInfo: FailInfo.badRequest });
    expect(await guarded.issuedSerials()).toEqual(before);
  });

  it("fail/without upstream.challenge a CSR lacking micromdm's challenge is rejected (forwarded unchanged)", async () => {
    logger = recordingLogger();
    const csr = await deviceCsr(uniqueCn("nochallenge"));
    const result = await upstream({ url: guarded.url }).enroll({ profile: "default", upstreamTransactionId: "tx-g-3", csr, messageType: "19" });
    expect(result).toMatchObject({ status: "rejected", failInfo: FailInfo.badRequest });
  });

  it("ok/micromdm also opens AES-256 and 3DES requests, and answers single DES (data for algorithm-choice.ts)", async () => {
    logger = recordingLogger();
    const info = await upstream().info();
    for (const cipher of ["aes256", "des3"] as const) {
      const csr = await deviceCsr(uniqueCn(cipher));
      const rep = await scepExchange(
        { http: new UpstreamHttp(open.url, 10_000), info, clock, logger, algorithms: { cipher, digest: "sha256", method: "POST" } },
        { signer: { cert: identity.signer.cert, key: identity.signer.key }, decryption: identity.decryption },
        { messageType: MessageType.PKCSReq, transactionId: `tx-${cipher}`, messageData: csr.der },
      );
      expect(rep.status, cipher).toBe(PkiStatus.SUCCESS);
      expect(rep.cipher).toBe("des");
      expect(rep.digest).toBe("sha1");
    }
  });

  it("ok/GET with the message in the query works too", async () => {
    logger = recordingLogger();
    const info = await upstream().info();
    const csr = await deviceCsr(uniqueCn("get"));
    const rep = await scepExchange(
      { http: new UpstreamHttp(open.url, 10_000), info, clock, logger, algorithms: { ...info.algorithms, method: "GET" } },
      { signer: { cert: identity.signer.cert, key: identity.signer.key }, decryption: identity.decryption },
      { messageType: MessageType.PKCSReq, transactionId: "tx-get", messageData: csr.der },
    );
    expect(rep.status).toBe(PkiStatus.SUCCESS);
  });

  it("ok/the right caFingerprint enrolls", async () => {
    logger = recordingLogger();
    const fingerprint = createHash("sha256").update(caCert.der).digest("hex");
    const csr = await deviceCsr(uniqueCn("pinned"));
    const result = await upstream({ caFingerprint: fingerprint }).enroll({ profile: "default", upstreamTransactionId: "tx-pin-1", csr, messageType: "19" });
    expect(result.status).toBe("issued");
  });

  it("fail/a wrong caFingerprint is a protocol error naming both fingerprints, and nothing is sent", async () => {
    logger = recordingLogger();
    const before = await open.issuedSerials();
    const wrong = "ab".repeat(32);
    const up = upstream({ caFingerprint: wrong });
    const err = await upstreamError(up.caChain());
    expect(err.kind).toBe("protocol");
    expect(err.message).toContain(wrong);
    expect(err.message).toContain(caCert.fingerprint256());
    const csr = await deviceCsr(uniqueCn("mispinned"));
    expect((await upstreamError(up.enroll({ profile: "default", upstreamTransactionId: "tx-pin-2", csr, messageType: "19" }))).kind).toBe("protocol");
    expect(await open.issuedSerials()).toEqual(before);
  });

  it("fail/CertPoll, GetCert and GetCRL: micromdm does not implement them (HTTP 500)", async () => {
    logger = recordingLogger();
    const up = upstream();
    const csr = await deviceCsr(uniqueCn("poll"));
    const ref = { issuer: caCert.subject, serial: caCert.serial };
    const calls = [() => up.poll({ profile: "default", upstreamTransactionId: "tx-poll", csr, messageType: "19" }), () => up.getCert(ref), () => up.getCrl(ref)];
    for (const call of calls) {
      const err = await upstreamError(call());
      expect(err).toMatchObject({ kind: "http", status: 500 });
      expect(err.retryable).toBe(true);
    }
  });

  it("ok/getNextCaCert: micromdm announces no rollover, so undefined", async () => {
    logger = recordingLogger();
    expect(await upstream().getNextCaCert()).toBeUndefined();
  });
});

describe("ScepUpstream transport failures", () => {
  let identity: RaIdentity;
  beforeAll(async () => {
    identity = await testRaIdentity();
  });
  const options = (url: string, timeoutMs = 5_000): ScepUpstreamOptions => ({ url, timeoutMs, capsRefreshMs: 3_600_000, identity, clock, logger: recordingLogger() });

  it("fail/an upstream that was stopped is unreachable (before and after its caps were cached)", async () => {
    const ca = await startScepServer();
    const warm = new ScepUpstream(options(ca.url));
    await warm.caChain();
    await ca.stop();
    const csr = await deviceCsr(uniqueCn("stopped"));
    expect((await upstreamError(warm.enroll({ profile: "default", upstreamTransactionId: "tx-s", csr, messageType: "19" }))).kind).toBe("unreachable");
    const cold = new ScepUpstream(options(ca.url));
    const err = await upstreamError(cold.caChain());
    expect(err.kind).toBe("unreachable");
    expect(err.retryable).toBe(true);
  });

  it("fail/nothing listening on the port is unreachable", async () => {
    const port = await freePort();
    expect((await upstreamError(new ScepUpstream(options(`http://127.0.0.1:${port}/scep`)).caChain())).kind).toBe("unreachable");
  });

  it("fail/a server that accepts and never answers times out within timeoutMs", async () => {
    const hole = await startBlackHole();
    try {
      const started = Date.now();
      const err = await upstreamError(new ScepUpstream(options(hole.url, 400)).caChain());
      const elapsed = Date.now() - started;
      expect(err.kind).toBe("timeout");
      expect(elapsed).toBeGreaterThanOrEqual(350);
      expect(elapsed).toBeLessThan(2_000);
    } finally {
      await hole.stop();
    }
  });

  it("fail/a connection reset after the request was sent is not 'unreachable': the CA may have it (timeout kind, asked before a resend)", async () => {
    const resetter = await startResetter();
    try {
      const err = await upstreamError(new ScepUpstream(options(resetter.url)).caChain());
      expect(err.kind).toBe("timeout");
      expect(err.retryable).toBe(true);
      expect(err.message).toMatch(/^upstream GetCACaps: the connection to the CA broke before its answer \((ECONNRESET|UND_ERR_SOCKET)/);
    } finally {
      await resetter.stop();
    }
  });

  it("fail/HTTP 500 with garbage is an http error with one printable line of the body", async () => {
    const garbage = await startGarbage500();
    try {
      const csr = await deviceCsr(uniqueCn("garbage"));
      const err = await upstreamError(new ScepUpstream(options(garbage.url)).enroll({ profile: "default", upstreamTransactionId: "tx-x", csr, messageType: "19" }));
      expect(err).toMatchObject({ kind: "http", status: 500 });
      expect(err.message).toMatch(/^upstream GetCACaps: HTTP 500: internal error: scep: pkcs7 garbage second line x+…$/);
      expect(err.message.length).toBeLessThan(260);
    } finally {
      await garbage.stop();
    }
  });
});

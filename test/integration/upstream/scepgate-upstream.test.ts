/**
 * ScepUpstream against scepgate itself as the upstream: an RA upstream that
 * serves its RA certificate and CA chain as a certs-only PKCS#7, answers
 * PENDING under manual approval, and implements CertPoll, GetCert and GetCRL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCertificate, toPem } from "../../../src/crypto/index.js";
import { FailInfo } from "../../../src/protocol/index.js";
import type { RaIdentity } from "../../../src/ra/identity.js";
import { ScepUpstream } from "../../../src/upstream/scep-upstream.js";
import { verifyCert } from "../../harness/openssl.js";
import { startScepgate, type Scepgate } from "../../harness/scepgate.js";
import { clock, deviceCsr, recordingLogger, testRaIdentity, uniqueCn } from "./upstream-support.js";

const TOKEN = "upstream-test-admin-token-9d1e7c";
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("ScepUpstream against scepgate (an RA upstream)", () => {
  let gate: Scepgate;
  let identity: RaIdentity;
  const upstream = (profile = "default"): ScepUpstream =>
    new ScepUpstream({ url: profile === "default" ? gate.url : `${gate.url}/${profile}`, timeoutMs: 10_000, capsRefreshMs: 60_000, identity, clock, logger: recordingLogger() });

  beforeAll(async () => {
    gate = await startScepgate({ config: { admin: { token: TOKEN }, profiles: { default: {}, manual: { approval: "manual" } } } });
    identity = await testRaIdentity();
  });
  afterAll(async () => {
    await gate?.stop();
  });

  it("ok/encrypts to the upstream's RA certificate; publishes only its CA; picks AES-128 + SHA-512 + POST", async () => {
    const info = await upstream().info();
    expect(info.ra.map((c) => c.subjectText())).toEqual(["CN=scepgate RA (default), O=scepgate"]);
    expect(info.recipient).toBe(info.ra[0]);
    expect(info.caPath.map((c) => c.subjectText())).toEqual(["CN=scepgate development CA, O=scepgate"]);
    expect(info.caChain.map(hex)).toEqual([hex(info.caPath[0]!.der)]);
    expect(info.algorithms).toEqual({ cipher: "aes128", digest: "sha512", method: "POST" });
  });

  it("ok/enrolls (auto approval): the certificate for the CSR's key, verified by the upstream's CA", async () => {
    const up = upstream();
    const csr = await deviceCsr(uniqueCn("via-scepgate"));
    const result = await up.enroll({ profile: "default", upstreamTransactionId: `tx-${uniqueCn("auto")}`, csr, messageType: "19" });
    expect(result.status).toBe("issued");
    if (result.status !== "issued") return;
    expect(hex(parseCertificate(result.certificate).spki)).toBe(hex(csr.spki));
    const caChain = await up.caChain();
    expect(result.chain.map(hex)).toEqual(caChain.map(hex));
    const verified = await verifyCert(toPem(result.certificate), { roots: caChain.map((d) => toPem(d)) });
    expect(verified.ok, verified.output).toBe(true);
  });

  it("ok/PENDING under manual approval, then CertPoll collects the certificate once approved", async () => {
    const up = upstream("manual");
    const csr = await deviceCsr(uniqueCn("manual"));
    const req = { profile: "default", upstreamTransactionId: `tx-${uniqueCn("manual")}`, csr, messageType: "19" as const };
    expect(await up.enroll(req)).toEqual({ status: "pending" });
    expect(await up.poll(req)).toEqual({ status: "pending" });
    const list = await fetch(`${gate.baseUrl}/admin/requests?state=pending`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const { requests } = (await list.json()) as { requests: Array<{ id: string; transactionId: string }> };
    const id = requests.find((r) => r.transactionId === req.upstreamTransactionId)!.id;
    const approved = await fetch(`${gate.baseUrl}/admin/requests/${id}/approve`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(approved.status).toBe(200);
    let result = await up.poll(req);
    for (let i = 0; i < 50 && result.status === "pending"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      result = await up.poll(req);
    }
    expect(result.status).toBe("issued");
    expect(result.status === "issued" && hex(parseCertificate(result.certificate).spki)).toBe(hex(csr.spki));
  });

  it("ok/GetCRL, GetCert and GetNextCACert are forwarded and answered", async () => {
    const up = upstream();
    const ca = (await up.info()).caPath[0]!;
    const crl = await up.getCrl({ issuer: ca.subject, serial: ca.serial });
    expect(crl).toMatchObject({ status: "ok", certificates: [] });
    expect(crl.status === "ok" && crl.crls).toHaveLength(1);
    expect(await up.getCert({ issuer: ca.subject, serial: ca.serial })).toMatchObject({ status: "rejected", failInfo: FailInfo.badCertId });
    expect(await up.getNextCaCert()).toBeUndefined();
  });

  it("ok/the development CA's fingerprint pins it", async () => {
    const ca = (await upstream().info()).caPath[0]!;
    const pinned = new ScepUpstream({ url: gate.url, caFingerprint: ca.fingerprint256(), timeoutMs: 10_000, capsRefreshMs: 60_000, identity, clock, logger: recordingLogger() });
    expect((await pinned.caChain()).map(hex)).toEqual([hex(ca.der)]);
  });
});

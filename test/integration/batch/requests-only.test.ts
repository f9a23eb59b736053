/**
 * `scepgate batch --requests-only` and `scepgate batch collect` against
 * micromdm scepserver with a challenge (the profile's upstream.challenge):
 * the NAME.p7 files decode as the CA decodes them (decodeRequest with the
 * CA key) into PKCSReqs signed by the RA certificate, carrying a CSR signed
 * by the device key with the upstream challenge; POSTed to micromdm by the
 * test, the CertReps become bundles with `collect`.
 */
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { implicitRejectionSecret, loadPrivateKey, Oid, parseCertificate, parseCsr, parseSubjectAltName, pemCertificates, spkiOf } from "../../../src/crypto/index.js";
import { decodeRequest, MessageType } from "../../../src/protocol/index.js";
import { batchEnv, expectedSans, jsonLines, makeDevices, normalizeIp, openP12, PASSPHRASE, verifyAll, type BatchEnv, type DeviceRow } from "./batch-support.js";

const CHALLENGE = "upstream-challenge-42";
let env: BatchEnv;
let rows: DeviceRow[];
let out: string;

beforeAll(async () => {
  env = await batchEnv({ ca: { challenge: CHALLENGE }, upstreamChallenge: CHALLENGE });
  rows = makeDevices(6, "req");
  out = join(env.dir, "out");
});
afterAll(async () => {
  await env?.close();
});

describe("scepgate batch --requests-only, then collect (micromdm with -challenge)", () => {
  it("ok/writes NAME.key.pem and NAME.p7 per device, ca-chain.pem and upstream-signers.pem; submits nothing", async () => {
    const r = await env.batch([env.csv("devices", rows), "--out", out, "--requests-only"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines.filter((l) => l["type"] === "device").map((l) => l["status"])).toEqual(Array(rows.length).fill("requested"));
    expect(lines.find((l) => l["type"] === "summary")).toMatchObject({ total: rows.length, requested: rows.length, failed: 0 });
    for (const row of rows) {
      expect(existsSync(join(out, `${row.name}.p7`))).toBe(true);
      expect(readFileSync(join(out, `${row.name}.key.pem`), "utf8")).toContain("ENCRYPTED PRIVATE KEY");
      expect(existsSync(join(out, `${row.name}.p12`))).toBe(false);
    }
    expect(pemCertificates(readFileSync(join(out, "ca-chain.pem"), "utf8"))).toHaveLength(1);
    expect(await env.depot("req-")).toEqual([]);
    expect((await env.records.records()).filter((t) => t.source === "batch")).toEqual([]);
  });

  it("ok/each NAME.p7 decodes as the CA decodes it: a PKCSReq signed by the RA certificate, the device's CSR with the upstream challenge", async () => {
    const caCert = parseCertificate(pemCertificates(env.ca.caCertPem)[0]!);
    const caKey = loadPrivateKey(env.ca.caKeyPem);
    const raCert = parseCertificate(pemCertificates(readFileSync(join(env.dir, "data", "profiles", "default", "ra.crt"), "utf8"))[0]!);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(manifest).toMatchObject({ mode: "requests-only", profile: "default" });
    for (const [i, row] of rows.entries()) {
      const decoded = await decodeRequest(readFileSync(join(out, `${row.name}.p7`)), [{ cert: caCert, key: caKey, rejectionSecret: implicitRejectionSecret(caKey) }]);
      if (!decoded.ok) throw new Error(`${row.name}.p7: ${decoded.rejection.reason}`);
      const req = decoded.request;
      expect(req.messageType).toBe(MessageType.PKCSReq);
      if (req.messageType !== MessageType.PKCSReq) continue;
      expect(Buffer.compare(req.signer.der, raCert.der), `${row.name}.p7 is signed by the RA certificate`).toBe(0);
      expect(req.transactionId).toBe(manifest.devices[i].transactionId);
      expect(req.csr.verify()).toBe(true);
      expect(req.csr.challengePassword).toBe(CHALLENGE);
      expect(req.csr.commonName).toBe(row.cn);
      const sans = parseSubjectAltName(req.csr.extensions.get(Oid.subjectAltName)!.value).map((s) => (s.startsWith("IP:") ? `IP:${normalizeIp(s.slice(3))}` : s));
      expect(sans.sort()).toEqual(expectedSans(row));
      const key = loadPrivateKey(readFileSync(join(out, `${row.name}.key.pem`)), PASSPHRASE);
      expect(Buffer.compare(req.csr.spki, spkiOf(key))).toBe(0);
    }
  });

  it("ok/a rerun leaves the requests alone; enrolling into the same directory is refused (exit 4)", async () => {
    const before = readFileSync(join(out, `${rows[0]!.name}.p7`));
    const again = await env.batch([join(env.dir, "devices.csv"), "--out", out, "--requests-only"]);
    expect(again.code, again.stderr).toBe(0);
    expect(jsonLines(again.stdout).filter((l) => l["type"] === "device").every((l) => l["skipped"] === true)).toBe(true);
    expect(readFileSync(join(out, `${rows[0]!.name}.p7`)).equals(before)).toBe(true);
    const mixed = await env.batch([join(env.dir, "devices.csv"), "--out", out]);
    expect(mixed.code).toBe(4);
    expect(mixed.stderr).toMatch(/mixing both could enroll a device twice/);
  });

  it("ok/collect: the CertReps micromdm returned for the NAME.p7 files become bundles that verify against its CA; collecting again is a no-op", async () => {
    // Before any answer is there: every device still "requested", exit 1 (not done).
    const early = await env.batch(["collect", out]);
    expect(early.code, early.stderr).toBe(1);
    expect(jsonLines(early.stdout).filter((l) => l["type"] === "device").map((l) => l["status"])).toEqual(Array(rows.length).fill("requested"));

    for (const row of rows) {
      const res = await fetch(`${env.ca.url}?operation=PKIOperation`, { method: "POST", body: readFileSync(join(out, `${row.name}.p7`)) });
      expect(res.status, row.name).toBe(200);
      writeFileSync(join(out, `${row.name}.p7r`), Buffer.from(await res.arrayBuffer()));
    }
    const r = await env.batch(["collect", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(jsonLines(r.stdout).find((l) => l["type"] === "summary")).toMatchObject({ total: rows.length, issued: rows.length, failed: 0 });
    const caFile = join(env.dir, "ca.pem");
    writeFileSync(caFile, env.ca.caCertPem);
    expect(await verifyAll(caFile, rows.map((x) => join(out, `${x.name}.crt.pem`)))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    for (const [i, row] of rows.entries()) {
      const { cert } = await openP12(out, row.name);
      expect(manifest.devices[i]).toMatchObject({ name: row.name, status: "issued", sha256: cert.fingerprint256.replaceAll(":", "").toLowerCase() });
      expect(new X509Certificate(readFileSync(join(out, `${row.name}.crt.pem`))).subject).toContain(`CN=${row.cn}`);
    }
    expect(await env.depot("req-")).toHaveLength(rows.length);

    const again = await env.batch(["collect", out]);
    expect(again.code, again.stderr).toBe(0);
    expect(jsonLines(again.stdout).filter((l) => l["type"] === "device").every((l) => l["skipped"] === true)).toBe(true);
  });

  it("fail/a CertRep that is not for the request (another device's answer) is refused for that device", async () => {
    const rows2 = makeDevices(2, "swap");
    const out2 = join(env.dir, "out2");
    expect((await env.batch([env.csv("swap", rows2), "--out", out2, "--requests-only"])).code).toBe(0);
    const answers = [];
    for (const row of rows2) {
      const res = await fetch(`${env.ca.url}?operation=PKIOperation`, { method: "POST", body: readFileSync(join(out2, `${row.name}.p7`)) });
      answers.push(Buffer.from(await res.arrayBuffer()));
    }
    writeFileSync(join(out2, `${rows2[0]!.name}.p7r`), answers[1]!);
    writeFileSync(join(out2, `${rows2[1]!.name}.p7r`), answers[1]!);
    const r = await env.batch(["collect", out2]);
    expect(r.code).toBe(1);
    const devices = jsonLines(r.stdout).filter((l) => l["type"] === "device");
    expect(devices.map((d) => d["status"])).toEqual(["failed", "issued"]);
    expect(String(devices[0]!["error"])).toMatch(/transactionID does not match/);
  });

  it("ok/enrolling with upstream.challenge: micromdm (which checks it) issues; the records keep the CSR without the challenge", async () => {
    const rows3 = makeDevices(4, "chal");
    const r = await env.batch([env.csv("chal", rows3), "--out", join(env.dir, "out3")]);
    expect(r.code, r.stderr).toBe(0);
    expect(await env.depot("chal-")).toHaveLength(rows3.length);
    const txs = (await env.records.records()).filter((t) => t.source === "batch");
    expect(txs).toHaveLength(rows3.length);
    for (const t of txs) {
      expect(t.state).toBe("issued");
      const csr = parseCsr(Buffer.from(t.csr, "base64"));
      expect(csr.challengePassword).toBeUndefined();
      expect(Buffer.from(t.csr, "base64").includes(Buffer.from(CHALLENGE))).toBe(false);
    }
  });
});

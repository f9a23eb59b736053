/**
 * The embedded development CA: files, issuance checked by `openssl verify`,
 * and several processes opening one empty directory at once.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import {
  buildCsr, buildName, ExtKeyUsage, extKeyUsage, Oid, parseCertificate, parseCsr, parseSubjectAltName, pemCertificates, subjectAltName, toPem,
  type Csr,
} from "../../../src/crypto/index.js";
import type { Clock, EnrollRequest } from "../../../src/ra/ports.js";
import { CA_CERT_FILE, CA_KEY_FILE, EmbeddedCa } from "../../../src/upstream/embedded-ca.js";
import { testPki } from "../../support/pki.js";

const execFileAsync = promisify(execFile);
const clock: Clock = { now: () => new Date() };
const DAY = 86_400_000;

const tempDir = (): Promise<string> => mkdtemp(path.join(tmpdir(), "scepgate-ca-"));

function request(csr: Csr): EnrollRequest {
  return { profile: "default", upstreamTransactionId: "tx", csr, messageType: "19" };
}

async function deviceCsr(): Promise<Csr> {
  const { device } = await testPki();
  return parseCsr(buildCsr({
    subject: buildName("CN=device-1.example, O=lab"),
    key: device.key,
    extensions: [
      { oid: Oid.subjectAltName, value: subjectAltName({ dns: ["device-1.example", "alt.example"], ip: ["192.0.2.7"] }) },
      // Asked for, never granted: the CA sets its own extKeyUsage.
      { oid: Oid.extKeyUsage, value: extKeyUsage(["1.3.6.1.5.5.7.3.3"]) },
    ],
  }));
}

function opensslVerify(caFile: string, certDer: Uint8Array, dir: string, name: string): Promise<string> {
  const leaf = path.join(dir, `${name}.pem`);
  return writeFile(leaf, toPem(certDer)).then(async () => (await execFileAsync("openssl", ["verify", "-CAfile", caFile, leaf])).stdout);
}

describe("EmbeddedCa files", () => {
  let dir: string;
  let ca: EmbeddedCa;
  beforeAll(async () => {
    dir = await tempDir();
    ca = await EmbeddedCa.open(path.join(dir, "ca"), { clock, validityDays: 90 });
  });

  it("ok/first open writes a 0600 PKCS#8 key and a self-signed CA certificate", async () => {
    const keyStat = await stat(path.join(dir, "ca", CA_KEY_FILE));
    expect(keyStat.mode & 0o777).toBe(0o600);
    expect(await readFile(path.join(dir, "ca", CA_KEY_FILE), "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const cert = parseCertificate(pemCertificates(await readFile(path.join(dir, "ca", CA_CERT_FILE), "utf8"))[0]!);
    expect(cert.subjectText()).toBe("CN=scepgate development CA, O=scepgate");
    expect(cert.isSelfIssued).toBe(true);
    expect(cert.keyUsage).toMatchObject({ keyCertSign: true, cRLSign: true, digitalSignature: true });
    expect(cert.extensions.get(Oid.basicConstraints)?.critical).toBe(true);
    expect(cert.extensions.has(Oid.subjectKeyIdentifier)).toBe(true);
    const years = (cert.notAfter.getTime() - Date.now()) / (365.25 * DAY);
    expect(years).toBeGreaterThan(9.9);
    expect(Buffer.from((await ca.caChain())[0]!)).toEqual(Buffer.from(cert.der));
  });

  it("ok/a second open loads the same CA", async () => {
    const again = await EmbeddedCa.open(path.join(dir, "ca"), { clock, validityDays: 90 });
    expect(again.certificate.fingerprint256()).toBe(ca.certificate.fingerprint256());
  });

  it("fail/a certificate that does not match the key is refused", async () => {
    const other = await tempDir();
    await EmbeddedCa.open(other, { clock, validityDays: 1 });
    await writeFile(path.join(other, CA_CERT_FILE), await readFile(path.join(dir, "ca", CA_CERT_FILE)));
    await expect(EmbeddedCa.open(other, { clock, validityDays: 1 })).rejects.toThrow(/does not match/);
  });
});

describe("EmbeddedCa issuance", () => {
  let dir: string;
  let ca: EmbeddedCa;
  beforeAll(async () => {
    dir = await tempDir();
    ca = await EmbeddedCa.open(dir, { clock, validityDays: 90 });
  });

  it("ok/issued certificate verifies with openssl and carries the CSR's key, subject and SANs", async () => {
    const csr = await deviceCsr();
    const result = await ca.enroll(request(csr));
    if (result.status !== "issued") throw new Error("expected issued");
    expect(result.chain.map((c) => Buffer.from(c))).toEqual([Buffer.from(ca.certificate.der)]);
    expect(await opensslVerify(path.join(dir, CA_CERT_FILE), result.certificate, dir, "rsa")).toContain(": OK");
    const cert = parseCertificate(result.certificate);
    expect(Buffer.from(cert.spki)).toEqual(Buffer.from(csr.spki));
    expect(Buffer.from(cert.subject)).toEqual(Buffer.from(csr.subject));
    expect(parseSubjectAltName(cert.extensions.get(Oid.subjectAltName)!.value)).toEqual(["DNS:device-1.example", "DNS:alt.example", "IP:192.0.2.7"]);
    expect(cert.keyUsage).toMatchObject({ digitalSignature: true, keyEncipherment: true, keyAgreement: false, keyCertSign: false });
    expect(Buffer.from(cert.extensions.get(Oid.extKeyUsage)!.value)).toEqual(Buffer.from(extKeyUsage([ExtKeyUsage.clientAuth, ExtKeyUsage.serverAuth])));
    expect(cert.extensions.has(Oid.authorityKeyIdentifier)).toBe(true);
    expect(cert.serial.length).toBe(16);
    expect(cert.serial[0]! & 0x80).toBe(0);
    const days = (cert.notAfter.getTime() - Date.now()) / DAY;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);
    expect(Date.now() - cert.notBefore.getTime()).toBeGreaterThanOrEqual(5 * 60_000 - 2000);
  });

  it("ok/EC keys get digitalSignature + keyAgreement; withValidity overrides the days", async () => {
    const { deviceEc } = await testPki();
    const csr = parseCsr(buildCsr({ subject: buildName("CN=ec-device"), key: deviceEc.key }));
    const result = await ca.withValidity(7).enroll(request(csr));
    if (result.status !== "issued") throw new Error("expected issued");
    const cert = parseCertificate(result.certificate);
    expect(cert.keyUsage).toMatchObject({ digitalSignature: true, keyAgreement: true, keyEncipherment: false });
    expect(cert.extensions.has(Oid.subjectAltName)).toBe(false);
    expect((cert.notAfter.getTime() - Date.now()) / DAY).toBeLessThanOrEqual(7);
    expect(await opensslVerify(path.join(dir, CA_CERT_FILE), result.certificate, dir, "ec")).toContain(": OK");
  });

  it("ok/RA certificate: digitalSignature + keyEncipherment, no extKeyUsage, 2 years", async () => {
    const { ra } = await testPki();
    const cert = parseCertificate(ca.issueRaCertificate(ra.cert.spki, buildName("CN=scepgate RA (default), O=scepgate")));
    expect(cert.keyUsage).toMatchObject({ digitalSignature: true, keyEncipherment: true });
    expect(cert.extensions.has(Oid.extKeyUsage)).toBe(false);
    expect(Math.round((cert.notAfter.getTime() - Date.now()) / DAY)).toBe(730);
    expect(await opensslVerify(path.join(dir, CA_CERT_FILE), cert.der, dir, "ra")).toContain(": OK");
  });

  it("fail/poll is never expected of an inline CA", async () => {
    expect(ca.inline).toBe(true);
    await expect(ca.poll(request(await deviceCsr()))).rejects.toThrow("embedded CA never answers PENDING");
  });

  it("ok/fast: hundreds of issuances per second", async () => {
    const csr = await deviceCsr();
    const n = 200;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await ca.enroll(request(csr));
    const perSecond = n / ((performance.now() - t0) / 1000);
    // The bar is 200/s/core; the CI box shares its two cores with other test files.
    expect(perSecond).toBeGreaterThan(100);
  });
});

describe("EmbeddedCa concurrent opens", () => {
  it("ok/opens racing in one process end with one CA", async () => {
    const dir = await tempDir();
    const cas = await Promise.all(Array.from({ length: 6 }, () => EmbeddedCa.open(dir, { clock, validityDays: 1 })));
    expect(new Set(cas.map((c) => c.certificate.fingerprint256())).size).toBe(1);
  });

  it("ok/two processes racing on an empty directory end with one CA", async () => {
    const dir = await tempDir();
    const moduleUrl = new URL("../../../src/upstream/embedded-ca.ts", import.meta.url).href;
    const script = path.join(dir, "open.mts");
    await writeFile(
      script,
      `import { EmbeddedCa } from ${JSON.stringify(moduleUrl)};\n` +
        `const ca = await EmbeddedCa.open(process.argv[2], { clock: { now: () => new Date() }, validityDays: 1 });\n` +
        `console.log(ca.certificate.fingerprint256());\n`,
    );
    const root = fileURLToPath(new URL("../../../", import.meta.url));
    const run = () => execFileAsync(process.execPath, ["--import", "tsx", script, path.join(dir, "ca")], { cwd: root });
    const outs = await Promise.all([run(), run(), run()]);
    const fingerprints = outs.map((o) => o.stdout.trim());
    expect(new Set(fingerprints).size).toBe(1);
    const onDisk = parseCertificate(pemCertificates(await readFile(path.join(dir, "ca", CA_CERT_FILE), "utf8"))[0]!);
    expect(onDisk.fingerprint256()).toBe(fingerprints[0]);
    expect(execFileSync("ls", ["-A", path.join(dir, "ca")], { encoding: "utf8" }).split("\n").filter(Boolean).sort()).toEqual([CA_CERT_FILE, CA_KEY_FILE]);
  });
});

/**
 * Unit tests of the harness's certificate checks against certificates made
 * here with the openssl CLI.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { certInfo, isSelfSigned, keyUsage, normalizeSerial, sameKey, splitPem, verifyCert } from "../harness/openssl.js";
import { run } from "../harness/process.js";
import { patchSignerAlgorithm } from "../harness/signer-alg-shim.js";

interface Pki {
  caCert: string;
  otherCaCert: string;
  leafCert: string;
  leafKey: string;
  caKey: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const r = await run("openssl", args, { cwd: dir, timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
}

async function makePki(dir: string): Promise<Pki> {
  for (const name of ["ca", "other", "leaf"]) {
    await openssl(dir, ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", `${name}.key`]);
  }
  const ca = ["req", "-x509", "-new", "-sha256", "-days", "2", "-addext", "basicConstraints=critical,CA:TRUE"];
  await openssl(dir, [...ca, "-key", "ca.key", "-subj", "/CN=harness test CA", "-out", "ca.pem"]);
  await openssl(dir, [...ca, "-key", "other.key", "-subj", "/CN=harness test CA", "-out", "other.pem"]);
  await openssl(dir, ["req", "-new", "-key", "leaf.key", "-subj", "/CN=leaf", "-out", "leaf.csr"]);
  await openssl(dir, ["x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "0x0a",
    "-days", "1", "-extfile", "/dev/null", "-out", "leaf.pem"]);
  const read = (f: string): Promise<string> => readFile(join(dir, f), "utf8");
  return { caCert: await read("ca.pem"), otherCaCert: await read("other.pem"), leafCert: await read("leaf.pem"),
    leafKey: await read("leaf.key"), caKey: await read("ca.key") };
}

describe("harness: openssl helpers", () => {
  let dir: string;
  let pki: Pki;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "scepgate-harness-openssl-"));
    pki = await makePki(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("ok/verifyCert accepts a leaf under its CA", async () => {
    const r = await verifyCert(pki.leafCert, { roots: [pki.caCert] });
    expect(r.ok, r.output).toBe(true);
  });

  it("fail/verifyCert rejects a leaf under a different CA of the same name", async () => {
    const r = await verifyCert(pki.leafCert, { roots: pki.otherCaCert });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/signature failure|unable to get local issuer/i);
  });

  it("ok/sameKey matches its own key only", () => {
    expect(sameKey(pki.leafCert, pki.leafKey)).toBe(true);
    expect(sameKey(pki.leafCert, pki.caKey)).toBe(false);
  });

  it("ok/splitPem, isSelfSigned, certInfo, normalizeSerial", async () => {
    expect(splitPem(`junk\n${pki.caCert}${pki.leafCert}`)).toHaveLength(2);
    expect(isSelfSigned(pki.caCert)).toBe(true);
    expect(isSelfSigned(pki.leafCert)).toBe(false);
    expect(certInfo(pki.leafCert)).toMatchObject({ subject: "CN=leaf", serial: "A" });
    expect(normalizeSerial("0a")).toBe("A");
    expect(normalizeSerial("00")).toBe("0");
    expect(normalizeSerial("01:2F")).toBe("12F");
    expect(await keyUsage(pki.leafCert)).toEqual([]);
  });

  it("ok/patchSignerAlgorithm rewrites only the last sha*WithRSAEncryption OID", () => {
    const sha256Rsa = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    const sha1Rsa = [...sha256Rsa.slice(0, 10), 0x05];
    const body = Buffer.from([...sha256Rsa, 0xff, ...sha1Rsa, 0x04, 0x00]);
    expect(patchSignerAlgorithm(body)).toBe(true);
    expect([...body.subarray(0, 11)]).toEqual(sha256Rsa);
    expect(body[22]).toBe(0x01);
    expect(patchSignerAlgorithm(Buffer.from([1, 2, 3]))).toBe(false);
  });
});

/**
 * PKCS#12: our builder and loader against each other and against OpenSSL 3
 * (`openssl pkcs12`, run as a child process), default and legacy algorithms.
 */
import { execFileSync } from "node:child_process";
import { createPublicKey } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  buildPkcs12, int, KeyError, loadPkcs12, octets, parseCertificate, pemCertificates, privateKeyPem, seq, toPem,
} from "../../../src/crypto/index.js";
import { ctx, oid, readTlv } from "../../../src/crypto/der.js";
import { rc2CbcDecrypt, rc2CbcEncrypt, rc2EncryptBlock } from "../../../src/crypto/rc2.js";
import { makeIdentity, testPki, type TestIdentity } from "../../support/pki.js";

let dir: string;
let leaf: TestIdentity;
let ca: TestIdentity;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "scepgate-p12-"));
  ({ ca } = await testPki());
  leaf = await makeIdentity("CN=p12 device, O=scepgate tests", "rsa-2048", { issuer: ca, keyUsage: { digitalSignature: true, keyEncipherment: true } });
});

function openssl(args: string[]): string {
  try {
    return execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`openssl ${args.join(" ")} failed: ${e.stderr ?? ""}`, { cause: err });
  }
}

/** `openssl pkcs12 -info` output (algorithm lines go to stderr; RC2 files make it exit 1 after printing them). */
function opensslInfo(file: string, pass: string): string {
  return execFileSync("sh", ["-c", `openssl pkcs12 -in "$1" -passin "pass:$2" -info -noout 2>&1 || true`, "sh", file, pass], { encoding: "utf8" });
}

/** Whether buf[start, end) is a sequence of complete TLVs (to look inside OCTET STRINGs that wrap DER). */
function parsesFully(buf: Uint8Array, start: number, end: number): boolean {
  try {
    for (let pos = start; pos < end; ) {
      const t = readTlv(buf, pos, end);
      if (t.tag & 0x20 && !parsesFully(buf, t.contentStart, t.contentEnd)) return false;
      pos = t.end;
    }
    return end > start;
  } catch {
    return false;
  }
}

/**
 * Every element is DER-framed: no indefinite lengths, no constructed OCTET
 * STRINGs, minimal length octets; also inside OCTET STRINGs that wrap DER
 * (the AuthenticatedSafe, the SafeContents).
 */
function assertDerFraming(buf: Uint8Array, start = 0, end = buf.length): void {
  for (let pos = start; pos < end; ) {
    const t = readTlv(buf, pos, end);
    expect(t.end, "indefinite length").toBe(t.contentEnd);
    expect(t.tag, "constructed OCTET STRING").not.toBe(0x24);
    const len = t.contentEnd - t.contentStart;
    const header = len < 0x80 ? 2 : 2 + Math.ceil(Math.log2(len + 1) / 8);
    expect(t.contentStart - t.start, "non-minimal length").toBe(header);
    if (t.tag & 0x20 || (t.tag === 0x04 && parsesFully(buf, t.contentStart, t.contentEnd))) assertDerFraming(buf, t.contentStart, t.contentEnd);
    pos = t.end;
  }
}

describe("PKCS#12 ours → ours", () => {
  it("ok/default round trip returns the key, the leaf and the chain", async () => {
    const der = await buildPkcs12({ key: leaf.key, cert: leaf.cert.der, chain: [ca.cert.der], passphrase: "s3cret", friendlyName: "device" });
    const p12 = await loadPkcs12(der, "s3cret");
    expect(Buffer.from(p12.cert)).toEqual(Buffer.from(leaf.cert.der));
    expect(p12.chain.map((c) => Buffer.from(c))).toEqual([Buffer.from(ca.cert.der)]);
    expect(createPublicKey(p12.key).equals(createPublicKey(leaf.key))).toBe(true);
    expect(p12.key.type).toBe("private");
  });

  it("ok/legacy round trip, EC key, non-ASCII passphrase", async () => {
    const ec = await makeIdentity("CN=p12 ec", "ec-p256", { issuer: ca });
    const der = await buildPkcs12({ key: ec.key, cert: ec.cert.der, chain: [], passphrase: "pässwörd €", legacy: true });
    const p12 = await loadPkcs12(der, "pässwörd €");
    expect(Buffer.from(p12.cert)).toEqual(Buffer.from(ec.cert.der));
    expect(p12.key.asymmetricKeyType).toBe("ec");
  });

  it("ok/output is DER (pkijs alone would write constructed OCTET STRINGs)", async () => {
    for (const legacy of [false, true]) {
      const der = await buildPkcs12({ key: leaf.key, cert: leaf.cert.der, chain: [ca.cert.der], passphrase: "x", legacy, friendlyName: "n" });
      assertDerFraming(der);
    }
  });

  it("ok/the certificate matching the key is found when it is not the first bag (plain, no MAC)", async () => {
    // A hand-made PFX: unencrypted SafeContents [certBag(CA), certBag(leaf), keyBag], no macData.
    const certBag = (der: Uint8Array) => seq(oid("1.2.840.113549.1.12.10.1.3"), ctx(0, seq(oid("1.2.840.113549.1.9.22.1"), ctx(0, octets(der)))));
    const pkcs8 = leaf.key.export({ format: "der", type: "pkcs8" });
    const keyBag = seq(oid("1.2.840.113549.1.12.10.1.1"), ctx(0, pkcs8));
    const data = (content: Uint8Array) => seq(oid("1.2.840.113549.1.7.1"), ctx(0, octets(content)));
    const pfx = seq(int(3), data(seq(data(seq(certBag(ca.cert.der), certBag(leaf.cert.der), keyBag)))));
    const p12 = await loadPkcs12(pfx, "");
    expect(Buffer.from(p12.cert)).toEqual(Buffer.from(leaf.cert.der));
    expect(p12.chain).toHaveLength(1);
  });

  it("fail/wrong passphrase", async () => {
    for (const legacy of [false, true]) {
      const der = await buildPkcs12({ key: leaf.key, cert: leaf.cert.der, chain: [], passphrase: "right", legacy });
      const err = await loadPkcs12(der, "wrong").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KeyError);
      expect((err as Error).message).toBe("cannot open PKCS#12: wrong passphrase or damaged file");
    }
  });

  it("fail/garbage is a damaged file", async () => {
    await expect(loadPkcs12(Buffer.from("not a pfx"), "x")).rejects.toThrow("cannot open PKCS#12: wrong passphrase or damaged file");
  });

  it("fail/a key that is not the certificate's is refused when building", async () => {
    await expect(buildPkcs12({ key: ca.key, cert: leaf.cert.der, chain: [], passphrase: "x" })).rejects.toBeInstanceOf(KeyError);
  });
});

describe("PKCS#12 ours → openssl", () => {
  for (const legacy of [false, true]) {
    it(`ok/${legacy ? "legacy (3DES, SHA-1 MAC)" : "default (AES-256, SHA-256 MAC)"} opens with plain \`openssl pkcs12 -nodes\``, async () => {
      const file = path.join(dir, `ours-${legacy}.p12`);
      await writeFile(file, await buildPkcs12({ key: leaf.key, cert: leaf.cert.der, chain: [ca.cert.der], passphrase: "pässwörd", legacy, friendlyName: "device" }));
      const stdout = openssl(["pkcs12", "-in", file, "-passin", "pass:pässwörd", "-nodes"]);
      expect(pemCertificates(stdout).map((c) => parseCertificate(c).fingerprint256())).toEqual([leaf.cert.fingerprint256(), ca.cert.fingerprint256()]);
      expect(stdout).toContain("-----BEGIN PRIVATE KEY-----");
      expect(stdout).toContain("friendlyName: device");
      const info = opensslInfo(file, "pässwörd");
      if (legacy) {
        expect(info).toContain("MAC: sha1, Iteration 2048");
        expect(info).toContain("PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048");
        expect(info).toContain("Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048");
      } else {
        expect(info).toContain("MAC: sha256, Iteration 2048");
        expect(info).toContain("PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256");
        expect(info).toContain("Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256");
      }
    });
  }
});

describe("PKCS#12 openssl → ours", () => {
  async function opensslExport(name: string, extra: string[]): Promise<Uint8Array> {
    const certFile = path.join(dir, `${name}.crt`);
    const keyFile = path.join(dir, `${name}.key`);
    const caFile = path.join(dir, `${name}-ca.crt`);
    const out = path.join(dir, `${name}.p12`);
    await writeFile(certFile, toPem(leaf.cert.der));
    await writeFile(keyFile, privateKeyPem(leaf.key));
    await writeFile(caFile, toPem(ca.cert.der));
    openssl(["pkcs12", "-export", "-in", certFile, "-inkey", keyFile, "-certfile", caFile, "-out", out, "-passout", "pass:hunter2", ...extra]);
    return readFile(out);
  }

  it("ok/OpenSSL 3 default (PBES2 AES-256-CBC, PBKDF2-SHA256, SHA-256 MAC)", async () => {
    const p12 = await loadPkcs12(await opensslExport("default", []), "hunter2");
    expect(Buffer.from(p12.cert)).toEqual(Buffer.from(leaf.cert.der));
    expect(p12.chain.map((c) => Buffer.from(c))).toEqual([Buffer.from(ca.cert.der)]);
  });

  it("ok/-legacy (3DES key bag, RC2-40 certificates, SHA-1 MAC)", async () => {
    const der = await opensslExport("legacy", ["-legacy"]);
    expect(opensslInfo(path.join(dir, "legacy.p12"), "hunter2")).toContain("pbeWithSHA1And40BitRC2-CBC");
    const p12 = await loadPkcs12(der, "hunter2");
    expect(Buffer.from(p12.cert)).toEqual(Buffer.from(leaf.cert.der));
    expect(createPublicKey(p12.key).equals(createPublicKey(leaf.key))).toBe(true);
  });

  it("ok/3DES for both (-certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1)", async () => {
    const der = await opensslExport("des3", ["-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1"]);
    expect(Buffer.from((await loadPkcs12(der, "hunter2")).cert)).toEqual(Buffer.from(leaf.cert.der));
  });

  it("fail/wrong passphrase on an OpenSSL file", async () => {
    const der = await opensslExport("wrongpass", ["-legacy"]);
    await expect(loadPkcs12(der, "hunter3")).rejects.toThrow("cannot open PKCS#12: wrong passphrase or damaged file");
  });
});

describe("RC2 (RFC 2268 §5 test vectors)", () => {
  const vectors: Array<[string, number, string, string]> = [
    ["0000000000000000", 63, "0000000000000000", "ebb773f993278eff"],
    ["ffffffffffffffff", 64, "ffffffffffffffff", "278b27e42e2f0d49"],
    ["3000000000000000", 64, "1000000000000001", "30649edf9be7d2c2"],
    ["88", 64, "0000000000000000", "61a8a244adacccf0"],
    ["88bca90e90875a", 64, "0000000000000000", "6ccf4308974c267f"],
    ["88bca90e90875a7f0f79c384627bafb2", 64, "0000000000000000", "1a807d272bbe5db1"],
    ["88bca90e90875a7f0f79c384627bafb2", 128, "0000000000000000", "2269552ab0f85ca6"],
  ];
  it.each(vectors)("ok/key %s, %i effective bits", (key, bits, plain, cipher) => {
    expect(Buffer.from(rc2EncryptBlock(Buffer.from(key, "hex"), bits, Buffer.from(plain, "hex"))).toString("hex")).toBe(cipher);
  });

  it("ok/CBC round trip", () => {
    const key = Buffer.from("0102030405", "hex");
    const iv = Buffer.alloc(8, 7);
    const data = Buffer.from("RC2-40 protects certificates in legacy PKCS#12 files");
    expect(Buffer.from(rc2CbcDecrypt(key, 40, iv, rc2CbcEncrypt(key, 40, iv, data)))).toEqual(data);
  });
});

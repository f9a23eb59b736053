/**
 * RSASSA-PSS made by OpenSSL 3 (the `openssl` CLI, an implementation
 * independent of scepgate), checked by scepgate: CSRs from `openssl req
 * -sigopt rsa_padding_mode:pss`, a SignedData from `openssl cms -sign -keyopt
 * rsa_padding_mode:pss`, and certificates from `openssl x509 -req -sigopt
 * rsa_padding_mode:pss` (chain.ts). And the other way round: OpenSSL
 * accepts the PSS structures the test crafters build, so the protocol tests
 * that use them test real PSS.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isIssuedBy, isTrustedBy, Oid, parseCertificate, parseCsr, parsePssParams, parseSignedData, privateKeyPem, SignatureError, toPem, UnsupportedAlgorithmError, verifySigner,
  type Certificate,
} from "../../../src/crypto/index.js";
import { csrWithPss, resignWithPss } from "../../support/craft.js";
import { openssl, scratchDir } from "../../support/openssl-cms.js";
import { testPki, type TestIdentity } from "../../support/pki.js";

let scratch: Awaited<ReturnType<typeof scratchDir>>;
let device: TestIdentity;
let ca: TestIdentity;
const files = {} as Record<"deviceKey" | "deviceCert" | "caKey" | "caCert" | "data", string>;

beforeAll(async () => {
  ({ device, ca } = await testPki());
  scratch = await scratchDir();
  files.deviceKey = await scratch.write("device.key", privateKeyPem(device.key));
  files.deviceCert = await scratch.write("device.crt", toPem(device.cert.der));
  files.caKey = await scratch.write("ca.key", privateKeyPem(ca.key));
  files.caCert = await scratch.write("ca.crt", toPem(ca.cert.der));
  files.data = await scratch.write("data.bin", "a pkcsPKIEnvelope stands here");
});
afterAll(() => scratch?.remove());

/** `openssl args` that must succeed; its stdout. */
async function ossl(args: readonly string[], input?: Uint8Array): Promise<Buffer> {
  const r = await openssl(args, input);
  if (r.code !== 0) throw new Error(`openssl ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const sigopts = (opts: readonly string[]): string[] => opts.flatMap((o) => ["-sigopt", o]);

describe("CSRs signed with RSASSA-PSS by openssl req", () => {
  it.each([
    ["SHA-256, salt 32", ["-sha256"], ["rsa_pss_saltlen:32"], { hash: "sha256", mgf1Hash: "sha256", saltLength: 32 }],
    ["SHA-256, salt 0", ["-sha256"], ["rsa_pss_saltlen:0"], { hash: "sha256", mgf1Hash: "sha256", saltLength: 0 }],
    ["SHA-384, salt = digest length", ["-sha384"], ["rsa_pss_saltlen:digest"], { hash: "sha384", mgf1Hash: "sha384", saltLength: 48 }],
    ["SHA-512, salt max", ["-sha512"], ["rsa_pss_saltlen:max"], { hash: "sha512", mgf1Hash: "sha512", saltLength: 190 }],
    ["SHA-1, salt 20 (every default)", ["-sha1"], ["rsa_pss_saltlen:20"], { hash: "sha1", mgf1Hash: "sha1", saltLength: 20 }],
    ["SHA-256 with MGF1-SHA-1", ["-sha256"], ["rsa_pss_saltlen:32", "rsa_mgf1_md:sha1"], { hash: "sha256", mgf1Hash: "sha1", saltLength: 32 }],
  ])("ok/%s verifies", async (_what, md, opts, expected) => {
    const der = await ossl(["req", "-new", "-key", files.deviceKey, "-subj", "/CN=pss-csr", ...md, ...sigopts(["rsa_padding_mode:pss", ...opts]), "-outform", "DER"]);
    const csr = parseCsr(der);
    expect(csr.signatureOid).toBe(Oid.rsassaPss);
    expect(parsePssParams(csr.signatureParams!)).toEqual(expected);
    expect(() => csr.checkSignature()).not.toThrow();
    expect(csr.verify()).toBe(true);
  });

  it("ok/an RSA-PSS key of its own (id-RSASSA-PSS SubjectPublicKeyInfo, restricted to SHA-256 / salt ≥ 32) verifies", async () => {
    const key = await ossl([
      "genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt", "rsa_pss_keygen_md:sha256",
      "-pkeyopt", "rsa_pss_keygen_mgf1_md:sha256", "-pkeyopt", "rsa_pss_keygen_saltlen:32",
    ]);
    const keyFile = await scratch.write("pss-only.key", key.toString("utf8"));
    const csr = parseCsr(await ossl(["req", "-new", "-key", keyFile, "-subj", "/CN=pss-key", "-sha256", "-outform", "DER"]));
    expect(csr.publicKey().asymmetricKeyType).toBe("rsa-pss");
    expect(csr.signatureOid).toBe(Oid.rsassaPss);
    expect(() => csr.checkSignature()).not.toThrow();
  });

  it("fail/a flipped bit in an openssl PSS signature → SignatureError, verify() false", async () => {
    const der = Buffer.from(await ossl(["req", "-new", "-key", files.deviceKey, "-subj", "/CN=pss-bad", "-sha256", ...sigopts(["rsa_padding_mode:pss", "rsa_pss_saltlen:32"]), "-outform", "DER"]));
    der[der.length - 1]! ^= 0x01;
    const csr = parseCsr(der);
    expect(() => csr.checkSignature()).toThrow(new SignatureError("its signature does not verify"));
    expect(csr.verify()).toBe(false);
  });

  it("ok/the test crafter's PSS CSR (csrWithPss) passes openssl req -verify", async () => {
    const der = csrWithPss({ dn: "CN=crafted-pss", key: device.key }, { params: { hash: "sha256", mgf1Hash: "sha1", saltLength: 32 } });
    const r = await openssl(["req", "-inform", "DER", "-verify", "-noout"], der);
    expect(`${r.stdout}${r.stderr}`).toMatch(/verify OK/);
  });
});

describe("SignedData signed with RSASSA-PSS by openssl cms", () => {
  async function cmsSign(keyopts: readonly string[]): Promise<Buffer> {
    return ossl([
      "cms", "-sign", "-in", files.data, "-signer", files.deviceCert, "-inkey", files.deviceKey, "-md", "sha256",
      ...["rsa_padding_mode:pss", ...keyopts].flatMap((o) => ["-keyopt", o]), "-nodetach", "-binary", "-nosmimecap", "-outform", "DER",
    ]);
  }

  it.each([
    ["salt 32", ["rsa_pss_saltlen:32"], { hash: "sha256", mgf1Hash: "sha256", saltLength: 32 }],
    ["MGF1-SHA-1 (left out as the default, so the parameters hold only [0] and [2])", ["rsa_pss_saltlen:32", "rsa_mgf1_md:sha1"], { hash: "sha256", mgf1Hash: "sha1", saltLength: 32 }],
  ])("ok/%s: verifySigner accepts the signerInfo", async (_what, keyopts, expected) => {
    const sd = parseSignedData(await cmsSign(keyopts));
    const si = sd.signers[0]!;
    expect(si.signatureOid).toBe(Oid.rsassaPss);
    expect(parsePssParams(si.signatureParams!)).toEqual(expected);
    expect(verifySigner(sd, si, device.cert)).toBe("sha256");
  });

  it("fail/a PSS hash other than the digestAlgorithm → UnsupportedAlgorithmError (RFC 4056 §3)", async () => {
    const other = resignWithPss(await cmsSign(["rsa_pss_saltlen:32"]), device.key, { params: { hash: "sha512", mgf1Hash: "sha512", saltLength: 64 } });
    const sd = parseSignedData(other);
    expect(() => verifySigner(sd, sd.signers[0]!, device.cert)).toThrow(
      new UnsupportedAlgorithmError("RSASSA-PSS hash sha512 differs from the digestAlgorithm sha256 (RFC 4056 §3: one hash for the content and the signed attributes)"),
    );
  });

  it("fail/a flipped bit in the PSS signature → SignatureError", async () => {
    const der = await cmsSign(["rsa_pss_saltlen:32"]);
    const sd = parseSignedData(der);
    const sig = sd.signers[0]!.signature;
    const tampered = Buffer.from(der);
    tampered[sig.byteOffset - der.byteOffset + 10]! ^= 0x01;
    const bad = parseSignedData(tampered);
    expect(() => verifySigner(bad, bad.signers[0]!, device.cert)).toThrow(new SignatureError("bad signature"));
  });

  it("ok/the test crafter's PSS signerInfo (resignWithPss) passes openssl cms -verify", async () => {
    const plain = await cmsSign(["rsa_pss_saltlen:32"]);
    for (const params of [{ hash: "sha256", mgf1Hash: "sha256", saltLength: 32 }, { hash: "sha256", mgf1Hash: "sha1", saltLength: 0 }] as const) {
      const r = await openssl(["cms", "-verify", "-noverify", "-inform", "DER", "-binary"], resignWithPss(plain, device.key, { params }));
      expect(r.stderr, JSON.stringify(params)).toMatch(/Verification successful/);
    }
  });
});

describe("certificates signed with RSASSA-PSS (chain.ts isIssuedBy / isTrustedBy)", () => {
  async function issuedWithPss(opts: readonly string[]): Promise<Certificate> {
    const csr = await scratch.write("ee.csr", (await ossl(["req", "-new", "-key", files.deviceKey, "-subj", "/CN=pss-issued"])).toString("utf8"));
    const der = await ossl([
      "x509", "-req", "-in", csr, "-CA", files.caCert, "-CAkey", files.caKey, "-set_serial", "7", "-days", "1", "-sha256",
      ...sigopts(["rsa_padding_mode:pss", ...opts]), "-outform", "DER",
    ]);
    return parseCertificate(der);
  }

  it.each([
    ["salt 32", ["rsa_pss_saltlen:32"]],
    ["MGF1-SHA-1", ["rsa_pss_saltlen:20", "rsa_mgf1_md:sha1"]],
  ])("ok/a certificate the CA signed with PSS (%s) is issued by it", async (_what, opts) => {
    const cert = await issuedWithPss(opts);
    expect(isIssuedBy(cert, ca.cert)).toBe(true);
    expect(isTrustedBy(cert, [ca.cert])).toBe(true);
  });

  it("fail/a PSS-signed certificate is not issued by a certificate with another key", async () => {
    const cert = await issuedWithPss(["rsa_pss_saltlen:32"]);
    expect(isIssuedBy(cert, device.cert)).toBe(false);
  });
});

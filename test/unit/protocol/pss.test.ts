/**
 * RSASSA-PSS requests through decodeRequest (issue 10: strongSwan `pki
 * --scep --rsa-padding pss`, `openssl req -sigopt rsa_padding_mode:pss`):
 * the signerInfo and the CSR may each be PSS-signed with any supported
 * parameters; malformed or unsupported parameters give FAILURE badAlg, a PSS
 * signature that does not verify gives badMessageCheck, each with a one-line
 * reason. The CertRep scepgate answers with stays PKCS#1 v1.5 with
 * signatureAlgorithm rsaEncryption (strongSwan 5.9.8 needs it).
 */
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  basicConstraints, buildCsr, buildEnvelope, buildName, encodeKeyUsage, issueCertificate, Oid, parseCertificate, parseSignedData, privateKeyPem,
  type Certificate, type DecryptionKey, type PssParams,
} from "../../../src/crypto/index.js";
import { children, contents, parseDer } from "../../../src/crypto/der.js";
import { certRepSuccess, decodeRequest, FailInfo, MessageType, type DecodedRequest, type Rejection, type ScepRequest } from "../../../src/protocol/index.js";
import { craftRequest, csrWithPss, patchByte, pssSpki, resignWithPss, type CraftSigner, type PssSignature } from "../../support/craft.js";
import { openssl, scratchDir } from "../../support/openssl-cms.js";
import { testPki, type TestIdentity } from "../../support/pki.js";

let ra: TestIdentity;
let ca: TestIdentity;
let device: TestIdentity;
let keys: DecryptionKey[];

beforeAll(async () => {
  ({ ra, ca, device } = await testPki());
  keys = [ra.decryption];
});

const h = (hex: string): Buffer => Buffer.from(hex.replace(/\s+/g, ""), "hex");
const P = (hash: PssParams["hash"], saltLength: number, mgf1Hash = hash): PssParams => ({ hash, mgf1Hash, saltLength });
const SHA256_32 = P("sha256", 32);

/** What strongSwan 5.9.8 `pki --scep --rsa-padding pss` writes (captured from its PKCSReq): SHA-256, MGF1-SHA-256, salt 32. */
const STRONGSWAN_PARAMS = h(
  "30 34 a0 0f 30 0d 06 09 60 86 48 01 65 03 04 02 01 05 00 a1 1c 30 1a 06 09 2a 86 48 86 f7 0d 01 01 08 30 0d 06 09 60 86 48 01 65 03 04 02 01 05 00 a2 03 02 01 20",
);

const plainCsr = (): Uint8Array => buildCsr({ subject: buildName("CN=pss-device"), key: device.key, challengePassword: "pw" });

/** A PKCSReq around `csr`, its signerInfo re-signed with PSS as `sig` says (or left PKCS#1 v1.5 when `sig` is undefined). */
function request(o: { csr?: Uint8Array; sig?: PssSignature; signer?: CraftSigner } = {}): Uint8Array {
  const signer = o.signer ?? device;
  const content = buildEnvelope({ content: o.csr ?? plainCsr(), cipher: "aes128", recipient: ra.cert });
  const der = craftRequest({ signer, content, digest: o.sig?.params.hash ?? "sha256" });
  return o.sig ? resignWithPss(der, signer.key, o.sig) : der;
}

async function accepted(der: Uint8Array): Promise<Extract<ScepRequest, { csr: unknown }>> {
  const d = await decodeRequest(der, keys);
  if (!d.ok) throw new Error(`rejected: ${d.rejection.reason}`);
  if (d.request.messageType !== MessageType.PKCSReq) throw new Error(`messageType ${d.request.messageType}`);
  return d.request;
}

function rejection(d: DecodedRequest): Rejection {
  if (d.ok) throw new Error(`accepted (messageType ${d.request.messageType}), expected a rejection`);
  expect(d.rejection.reason).not.toContain("\n");
  return d.rejection;
}

describe("PSS-signed requests are accepted", () => {
  it.each([
    ["SHA-1 defaults (parameters 30 00)", { params: P("sha1", 20) }],
    ["SHA-256, salt 32", { params: SHA256_32 }],
    ["SHA-384, salt 48", { params: P("sha384", 48) }],
    ["SHA-512, salt 64", { params: P("sha512", 64) }],
    ["SHA-256, salt 0", { params: P("sha256", 0) }],
    ["SHA-256 with MGF1-SHA-1", { params: P("sha256", 32, "sha1") }],
    ["strongSwan's exact parameter bytes", { params: SHA256_32, written: STRONGSWAN_PARAMS }],
  ])("ok/signerInfo and CSR both RSASSA-PSS: %s", async (_what, sig: PssSignature) => {
    const csr = csrWithPss({ dn: "CN=pss-device", key: device.key, challengePassword: "pw" }, sig);
    const r = await accepted(request({ csr, sig }));
    expect(r.algorithms.digest).toBe(sig.params.hash);
    expect(r.csr.signatureOid).toBe(Oid.rsassaPss);
    expect(r.csr.challengePassword).toBe("pw");
  });

  it("ok/a CSR signed with PSS by openssl req (-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32)", async () => {
    const scratch = await scratchDir();
    try {
      const keyFile = await scratch.write("device.key", privateKeyPem(device.key));
      const sigopts = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"];
      const out = await openssl(["req", "-new", "-key", keyFile, "-subj", "/CN=openssl-pss", "-sha256", ...sigopts, "-outform", "DER"]);
      expect(out.code, out.stderr).toBe(0);
      const r = await accepted(request({ csr: out.stdout }));
      expect(r.csr.subjectText).toBe("CN=openssl-pss");
      expect(r.csr.signatureOid).toBe(Oid.rsassaPss);
    } finally {
      await scratch.remove();
    }
  });

  it("ok/the SUCCESS CertRep to a PSS request is still PKCS#1 v1.5 with signatureAlgorithm rsaEncryption (NULL)", async () => {
    const r = await accepted(request({ sig: { params: SHA256_32 } }));
    const der = await certRepSuccess({
      signer: { cert: ra.cert, key: ra.key, certificates: [ra.cert.der] },
      digest: r.algorithms.digest,
      transactionId: r.transactionId,
      recipientNonce: r.senderNonce,
      signingTime: new Date(),
      recipient: r.signer,
      cipher: r.algorithms.cipher,
      certificates: [device.cert.der],
    });
    const si = parseSignedData(der).signers[0]!;
    expect(si.signatureOid).toBe(Oid.rsaEncryption);
    expect(Buffer.from(si.signatureParams!)).toEqual(h("05 00"));
  });
});

/** Written parameters that are wrong while the signature itself is made with SHA-256 / salt 32. */
const malformed: Array<[string, Uint8Array | null, RegExp]> = [
  ["trailerField 2", h("30 05 a3 03 02 01 02"), /RSASSA-PSS parameters: trailerField 2 is not trailerFieldBC \(1\)/],
  ["a mask generation function other than MGF1", h("30 0f a1 0d 30 0b 06 09 2a 86 48 86 f7 0d 01 01 09"), /mask generation function 1\.2\.840\.113549\.1\.1\.9 is not MGF1/],
  ["an unknown hash (SHA-224)", h("30 11 a0 0f 30 0d 06 09 60 86 48 01 65 03 04 02 04 05 00"), /unsupported hash algorithm 2\.16\.840\.1\.101\.3\.4\.2\.4/],
  ["a negative salt length", h("30 05 a2 03 02 01 ec"), /negative saltLength -20/],
  ["an absurd salt length", h("30 08 a2 06 02 04 40 00 00 00"), /saltLength 1073741824 is absurd/],
  ["garbage DER inside the parameters", h("30 04 de ad be ef"), /RSASSA-PSS parameters: not DER/],
  ["indefinite-length (BER) parameters", h("30 80 a2 03 02 01 20 00 00"), /RSASSA-PSS parameters: not DER \(.*indefinite length/],
  ["NULL instead of RSASSA-PSS-params", h("05 00"), /RSASSA-PSS parameters: expected a SEQUENCE/],
  ["no parameters at all", null, /RSASSA-PSS signature without its parameters/],
  ["a salt too long for the 2048-bit key", h("30 17 a0 0f 30 0d 06 09 60 86 48 01 65 03 04 02 01 05 00 a2 04 02 02 00 df"), /saltLength 223 does not fit a 2048-bit key/],
];

describe("PSS refusals through the request decoder", () => {
  it.each(malformed)("fail/signerInfo with %s → badAlg", async (_what, written, reason) => {
    const r = rejection(await decodeRequest(request({ sig: { params: SHA256_32, written } }), keys));
    expect(r.failInfo).toBe(FailInfo.badAlg);
    expect(r.reason).toMatch(/^signature: /);
    expect(r.reason).toMatch(reason);
    // What a FAILURE needs to echo is still read.
    expect(r).toMatchObject({ messageType: MessageType.PKCSReq, transactionId: "crafted-tx", digest: "sha256" });
  });

  it.each(malformed)("fail/CSR with %s → badAlg", async (_what, written, reason) => {
    const csr = csrWithPss({ dn: "CN=pss-device", key: device.key }, { params: SHA256_32, written });
    const r = rejection(await decodeRequest(request({ csr, sig: { params: SHA256_32 } }), keys));
    expect(r.failInfo).toBe(FailInfo.badAlg);
    expect(r.reason).toMatch(/^CSR: /);
    expect(r.reason).toMatch(reason);
  });

  it("fail/a PSS hash other than the signerInfo digestAlgorithm → badAlg (RFC 4056 §3)", async () => {
    const content = buildEnvelope({ content: plainCsr(), cipher: "aes128", recipient: ra.cert });
    const der = resignWithPss(craftRequest({ signer: device, content, digest: "sha256" }), device.key, { params: P("sha512", 64) });
    const r = rejection(await decodeRequest(der, keys));
    expect(r.failInfo).toBe(FailInfo.badAlg);
    expect(r.reason).toBe("signature: RSASSA-PSS hash sha512 differs from the digestAlgorithm sha256 (RFC 4056 §3: one hash for the content and the signed attributes)");
  });

  it("fail/a flipped byte in the PSS signerInfo signature → badMessageCheck", async () => {
    const der = request({ sig: { params: SHA256_32 } });
    const r = rejection(await decodeRequest(patchByte(der, parseSignedData(der).signers[0]!.signature, -1), keys));
    expect(r.failInfo).toBe(FailInfo.badMessageCheck);
    expect(r.reason).toBe("signature: bad signature");
  });

  it("fail/a flipped byte in a PSS CSR signature → badMessageCheck", async () => {
    const csr = csrWithPss({ dn: "CN=pss-device", key: device.key }, { params: SHA256_32 });
    const [, , bits] = children(parseDer(csr));
    const r = rejection(await decodeRequest(request({ csr: patchByte(csr, contents(bits!), -1), sig: { params: SHA256_32 } }), keys));
    expect(r.failInfo).toBe(FailInfo.badMessageCheck);
    expect(r.reason).toBe("CSR: its signature does not verify");
  });

  it("fail/signed with MGF1-SHA-1 but the parameters say MGF1-SHA-256 → badMessageCheck (never verified with the wrong MGF1)", async () => {
    const written = h("30 34 a0 0f 30 0d 06 09 60 86 48 01 65 03 04 02 01 05 00 a1 1c 30 1a 06 09 2a 86 48 86 f7 0d 01 01 08 30 0d 06 09 60 86 48 01 65 03 04 02 01 05 00 a2 03 02 01 20");
    const r = rejection(await decodeRequest(request({ sig: { params: P("sha256", 32, "sha1"), written } }), keys));
    expect(r.failInfo).toBe(FailInfo.badMessageCheck);
  });
});

describe("id-RSASSA-PSS keys (RFC 4055 §1.2: for signatures only)", () => {
  let pssCert: Certificate;
  const day = 86_400_000;

  beforeAll(() => {
    pssCert = parseCertificate(
      issueCertificate({
        subject: buildName("CN=pss-only-device"),
        spki: pssSpki(device.key),
        serial: randomBytes(9),
        notBefore: new Date(Date.now() - day),
        notAfter: new Date(Date.now() + day),
        issuerKey: ca.key,
        issuerCert: ca.cert,
        extensions: [
          { oid: Oid.basicConstraints, critical: true, value: basicConstraints(false) },
          { oid: Oid.keyUsage, critical: true, value: encodeKeyUsage({ digitalSignature: true }) },
        ],
      }),
    );
  });

  it("fail/a PSS-signed request from a signer certificate with an id-RSASSA-PSS key → badAlg: the CertRep could not be encrypted to it", async () => {
    const r = rejection(await decodeRequest(request({ signer: { cert: pssCert, key: device.key }, sig: { params: SHA256_32 } }), keys));
    expect(r.failInfo).toBe(FailInfo.badAlg);
    expect(r.reason).toMatch(/^signer certificate: its key is id-RSASSA-PSS, for signatures only \(RFC 4055 §1\.2\), so the CertRep cannot be encrypted to it/);
  });

  it("fail/a PKCS#1 v1.5-signed request from such a certificate → badAlg", async () => {
    const r = rejection(await decodeRequest(request({ signer: { cert: pssCert, key: device.key } }), keys));
    expect(r.failInfo).toBe(FailInfo.badAlg);
    expect(r.reason).toMatch(/PKCS#1 v1\.5 signature from an id-RSASSA-PSS key/);
  });

  it("ok/a CSR whose own key is id-RSASSA-PSS, from an ordinary signer: its PSS signature verifies; the key rules decide (key type other)", async () => {
    const csr = csrWithPss({ dn: "CN=pss-key-csr", key: device.key, spki: pssSpki(device.key) }, { params: SHA256_32 });
    const r = await accepted(request({ csr }));
    expect(r.csr.publicKey().asymmetricKeyType).toBe("rsa-pss");
    expect(r.csr.key().type).toBe("other");
  });
});

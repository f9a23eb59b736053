/**
 * Algorithm matrix: content cipher × digest × key transport × signer key.
 * Each request is built by buildRequest and decoded by decodeRequest; it is
 * answered with a SUCCESS CertRep mirroring its algorithms, opened by
 * decodeCertRep. OpenSSL then checks the request and the CertRep on its own
 * (`cms -verify -noverify` for signature + messageDigest, `cms -decrypt` of
 * the inner envelope with the recipient key).
 *
 * The RA decryption key is always RSA, so the key transport applies to the
 * request; the CertRep to an RSA signer mirrors it, the CertRep to an EC
 * signer uses ECDH key agreement (RFC 5753) whatever the request used.
 *
 * Combinations left out, each with its own fail/ case:
 * - EC signer × MD5: there is no ECDSA-with-MD5 signature algorithm, so the
 *   request cannot be signed (not built at all).
 * - CertRep to an EC signer × single DES: RFC 3394 AES key wrap needs a key of
 *   at least 128 bits, so a 64-bit DES key cannot be wrapped for an ECDH
 *   recipient. OpenSSL 3 refuses the same (`openssl cms -encrypt -des` to an EC
 *   certificate fails in aes_wrap_cipher_internal). The request itself (RSA
 *   key transport to the RA) is fine and is checked.
 * OpenSSL 3.0 checks every other combination: DES through the legacy
 * provider, RSA-OAEP with SHA-1 and SHA-256, ECDH with AES key wrap.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildCsr, buildName, degenerateSignedData, openEnvelope, parseEnvelope, parseSignedData, privateKeyPem, toPem, UnsupportedAlgorithmError,
  type CipherName, type DigestName, type KeyTransportName,
} from "../../../src/crypto/index.js";
import {
  buildRequest, certRepSuccess, decodeCertRep, decodeRequest, MessageType, PkiStatus, type ScepRequest,
} from "../../../src/protocol/index.js";
import { cmsVerifyThenDecrypt, scratchDir } from "../../support/openssl-cms.js";
import { testPki, type TestIdentity } from "../../support/pki.js";

const ciphers: CipherName[] = ["des", "des3", "aes128", "aes192", "aes256"];
const digests: DigestName[] = ["md5", "sha1", "sha256", "sha384", "sha512"];
const transports: Array<{ name: string; keyTransport: KeyTransportName; oaepHash?: DigestName }> = [
  { name: "rsa-pkcs1", keyTransport: "rsa-pkcs1" },
  { name: "rsa-oaep-sha1", keyTransport: "rsa-oaep", oaepHash: "sha1" },
  { name: "rsa-oaep-sha256", keyTransport: "rsa-oaep", oaepHash: "sha256" },
];
type SignerKey = "rsa" | "ec";

interface Combo {
  label: string;
  cipher: CipherName;
  digest: DigestName;
  transport: (typeof transports)[number];
  signerKey: SignerKey;
}

const combos: Combo[] = [];
for (const signerKey of ["rsa", "ec"] as const)
  for (const cipher of ciphers)
    for (const digest of digests)
      for (const transport of transports) {
        if (signerKey === "ec" && digest === "md5") continue;
        combos.push({ label: `${signerKey}/${cipher}/${digest}/${transport.name}`, cipher, digest, transport, signerKey });
      }

const noCertRep = (c: Combo): boolean => c.signerKey === "ec" && c.cipher === "des";
const certRepCombos = combos.filter((c) => !noCertRep(c));
const cases = (list: Combo[]): Array<readonly [string, Combo]> => list.map((c) => [c.label, c] as const);

interface BuiltRequest {
  csr: Uint8Array;
  der: Uint8Array;
  senderNonce: Uint8Array;
  decoded: ScepRequest;
}

describe("algorithm matrix", () => {
  let ra: TestIdentity;
  let ca: TestIdentity;
  const devices = {} as Record<SignerKey, TestIdentity>;
  const files = {} as Record<"ra" | SignerKey, { cert: string; key: string }>;
  let scratch: Awaited<ReturnType<typeof scratchDir>> | undefined;
  // Promises, so that concurrent tests asking for the same combination share one build.
  const requests = new Map<string, Promise<BuiltRequest>>();
  const certReps = new Map<string, Promise<Uint8Array>>();

  beforeAll(async () => {
    const pki = await testPki();
    ({ ra, ca } = pki);
    devices.rsa = pki.device;
    devices.ec = pki.deviceEc;
    scratch = await scratchDir();
    for (const [name, id] of [["ra", ra], ["rsa", pki.device], ["ec", pki.deviceEc]] as const) {
      files[name] = {
        cert: await scratch.write(`${name}.crt.pem`, toPem(id.cert.der)),
        key: await scratch.write(`${name}.key.pem`, privateKeyPem(id.key)),
      };
    }
  });
  afterAll(() => scratch?.remove());

  /** The request of a combination (built once), decoded by decodeRequest and checked. */
  function request(c: Combo): Promise<BuiltRequest> {
    let built = requests.get(c.label);
    if (!built) requests.set(c.label, (built = buildRequestOf(c)));
    return built;
  }

  async function buildRequestOf(c: Combo): Promise<BuiltRequest> {
    const device = devices[c.signerKey];
    const csr = buildCsr({ subject: buildName(`CN=${c.label}, O=matrix`), key: device.key, challengePassword: "pw" });
    const transactionId = randomBytes(8).toString("hex");
    const req = buildRequest({
      messageType: MessageType.PKCSReq,
      transactionId,
      messageData: csr,
      signer: device,
      recipient: ra.cert,
      cipher: c.cipher,
      digest: c.digest,
      keyTransport: c.transport.keyTransport,
      oaepHash: c.transport.oaepHash,
      signingTime: new Date(),
    });
    const decoded = await decodeRequest(req.der, [ra.decryption]);
    if (!decoded.ok) throw new Error(`${c.label}: rejected: ${decoded.rejection.reason}`);
    const r = decoded.request;
    if (r.messageType !== MessageType.PKCSReq) throw new Error(`${c.label}: messageType ${r.messageType}`);
    expect(r.transactionId).toBe(transactionId);
    expect(Buffer.from(r.senderNonce)).toEqual(Buffer.from(req.senderNonce));
    expect(Buffer.from(r.signer.der)).toEqual(Buffer.from(device.cert.der));
    expect(Buffer.from(r.csr.der)).toEqual(Buffer.from(csr));
    expect(r.csr.subjectText).toBe(`CN=${c.label}, O=matrix`);
    expect(r.csr.challengePassword).toBe("pw");
    expect(r.algorithms).toEqual({ digest: c.digest, cipher: c.cipher, keyTransport: c.transport.keyTransport, oaepHash: c.transport.oaepHash });
    return { csr, der: req.der, senderNonce: req.senderNonce, decoded: r };
  }

  async function answer(c: Combo): Promise<Uint8Array> {
    const r = (await request(c)).decoded;
    return await certRepSuccess({
      signer: { cert: ra.cert, key: ra.key, certificates: [ra.cert.der] },
      digest: r.algorithms.digest,
      transactionId: r.transactionId,
      recipientNonce: r.senderNonce,
      signingTime: new Date(),
      recipient: r.signer,
      cipher: r.algorithms.cipher,
      keyTransport: r.algorithms.keyTransport === "ecdh" ? undefined : r.algorithms.keyTransport,
      oaepHash: r.algorithms.oaepHash,
      certificates: [devices[c.signerKey].cert.der, ca.cert.der],
    });
  }

  /** The CertRep of a combination (built once), opened by decodeCertRep and checked. */
  function certRep(c: Combo): Promise<Uint8Array> {
    let built = certReps.get(c.label);
    if (!built) certReps.set(c.label, (built = buildCertRepOf(c)));
    return built;
  }

  async function buildCertRepOf(c: Combo): Promise<Uint8Array> {
    const req = await request(c);
    const device = devices[c.signerKey];
    const der = await answer(c);
    const rep = await decodeCertRep(der, {
      decryption: [device.decryption],
      trustedSigners: [ca.cert],
      transactionId: req.decoded.transactionId,
      recipientNonce: req.senderNonce,
    });
    expect(rep.status).toBe(PkiStatus.SUCCESS);
    expect(Buffer.from(rep.signer.der)).toEqual(Buffer.from(ra.cert.der));
    expect(rep.digest).toBe(c.digest);
    expect(rep.cipher).toBe(c.cipher);
    expect(rep.certificates.map((d) => Buffer.from(d))).toEqual([Buffer.from(device.cert.der), Buffer.from(ca.cert.der)]);
    // The CertRep's envelope: the request's key transport for an RSA signer, ECDH for an EC one.
    const opened = await openEnvelope(parseEnvelope(parseSignedData(der).content!), [device.decryption]);
    if (c.signerKey === "ec") expect(opened).toMatchObject({ cipher: c.cipher, keyTransport: "ecdh" });
    else expect(opened).toMatchObject({ cipher: c.cipher, keyTransport: c.transport.keyTransport, oaepHash: c.transport.oaepHash });
    return der;
  }

  it("ok/the matrix holds every combination but EC × MD5", () => {
    expect(combos).toHaveLength(5 * 5 * 3 + 5 * 4 * 3);
    expect(certRepCombos).toHaveLength(combos.length - 4 * 3);
  });

  it.each(cases(combos))("ok/%s request: decodeRequest gives back the values and algorithms", async (_label, c) => {
    await request(c);
  });

  it.each(cases(certRepCombos))("ok/%s CertRep: SUCCESS mirroring the request opens with decodeCertRep", async (_label, c) => {
    await certRep(c);
  });

  it.each(cases(combos.filter(noCertRep)))("fail/%s CertRep: a DES key cannot be AES-wrapped for an EC signer", async (_label, c) => {
    await expect(answer(c)).rejects.toThrow(UnsupportedAlgorithmError);
  });

  it("fail/an EC signer cannot sign with MD5 (no ecdsa-with-MD5)", () => {
    expect(() =>
      buildRequest({
        messageType: MessageType.PKCSReq,
        transactionId: "t",
        messageData: new Uint8Array([0x30, 0]),
        signer: devices.ec,
        recipient: ra.cert,
        cipher: "aes128",
        digest: "md5",
        signingTime: new Date(),
      }),
    ).toThrow(UnsupportedAlgorithmError);
  });

  describe.concurrent("checked by openssl cms", () => {
    it.for(cases(combos))("ok/%s request: openssl verifies it and decrypts the CSR with the RA key", async ([, c], { expect }) => {
      const b = await request(c);
      const out = await cmsVerifyThenDecrypt(b.der, files.ra.cert, files.ra.key, c.cipher === "des");
      expect(out).toMatchObject({ ok: true });
      if (out.ok) expect(out.plaintext).toEqual(Buffer.from(b.csr));
    });

    it.for(cases(certRepCombos))("ok/%s CertRep: openssl verifies it and decrypts the bundle with the device key", async ([, c], { expect }) => {
      const der = await certRep(c);
      const out = await cmsVerifyThenDecrypt(der, files[c.signerKey].cert, files[c.signerKey].key, c.cipher === "des");
      expect(out).toMatchObject({ ok: true });
      if (out.ok) expect(out.plaintext).toEqual(Buffer.from(degenerateSignedData([devices[c.signerKey].cert.der, ca.cert.der])));
    });

    it("fail/openssl refuses a CertRep whose eContent was altered", async ({ expect }) => {
      const c = certRepCombos[0]!;
      const der = Buffer.from(await certRep(c));
      const content = parseSignedData(der).content!;
      const at = content.byteOffset - der.byteOffset + content.length - 1;
      der[at]! ^= 0x01;
      const out = await cmsVerifyThenDecrypt(der, files[c.signerKey].cert, files[c.signerKey].key, c.cipher === "des");
      expect(out).toMatchObject({ ok: false, step: "verify" });
    });
  });
});

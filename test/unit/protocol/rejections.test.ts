/**
 * decodeRequest on hostile input. A message that decodes but cannot be
 * accepted gives `{ok: false}` with the failInfo RFC 8894 §3.2.1.4 asks for
 * (so the RA can answer a signed FAILURE); bytes that are not a pkiMessage at
 * all throw MalformedMessageError (HTTP 400), never anything else.
 */
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  buildCsr, buildEnvelope, buildName, Ciphers, contentInfo, degenerateSignedData, Oid, parseSignedData, type DecryptionKey,
} from "../../../src/crypto/index.js";
import { decryptContent } from "../../../src/crypto/content-cipher.js";
import { ctx, oid, octets, printable, seq, tlv } from "../../../src/crypto/der.js";
import { unwrapPkcs1 } from "../../../src/crypto/key-transport.js";
import {
  buildRequest, decodeRequest, FailInfo, MalformedMessageError, MessageType, ScepOid, type DecodedRequest, type Rejection,
} from "../../../src/protocol/index.js";
import {
  craftEnvelope, craftRequest, craftWithDigestOid, csrWithBadSignature, defaultScep, nestedSequences, patchByte, replaceEncapContent,
} from "../../support/craft.js";
import { testPki, type TestIdentity } from "../../support/pki.js";
import { requestVectors } from "../../support/vectors.js";

let ra: TestIdentity;
let ca: TestIdentity;
let device: TestIdentity;
let keys: DecryptionKey[];
let csr: Uint8Array;

beforeAll(async () => {
  ({ ra, ca, device } = await testPki());
  keys = [ra.decryption];
  csr = buildCsr({ subject: buildName("CN=device-1"), key: device.key, challengePassword: "pw" });
});

function rejection(d: DecodedRequest): Rejection {
  if (d.ok) throw new Error(`accepted (messageType ${d.request.messageType}), expected a rejection`);
  return d.rejection;
}

/** A good request, as buildRequest makes it. */
function goodRequest(): { der: Uint8Array; senderNonce: Uint8Array } {
  return buildRequest({
    messageType: MessageType.PKCSReq,
    transactionId: "tx-reject",
    messageData: csr,
    signer: device,
    recipient: ra.cert,
    cipher: "aes128",
    digest: "sha256",
    signingTime: new Date(),
  });
}

const envelopeToRa = (content = csr): Uint8Array => buildEnvelope({ content, cipher: "aes128", recipient: ra.cert });

describe("decodable but unacceptable → {ok: false, failInfo}", () => {
  it("ok/the unaltered request is accepted (baseline of this file)", async () => {
    expect((await decodeRequest(goodRequest().der, keys)).ok).toBe(true);
    expect((await decodeRequest(craftRequest({ signer: device, content: envelopeToRa() }), keys)).ok).toBe(true);
  });

  it("fail/a flipped byte in the outer signature → badMessageCheck", async () => {
    const { der, senderNonce } = goodRequest();
    const tampered = patchByte(der, parseSignedData(der).signers[0]!.signature, -1);
    const r = rejection(await decodeRequest(tampered, keys));
    expect(r.failInfo).toBe(FailInfo.badMessageCheck);
    // What a FAILURE needs to echo is still read.
    expect(r).toMatchObject({ messageType: MessageType.PKCSReq, transactionId: "tx-reject", digest: "sha256" });
    expect(Buffer.from(r.senderNonce!)).toEqual(Buffer.from(senderNonce));
  });

  it("fail/tampered eContent (messageDigest mismatch) → badMessageCheck", async () => {
    const { der } = goodRequest();
    const tampered = patchByte(der, parseSignedData(der).content!, -1);
    expect(rejection(await decodeRequest(tampered, keys)).failInfo).toBe(FailInfo.badMessageCheck);
  });

  it("fail/the signer's certificate is not in the message → badMessageCheck", async () => {
    const der = craftRequest({ signer: device, content: envelopeToRa(), certificates: [ca.cert.der] });
    expect(rejection(await decodeRequest(der, keys)).failInfo).toBe(FailInfo.badMessageCheck);
  });

  it.each([
    ["unknown messageType 99", "99"],
    ["messageType CertRep (3) as a request", MessageType.CertRep],
    ["an empty messageType", ""],
  ])("fail/%s → badRequest", async (_what, messageType) => {
    const der = craftRequest({ signer: device, content: envelopeToRa(), scep: { ...defaultScep(), messageType } });
    const r = rejection(await decodeRequest(der, keys));
    expect(r.failInfo).toBe(FailInfo.badRequest);
    expect(r.messageType).toBe(messageType);
    expect(r.transactionId).toBe("crafted-tx");
  });

  it.each([
    ["messageType", { messageType: undefined }],
    ["transactionID", { transactionId: undefined }],
    ["senderNonce", { senderNonce: undefined }],
    ["senderNonce (empty)", { senderNonce: new Uint8Array(0) }],
  ])("fail/missing %s → badRequest", async (_what, change) => {
    const der = craftRequest({ signer: device, content: envelopeToRa(), scep: { ...defaultScep(), ...change } });
    expect(rejection(await decodeRequest(der, keys)).failInfo).toBe(FailInfo.badRequest);
  });

  it("fail/a senderNonce that is not an OCTET STRING → badRequest", async () => {
    const der = craftRequest({
      signer: device,
      content: envelopeToRa(),
      scep: { ...defaultScep(), senderNonce: undefined },
      extraAttributes: [{ type: ScepOid.senderNonce, values: [printable("0102030405060708")] }],
    });
    expect(rejection(await decodeRequest(der, keys)).failInfo).toBe(FailInfo.badRequest);
  });

  it("fail/an envelope encrypted to another certificate → badCertId", async () => {
    const der = craftRequest({ signer: device, content: buildEnvelope({ content: csr, cipher: "aes128", recipient: ca.cert }) });
    expect(rejection(await decodeRequest(der, keys)).failInfo).toBe(FailInfo.badCertId);
  });

  it("fail/a corrupted encryptedKey to the right recipient → badMessageCheck (implicit rejection: content decryption fails)", async () => {
    // Implicit rejection turns the bad padding into a synthetic key, which
    // then fails the content's CBC padding. A synthetic key happens to give
    // valid padding for about 1 in 256 corruptions (then the garbage is
    // refused as a CSR instead); pick a corruption that is not such a case,
    // using the RA's rejection secret, so the test is deterministic.
    for (let i = 0; i < 64; i++) {
      const env = craftEnvelope({ content: csr, recipient: ra.cert, mutateEncryptedKey: (k) => patchByte(k, k, 17 + i) });
      const synthetic = await unwrapPkcs1(ra.key, ra.decryption.rejectionSecret, env.encryptedKey, Ciphers[env.cipher].keyLength);
      let paddingFails = false;
      try {
        decryptContent(env.cipher, synthetic, env.iv, env.ciphertext);
      } catch {
        paddingFails = true;
      }
      if (!paddingFails) continue;
      const r = rejection(await decodeRequest(craftRequest({ signer: device, content: env.der }), keys));
      expect(r.failInfo).toBe(FailInfo.badMessageCheck);
      return;
    }
    throw new Error("no suitable corruption in 64 tries");
  });

  it("fail/corrupted ciphertext (last padding byte changed) → badMessageCheck", async () => {
    // CBC: flipping bit 7 in the last byte of the second-to-last block (or the IV) flips it in the last plaintext byte, a pad value ≤ 16.
    const env = craftEnvelope({
      content: csr,
      recipient: ra.cert,
      mutateCiphertext: (c) => patchByte(c, c, c.length - 17, (b) => b ^ 0x80),
    });
    expect(rejection(await decodeRequest(craftRequest({ signer: device, content: env.der }), keys)).failInfo).toBe(FailInfo.badMessageCheck);
  });

  it("fail/ciphertext cut to a partial block → badMessageCheck", async () => {
    const env = craftEnvelope({ content: csr, recipient: ra.cert, mutateCiphertext: (c) => c.subarray(0, c.length - 5) });
    expect(rejection(await decodeRequest(craftRequest({ signer: device, content: env.der }), keys)).failInfo).toBe(FailInfo.badMessageCheck);
  });

  it("fail/a CSR with a bad self-signature → badMessageCheck", async () => {
    const der = craftRequest({ signer: device, content: envelopeToRa(csrWithBadSignature(device.key)) });
    expect(rejection(await decodeRequest(der, keys)).failInfo).toBe(FailInfo.badMessageCheck);
  });

  it("fail/an unsupported digest algorithm (invented OID) → badAlg", async () => {
    const der = craftWithDigestOid({ signer: device, content: envelopeToRa(), digestOid: "1.3.6.1.4.1.55555.1.2" });
    const r = rejection(await decodeRequest(der, keys));
    expect(r.failInfo).toBe(FailInfo.badAlg);
    expect(r.digest).toBeUndefined();
    expect(r.transactionId).toBe("crafted-tx");
  });

  it("ok/the digest crafter itself is sound: the same message with the real OID is accepted", async () => {
    expect((await decodeRequest(craftWithDigestOid({ signer: device, content: envelopeToRa(), digestOid: Oid.sha256 }), keys)).ok).toBe(true);
  });

  it("fail/an unsupported content cipher (RC2-CBC 1.2.840.113549.3.2) → badAlg", async () => {
    const env = craftEnvelope({ content: csr, recipient: ra.cert, cipher: "des3", cipherOid: "1.2.840.113549.3.2" });
    expect(rejection(await decodeRequest(craftRequest({ signer: device, content: env.der }), keys)).failInfo).toBe(FailInfo.badAlg);
  });

  it("fail/an unsupported key transport (invented OID) → badAlg", async () => {
    const env = craftEnvelope({ content: csr, recipient: ra.cert, keyEncryptionOid: "1.3.6.1.4.1.55555.9" });
    expect(rejection(await decodeRequest(craftRequest({ signer: device, content: env.der }), keys)).failInfo).toBe(FailInfo.badAlg);
  });

  it("ok/the envelope crafter itself is sound: unaltered, it is accepted", async () => {
    const env = craftEnvelope({ content: csr, recipient: ra.cert, cipher: "des3" });
    expect((await decodeRequest(craftRequest({ signer: device, content: env.der }), keys)).ok).toBe(true);
  });
});

describe("undecodable → throws MalformedMessageError", () => {
  const malformed = async (der: Uint8Array): Promise<void> => {
    await expect(decodeRequest(der, keys)).rejects.toThrow(MalformedMessageError);
  };

  it("fail/random bytes (200 buffers, bare and wrapped in a SEQUENCE)", async () => {
    for (let i = 0; i < 100; i++) {
      const bytes = randomBytes(1 + Math.floor(Math.random() * 600));
      await malformed(bytes);
      await malformed(seq(bytes));
    }
  });

  it("fail/the empty message", async () => {
    await malformed(new Uint8Array(0));
  });

  it("fail/every prefix of a real vector (all of the first 64, then sampled)", async () => {
    const vector = requestVectors()[0]!;
    const der = vector.file("request.der");
    expect((await decodeRequest(der, [vector.decryptionKey("ca.crt.pem", "ca.key.pem")])).ok).toBe(true);
    const lengths = new Set<number>();
    for (let n = 0; n < Math.min(64, der.length); n++) lengths.add(n);
    for (let n = 64; n < der.length; n += 1 + Math.floor(Math.random() * 23)) lengths.add(n);
    lengths.add(der.length - 1);
    for (const n of lengths) await malformed(der.subarray(0, n));
  });

  it("fail/a message with trailing bytes after the ContentInfo", async () => {
    await malformed(Buffer.concat([goodRequest().der, Uint8Array.of(0)]));
  });

  it("fail/a huge length field (0x30 0x84 ff ff ff ff …) at the top and inside", async () => {
    await malformed(Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x06, 0x09, 0x2a));
    await malformed(Uint8Array.of(0x30, 0x89, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x00));
    await malformed(seq(oid(Oid.signedData), tlv(0xa0, Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01))));
  });

  it("fail/indefinite length on a primitive element", async () => {
    await malformed(Uint8Array.of(0x04, 0x80, 0x01, 0x02, 0x00, 0x00));
    await malformed(seq(oid(Oid.signedData), tlv(0xa0, Uint8Array.of(0x04, 0x80, 0x01, 0x00, 0x00))));
  });

  it("fail/10,000 nested SEQUENCEs (definite and indefinite) do not blow the stack", async () => {
    for (const indefinite of [false, true]) {
      const nested = nestedSequences(10_000, indefinite);
      await malformed(nested);
      await malformed(seq(oid(Oid.signedData), tlv(0xa0, nested)));
      await malformed(Buffer.concat([Uint8Array.of(0x30, 0x80), oid(Oid.signedData), Uint8Array.of(0xa0, 0x80), nested, new Uint8Array(4)]));
    }
  });

  it("fail/a ContentInfo of another type (envelopedData, data)", async () => {
    await malformed(envelopeToRa());
    await malformed(contentInfo(Oid.data, octets(csr)));
  });

  it("fail/a SignedData without signerInfo (certs-only)", async () => {
    await malformed(degenerateSignedData([device.cert.der]));
  });

  it("fail/a SignedData whose eContent [0] is empty", async () => {
    await malformed(replaceEncapContent(goodRequest().der, seq(oid(Oid.data), ctx(0))));
  });

  it("ok/replaceEncapContent itself is sound: the same eContent back gives the original message", () => {
    const { der } = goodRequest();
    const same = replaceEncapContent(der, seq(oid(Oid.data), ctx(0, octets(parseSignedData(der).content!))));
    expect(Buffer.from(same)).toEqual(Buffer.from(der));
  });

  it("fail/random byte mutations of every real request give a rejection or MalformedMessageError, nothing else", async () => {
    const outcomes = new Map<string, number>();
    for (const v of requestVectors()) {
      const der = v.file("request.der");
      const vectorKeys = [v.decryptionKey("ca.crt.pem", "ca.key.pem")];
      for (let n = 0; n < 200; n++) {
        const m = Buffer.from(der);
        for (let k = 0; k < 1 + (n % 3); k++) m[Math.floor(Math.random() * m.length)] = Math.floor(Math.random() * 256);
        let outcome: string;
        try {
          const d = await decodeRequest(m, vectorKeys);
          outcome = d.ok ? "ok" : `failInfo ${d.rejection.failInfo}`;
        } catch (err) {
          outcome = err instanceof MalformedMessageError ? "malformed" : `threw ${String(err)}`;
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    }
    expect([...outcomes.keys()].filter((o) => o.startsWith("threw"))).toEqual([]);
    expect(outcomes.get("malformed")).toBeGreaterThan(0);
    expect(outcomes.get(`failInfo ${FailInfo.badMessageCheck}`)).toBeGreaterThan(0);
  });
});

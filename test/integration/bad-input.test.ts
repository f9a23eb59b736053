/**
 * Bad input against the running scepgate process, over HTTP (DESIGN.md
 * "Errors have two channels"):
 * - bytes we cannot decode or authenticate → HTTP 400 (413 when too large)
 *   with one line of text/plain and no stack trace; the process stays up;
 * - a message we can decode but not accept → HTTP 200 with a CertRep FAILURE
 *   signed by the RA, carrying the right failInfo.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FailInfo, MessageType, PkiStatus, type CertRep } from "../../src/protocol/index.js";
import { startScepgate, type Scepgate } from "../harness/scepgate.js";
import {
  breakPadding, craftMessage, csrOf, fetchRaView, flipLastByte, getRaw, issuerAndSubject, makeDevice, postPkiOperation, readCertRep,
  readSignedAttributes, replaceBytes, request, type Device, type HttpAnswer, type RaView, type Request,
} from "./support/craft-http.js";

const CHALLENGE = "bad-input-s3cret";

/** DER of the OIDs aes128-CBC (2.16.840.1.101.3.4.1.2) and aes128-GCM (…1.6): same length, one supported. */
const AES128_CBC_OID = Uint8Array.of(0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02);
const AES128_GCM_OID = Uint8Array.of(0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x06);

describe("scepgate: bad input over HTTP", () => {
  let gate: Scepgate;
  let view: RaView;
  let device: Device;
  let other: Device;

  beforeAll(async () => {
    gate = await startScepgate({ config: { profiles: { default: { challenge: { mode: "static", value: CHALLENGE } } } } });
    view = await fetchRaView(gate.url);
    device = makeDevice("bad-input-device");
    other = makeDevice("bad-input-other");
  });

  afterAll(async () => {
    await gate?.stop();
  });

  /** A PKCSReq of `d` that policy accepts, unless told otherwise. */
  function pkcsReq(d: Device, o: Partial<Parameters<typeof request>[0]> & { challenge?: string | null } = {}): Request {
    const challenge = o.challenge === null ? undefined : (o.challenge ?? CHALLENGE);
    return request({ device: d, recipient: view.ra, messageData: csrOf(d, { challenge }), ...o });
  }

  /** HTTP 4xx with one line of text/plain and nothing that looks like a stack trace. */
  function expectOneLine(a: HttpAnswer, status: number, line?: string | RegExp): void {
    expect(a.status, a.text).toBe(status);
    expect(a.contentType).toMatch(/^text\/plain/);
    const text = a.text.replace(/\r?\n$/, "");
    expect(text.length).toBeGreaterThan(0);
    expect(text.length).toBeLessThan(300);
    expect(text).not.toMatch(/[\r\n]/);
    expect(a.text).not.toMatch(/^\s*at /m);
    expect(a.text).not.toMatch(/\.ts:\d+|node_modules|Error:/);
    if (typeof line === "string") expect(text).toBe(line);
    else if (line) expect(text).toMatch(line);
  }

  /** HTTP 200, a CertRep FAILURE that decodeCertRep accepts (RA-signed, our transactionID and nonce), with this failInfo. */
  async function expectFailure(a: HttpAnswer, req: Request | undefined, d: Device, failInfo: FailInfo): Promise<CertRep> {
    expect(a.status, a.text).toBe(200);
    expect(a.contentType).toBe("application/x-pki-message");
    const rep = await readCertRep(a.body, view.ra, d, req);
    expect(rep.status).toBe(PkiStatus.FAILURE);
    expect(rep.failInfo, rep.failInfoText).toBe(failInfo);
    expect(Buffer.from(rep.signer.der).equals(Buffer.from(view.ra.der))).toBe(true);
    return rep;
  }

  describe("undecodable → HTTP 400/413, one line", () => {
    it("fail/a POST body that is not DER", async () => {
      expectOneLine(await postPkiOperation(gate.url, Buffer.from("hello, this is not a pkiMessage\n")), 400, /^not a SCEP pkiMessage: /);
    });

    it("fail/the truncated DER of a valid request", async () => {
      const der = pkcsReq(device).der;
      expectOneLine(await postPkiOperation(gate.url, der.subarray(0, Math.floor(der.length / 2))), 400, /^not a SCEP pkiMessage: /);
      expectOneLine(await postPkiOperation(gate.url, der.subarray(0, der.length - 1)), 400, /^not a SCEP pkiMessage: /);
    });

    it("fail/a huge length field", async () => {
      const huge = /^not a SCEP pkiMessage: /;
      expectOneLine(await postPkiOperation(gate.url, Uint8Array.of(0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x01, 0x00)), 400, huge);
      expectOneLine(await postPkiOperation(gate.url, Uint8Array.of(0x30, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00)), 400, huge);
    });

    it("fail/GET message that is not base64", async () => {
      expectOneLine(await getRaw(gate.url, "?operation=PKIOperation&message=%21%21not*base64%21%21"), 400, "message is not base64");
    });

    it("fail/unknown operation", async () => {
      expectOneLine(await getRaw(gate.url, "?operation=Frobnicate"), 400, /unknown operation/);
    });

    it("fail/missing operation", async () => {
      expectOneLine(await getRaw(gate.url, ""), 400, /missing operation/);
      expectOneLine(await getRaw(gate.url, "?message=abc"), 400, /missing operation/);
    });

    it("fail/a body over 64 KiB → 413", async () => {
      expectOneLine(await postPkiOperation(gate.url, randomBytes(64 * 1024 + 1)), 413, "body too large");
    });

    it("fail/a chunked body (no Content-Length) over 64 KiB → 413", async () => {
      const chunk = randomBytes(16 * 1024);
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 5) controller.close();
          else controller.enqueue(chunk);
          sent++;
        },
      });
      const res = await fetch(`${gate.url}?operation=PKIOperation`, { method: "POST", body, duplex: "half" } as RequestInit);
      const text = await res.text();
      expectOneLine({ status: res.status, contentType: res.headers.get("content-type") ?? "", body: Buffer.from(text), text }, 413, "body too large");
    });

    it("ok/the process is still up afterwards (GetCACaps 200)", async () => {
      const caps = await getRaw(gate.url, "?operation=GetCACaps");
      expect(caps.status).toBe(200);
      expect(caps.text).toContain("POSTPKIOperation");
      expect(gate.lastExit()).toBeUndefined();
      expect(gate.output()).not.toMatch(/^\s+at /m);
    });
  });

  describe("decodable but unacceptable → CertRep FAILURE signed by the RA", () => {
    it("fail/bad signature → badMessageCheck", async () => {
      const req = pkcsReq(device);
      await expectFailure(await postPkiOperation(gate.url, flipLastByte(req.der)), req, device, FailInfo.badMessageCheck);
    });

    it("fail/unknown messageType → badRequest", async () => {
      const req = pkcsReq(device, { messageType: "99" });
      await expectFailure(await postPkiOperation(gate.url, req.der), req, device, FailInfo.badRequest);
    });

    it("fail/missing transactionID → badRequest", async () => {
      const senderNonce = randomBytes(16);
      const der = craftMessage({
        device,
        recipient: view.ra,
        messageData: csrOf(device, { challenge: CHALLENGE }),
        attributes: { messageType: MessageType.PKCSReq, senderNonce },
      });
      const a = await postPkiOperation(gate.url, der);
      expect(a.status, a.text).toBe(200);
      // decodeCertRep insists on a transactionID, and there is none to echo: check the signature and read the attributes.
      const attrs = readSignedAttributes(a.body, view.ra);
      expect(attrs).toMatchObject({ messageType: MessageType.CertRep, pkiStatus: PkiStatus.FAILURE, failInfo: FailInfo.badRequest });
      expect(Buffer.from(attrs.recipientNonce ?? []).equals(senderNonce)).toBe(true);
    });

    it("fail/missing senderNonce → badRequest", async () => {
      const transactionId = randomBytes(20).toString("hex");
      const der = craftMessage({
        device,
        recipient: view.ra,
        messageData: csrOf(device, { challenge: CHALLENGE }),
        attributes: { messageType: MessageType.PKCSReq, transactionId },
      });
      const a = await postPkiOperation(gate.url, der);
      const rep = await expectFailure(a, undefined, device, FailInfo.badRequest);
      expect(rep.transactionId).toBe(transactionId);
      expect(rep.recipientNonce).toBeUndefined();
    });

    it("fail/envelope for another certificate → badCertId", async () => {
      const req = pkcsReq(device, { recipient: other.cert });
      await expectFailure(await postPkiOperation(gate.url, req.der), req, device, FailInfo.badCertId);
    });

    it("fail/undecryptable content → badMessageCheck", async () => {
      const req = pkcsReq(device, { cipher: "aes128", editEnvelope: (env) => breakPadding(env) });
      await expectFailure(await postPkiOperation(gate.url, req.der), req, device, FailInfo.badMessageCheck);
    });

    it("fail/CSR with a bad self-signature → badMessageCheck", async () => {
      const csr = flipLastByte(csrOf(device, { challenge: CHALLENGE }));
      const req = request({ device, recipient: view.ra, messageData: csr });
      await expectFailure(await postPkiOperation(gate.url, req.der), req, device, FailInfo.badMessageCheck);
    });

    it("fail/unsupported content cipher (aes128-GCM) → badAlg", async () => {
      const req = pkcsReq(device, { cipher: "aes128", editEnvelope: (env) => replaceBytes(env, AES128_CBC_OID, AES128_GCM_OID) });
      await expectFailure(await postPkiOperation(gate.url, req.der), req, device, FailInfo.badAlg);
    });

    it("fail/wrong challenge → badRequest with failInfoText", async () => {
      const d = makeDevice(`wrong-challenge-${randomBytes(4).toString("hex")}`);
      const req = pkcsReq(d, { challenge: "definitely-wrong" });
      const rep = await expectFailure(await postPkiOperation(gate.url, req.der), req, d, FailInfo.badRequest);
      expect(rep.failInfoText).toMatch(/challenge/i);
      expect(rep.failInfoText).not.toContain("definitely-wrong");
      expect(rep.failInfoText).not.toContain(CHALLENGE);
    });

    it("fail/missing challenge → badRequest", async () => {
      const d = makeDevice(`no-challenge-${randomBytes(4).toString("hex")}`);
      const req = pkcsReq(d, { challenge: null });
      const rep = await expectFailure(await postPkiOperation(gate.url, req.der), req, d, FailInfo.badRequest);
      expect(rep.failInfoText).toMatch(/challenge/i);
    });

    it("fail/RSA 1024 key → badRequest", async () => {
      const weak = makeDevice(`rsa1024-${randomBytes(4).toString("hex")}`, 1024);
      const req = pkcsReq(weak);
      const rep = await expectFailure(await postPkiOperation(gate.url, req.der), req, weak, FailInfo.badRequest);
      expect(rep.failInfoText).toMatch(/1024|key/i);
    });

    it("fail/CertPoll for an unknown transaction → badCertId", async () => {
      const req = request({ device, recipient: view.ra, messageType: MessageType.CertPoll, messageData: issuerAndSubject(view.ca, device) });
      await expectFailure(await postPkiOperation(gate.url, req.der), req, device, FailInfo.badCertId);
    });

    it("fail/CertPoll signed by a different key than the original → badCertId", async () => {
      const owner = makeDevice(`poll-owner-${randomBytes(4).toString("hex")}`);
      const enrolled = pkcsReq(owner);
      const ok = await readCertRep((await postPkiOperation(gate.url, enrolled.der)).body, view.ra, owner, enrolled);
      expect(ok.status, ok.failInfoText).toBe(PkiStatus.SUCCESS);
      expect(ok.certificates.length).toBeGreaterThan(0);
      // The owner itself may poll…
      const mine = request({ device: owner, recipient: view.ra, messageType: MessageType.CertPoll, messageData: issuerAndSubject(view.ca, owner), transactionId: enrolled.transactionId });
      expect((await readCertRep((await postPkiOperation(gate.url, mine.der)).body, view.ra, owner, mine)).status).toBe(PkiStatus.SUCCESS);
      // …another key may not.
      const thief = request({ device: other, recipient: view.ra, messageType: MessageType.CertPoll, messageData: issuerAndSubject(view.ca, owner), transactionId: enrolled.transactionId });
      const rep = await expectFailure(await postPkiOperation(gate.url, thief.der), thief, other, FailInfo.badCertId);
      expect(rep.certificates).toEqual([]);
    });

    it("fail/a senderNonce replayed on a different message → badRequest", async () => {
      const first = makeDevice(`nonce-first-${randomBytes(4).toString("hex")}`);
      const second = makeDevice(`nonce-second-${randomBytes(4).toString("hex")}`);
      const a = pkcsReq(first);
      expect((await readCertRep((await postPkiOperation(gate.url, a.der)).body, view.ra, first, a)).status).toBe(PkiStatus.SUCCESS);
      const b = pkcsReq(second, { senderNonce: a.senderNonce });
      const rep = await expectFailure(await postPkiOperation(gate.url, b.der), b, second, FailInfo.badRequest);
      expect(rep.failInfoText).toMatch(/nonce/i);
      // The very same message again is a resend, not a replay: it gets the same answer as the first time.
      const again = await readCertRep((await postPkiOperation(gate.url, a.der)).body, view.ra, first, a);
      expect(again.status).toBe(PkiStatus.SUCCESS);
    });

    it("ok/still up after all of it, and the log has no stack trace", async () => {
      expect((await getRaw(gate.url, "?operation=GetCACaps")).status).toBe(200);
      expect(gate.lastExit()).toBeUndefined();
      expect(gate.output()).not.toMatch(/^\s+at /m);
      expect(gate.output()).not.toContain(CHALLENGE);
    });
  });
});

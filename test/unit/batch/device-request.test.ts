/** What the RA makes for a batch device: subject, CSR, transactionID, the CSR without the upstream challenge. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateKey, parseCertificate, parseCsr, parseSubjectAltName, Oid, spkiOf } from "../../../src/crypto/index.js";
import type { BatchDevice } from "../../../src/ra/batch-devices.js";
import { batchChallenge } from "../../../src/ra/batch-enrollment.js";
import { buildDeviceCsr, deviceRequesterCertificate, deviceSubject, deviceTransactionId, withoutChallengePassword } from "../../../src/ra/batch-request.js";
import { withChallengePassword } from "../../../src/upstream/csr-challenge.js";

const device = (over: Partial<BatchDevice> = {}): BatchDevice => ({
  line: 2, name: "r1", cn: "router, one", o: "Ex\\ample", ou: "Net", c: "DE", dns: ["r1.example"], ip: ["192.0.2.1"], email: ["ops@example.com"], key: "ec-p256", ...over,
});

describe("batch device request", () => {
  it("ok/subject in C, O, OU, CN order with , and \\ escaped; SANs as listed", async () => {
    const key = await generateKey("ec-p256");
    expect(deviceSubject(device())).toBe("C=DE, O=Ex\\\\ample, OU=Net, CN=router\\, one");
    const csr = parseCsr(buildDeviceCsr(device(), key, undefined));
    expect(csr.verify()).toBe(true);
    expect(csr.subjectAttributes.map((a) => [a.type, a.value])).toEqual([["C", "DE"], ["O", "Ex\\ample"], ["OU", "Net"], ["CN", "router, one"]]);
    expect(parseSubjectAltName(csr.extensions.get(Oid.subjectAltName)!.value)).toEqual(["email:ops@example.com", "DNS:r1.example", "IP:192.0.2.1"]);
    expect(csr.challengePassword).toBeUndefined();
  });

  it("ok/no SANs: no extension request", async () => {
    const csr = parseCsr(buildDeviceCsr(device({ dns: [], ip: [], email: [] }), await generateKey("ec-p256"), "pw"));
    expect(csr.extensions.size).toBe(0);
    expect(csr.challengePassword).toBe("pw");
  });

  it("ok/the transactionID is the SHA-256 of the SPKI, the same for the same key", async () => {
    const key = await generateKey("ec-p256");
    expect(deviceTransactionId(key)).toBe(createHash("sha256").update(spkiOf(key)).digest("hex"));
    expect(deviceTransactionId(key)).toMatch(/^[0-9a-f]{64}$/);
  });

  // Regression: the stored CSR must not hold the upstream's password, and the upstream client must restore the signed bytes.
  it.each(["short", "a much longer upstream challenge password with spaces: 0123456789", "ünïcode-pässword"])(
    "ok/a CSR signed over the upstream challenge %j, stored without it, gets back its exact signed bytes from the upstream client",
    async (challenge) => {
      for (const spec of ["ec-p256", "rsa-2048"] as const) {
        const key = await generateKey(spec);
        for (const d of [device(), device({ dns: [], ip: [], email: [] }), device({ dns: Array.from({ length: 20 }, (_, i) => `host${i}.example`) })]) {
          const signed = buildDeviceCsr(d, key, challenge);
          const stored = withoutChallengePassword(signed);
          expect(parseCsr(stored).challengePassword).toBeUndefined();
          expect(Buffer.from(stored).includes(Buffer.from(challenge))).toBe(false);
          const forwarded = withChallengePassword(stored, challenge);
          expect(Buffer.from(forwarded).equals(Buffer.from(signed))).toBe(true);
          expect(parseCsr(forwarded).verify()).toBe(true);
        }
      }
    },
    30_000,
  );

  it("ok/the challenge: the upstream's when the profile has one, else the row's, else none", () => {
    expect(batchChallenge(device({ challenge: "row" }), "upstream")).toBe("upstream");
    expect(batchChallenge(device({ challenge: "row" }), undefined)).toBe("row");
    expect(batchChallenge(device(), undefined)).toBeUndefined();
  });

  it("ok/the requester certificate is self-signed for the device key", async () => {
    const key = await generateKey("ec-p256");
    const cert = parseCertificate(deviceRequesterCertificate(device(), key, new Date()));
    expect(cert.isSelfIssued).toBe(true);
    expect(Buffer.compare(cert.spki, spkiOf(key))).toBe(0);
    expect(cert.subjectText()).toBe("C=DE, O=Ex\\\\ample, OU=Net, CN=router\\, one");
  });
});

/** The challenge webhook's request body (step-ca's SCEPCHALLENGE shape) and how its answers are read. */
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildCsr, buildName, Oid, parseCsr, subjectAltName } from "../../../src/crypto/index.js";
import { challengeWebhookBody, DEFAULT_DENY_REASON, parseChallengeAnswer } from "../../../src/policy/challenge-webhook.js";
import type { PolicyInput } from "../../../src/ra/ports.js";

function input(): PolicyInput {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const der = buildCsr({
    subject: buildName("CN=router-7, O=lab"),
    key: privateKey,
    challengePassword: "device-pw",
    extensions: [{ oid: Oid.subjectAltName, value: subjectAltName({ dns: ["router-7.example.net"], ip: ["192.0.2.7"] }) }],
  });
  return {
    profile: "routers", csr: parseCsr(der), messageType: "19", requesterCertDer: new Uint8Array(), now: new Date("2026-03-01T10:00:00Z"),
    transactionId: "tx-7", context: { clientAddress: "192.0.2.70", userAgent: "pki" },
  };
}

describe("challenge webhook body", () => {
  it("ok/step-ca's SCEPCHALLENGE fields, plus scepgate's own", () => {
    const i = input();
    const body = challengeWebhookBody(i) as { scepgate: { subject: string } };
    expect(body).toMatchObject({
      timestamp: "2026-03-01T10:00:00.000Z",
      provisionerName: "routers",
      scepChallenge: "device-pw",
      scepTransactionID: "tx-7",
      x509CertificateRequest: {
        raw: Buffer.from(i.csr.der).toString("base64"),
        subject: { commonName: "router-7" },
        dnsNames: ["router-7.example.net"],
        ipAddresses: ["192.0.2.7"],
        publicKeyAlgorithm: "ECDSA",
      },
      scepgate: {
        profile: "routers", messageType: "PKCSReq", sans: ["DNS:router-7.example.net", "IP:192.0.2.7"],
        key: { type: "ec", bits: 256, curve: "P-256" }, clientAddress: "192.0.2.70", userAgent: "pki",
      },
    });
    expect(body.scepgate.subject).toContain("CN=router-7");
  });
});

describe("challenge webhook answer", () => {
  it("ok/allow true", () => expect(parseChallengeAnswer('{"allow":true}')).toEqual({ kind: "allow" }));

  it("ok/allow false with its reason (step-ca's `error` too), printable ASCII only", () => {
    expect(parseChallengeAnswer('{"allow":false,"reason":"device not enrolled"}')).toEqual({ kind: "deny", reason: "device not enrolled" });
    expect(parseChallengeAnswer('{"allow":false,"error":"unknown"}')).toEqual({ kind: "deny", reason: "unknown" });
    expect(parseChallengeAnswer('{"allow":false,"reason":"bad\\nline\\u00e9"}')).toEqual({ kind: "deny", reason: "badline" });
    expect(parseChallengeAnswer('{"allow":false}')).toEqual({ kind: "deny", reason: DEFAULT_DENY_REASON });
  });

  it("fail/not JSON, or no boolean allow: unavailable", () => {
    expect(parseChallengeAnswer("ok").kind).toBe("unavailable");
    expect(parseChallengeAnswer('{"allow":"yes"}').kind).toBe("unavailable");
    expect(parseChallengeAnswer("null").kind).toBe("unavailable");
  });
});

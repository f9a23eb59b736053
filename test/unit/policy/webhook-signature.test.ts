/** The HMAC signature of scepgate's webhooks: what a receiver computes and checks. */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signatureHeader, signedHeaders, verifySignature, webhookKey } from "../../../src/policy/webhook-signature.js";

const SECRET = "webhook-secret-0123456789";
const BODY = '{"event":"issued","id":"abc"}';
const NOW = new Date("2026-03-01T10:00:00.000Z");
const T = NOW.getTime() / 1000;

describe("webhook signature (X-Scepgate-Signature)", () => {
  it("ok/t=<unix>,v1=HMAC-SHA256(secret, t + '.' + body), as a receiver recomputes it", () => {
    const header = signatureHeader(SECRET, BODY, T);
    const expected = createHmac("sha256", SECRET).update(`${T}.${BODY}`).digest("hex");
    expect(header).toBe(`t=${T},v1=${expected}`);
    expect(verifySignature(SECRET, header, BODY, NOW)).toBe("valid");
  });

  it("ok/X-Smallstep-Signature is HMAC-SHA256(secret, body) in hex, as step-ca sends", () => {
    const headers = signedHeaders(SECRET, BODY, NOW);
    expect(headers["x-smallstep-signature"]).toBe(createHmac("sha256", SECRET).update(BODY).digest("hex"));
    expect(verifySignature(SECRET, headers["x-scepgate-signature"], BODY, NOW)).toBe("valid");
  });

  it("ok/a base64: secret is the decoded bytes (step-ca's secrets)", () => {
    const raw = Buffer.from("0123456789abcdef0123");
    expect(webhookKey(`base64:${raw.toString("base64")}`)).toEqual(raw);
    const header = signatureHeader(`base64:${raw.toString("base64")}`, BODY, T);
    expect(header.endsWith(createHmac("sha256", raw).update(`${T}.${BODY}`).digest("hex"))).toBe(true);
  });

  it("fail/another body, another secret or a tampered hex is a mismatch", () => {
    const header = signatureHeader(SECRET, BODY, T);
    expect(verifySignature(SECRET, header, `${BODY} `, NOW)).toBe("mismatch");
    expect(verifySignature("another-secret-0123456789", header, BODY, NOW)).toBe("mismatch");
    expect(verifySignature(SECRET, header.replace(/.$/, (c) => (c === "0" ? "1" : "0")), BODY, NOW)).toBe("mismatch");
  });

  it("fail/a timestamp older than the tolerance is stale (a replay)", () => {
    const header = signatureHeader(SECRET, BODY, T - 301);
    expect(verifySignature(SECRET, header, BODY, NOW)).toBe("stale");
    expect(verifySignature(SECRET, header, BODY, NOW, 600)).toBe("valid");
  });

  it("fail/a missing or malformed header", () => {
    expect(verifySignature(SECRET, undefined, BODY, NOW)).toBe("malformed");
    expect(verifySignature(SECRET, "v1=abc", BODY, NOW)).toBe("malformed");
    expect(verifySignature(SECRET, `t=${T},v1=xyz`, BODY, NOW)).toBe("malformed");
  });
});

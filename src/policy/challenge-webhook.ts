/**
 * `challenge.mode: webhook`: each PKCSReq/RenewalReq's challengePassword
 * (RFC 8894 §2.5) is POSTed, signed, to the profile's webhook, which answers
 * `{"allow": true|false, "reason": "…"}`.
 *
 * The body follows step-ca's SCEPCHALLENGE webhook (`scepChallenge`,
 * `scepTransactionID`, `provisionerName`, `x509CertificateRequest`, and the
 * `X-Smallstep-Signature` header), so a webhook server written for step-ca
 * works; scepgate's own fields are under `scepgate`. step-ca's answer field
 * `error` is read as the reason when `reason` is absent.
 */
import type { Csr } from "../crypto/index.js";
import { csrSubjectAltNames } from "../ra/new-transaction.js";
import type { PolicyInput } from "../ra/ports.js";
import { postSignedJson } from "./webhook-post.js";

/** Where and how a profile's challenge webhook is asked. */
export interface ChallengeWebhookOptions {
  url: string;
  secret: string;
  timeoutMs: number;
}

/** The webhook's verdict, or why there was none. */
export type ChallengeVerdict =
  | { kind: "allow" }
  | { kind: "deny"; reason: string }
  | { kind: "unavailable"; detail: string };

/** The reason a device is told when the webhook denies without one. */
export const DEFAULT_DENY_REASON = "challenge password is not valid";
/** Longest reason passed on to a device (failInfoText) from the webhook. */
const MAX_REASON_CHARS = 200;

const SAN_FIELDS = { "DNS:": "dnsNames", "IP:": "ipAddresses", "email:": "emailAddresses", "URI:": "uris" } as const;

/** The CSR as step-ca's `x509CertificateRequest` describes it (the fields that fit). */
function certificateRequestOf(csr: Csr): Record<string, unknown> {
  const out: Record<string, string[]> = { dnsNames: [], ipAddresses: [], emailAddresses: [], uris: [] };
  for (const san of csrSubjectAltNames(csr)) {
    for (const [prefix, field] of Object.entries(SAN_FIELDS)) if (san.startsWith(prefix)) out[field]?.push(san.slice(prefix.length));
  }
  const key = csr.key();
  return {
    raw: Buffer.from(csr.der).toString("base64"),
    subject: { commonName: csr.commonName ?? "" },
    ...out,
    publicKeyAlgorithm: key.type === "rsa" ? "RSA" : key.type === "ec" ? "ECDSA" : "unknown",
  };
}

/** The JSON body POSTed for one request (holds the challenge password: never log it). */
export function challengeWebhookBody(input: PolicyInput): Record<string, unknown> {
  const key = input.csr.key();
  return {
    timestamp: input.now.toISOString(),
    provisionerName: input.profile,
    scepChallenge: input.csr.challengePassword ?? "",
    scepTransactionID: input.transactionId ?? "",
    x509CertificateRequest: certificateRequestOf(input.csr),
    scepgate: {
      profile: input.profile,
      messageType: input.messageType === "17" ? "RenewalReq" : "PKCSReq",
      subject: input.csr.subjectText,
      sans: csrSubjectAltNames(input.csr),
      key: { type: key.type, bits: key.bits, ...(key.curve ? { curve: key.curve } : {}) },
      clientAddress: input.context?.clientAddress ?? null,
      userAgent: input.context?.userAgent ?? null,
    },
  };
}

/** Reads the webhook's answer body: `{"allow": boolean, "reason"?: string}`. */
export function parseChallengeAnswer(text: string): ChallengeVerdict {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "unavailable", detail: "the answer is not JSON" };
  }
  if (typeof value !== "object" || value === null || typeof (value as { allow?: unknown }).allow !== "boolean") {
    return { kind: "unavailable", detail: 'the answer has no boolean "allow"' };
  }
  const v = value as { allow: boolean; reason?: unknown; error?: unknown };
  if (v.allow) return { kind: "allow" };
  const given = typeof v.reason === "string" ? v.reason : typeof v.error === "string" ? v.error : "";
  // Printable ASCII only: the reason becomes the CertRep's failInfoText.
  const reason = given.replace(/[^\x20-\x7e]/g, "").trim().slice(0, MAX_REASON_CHARS);
  return { kind: "deny", reason: reason || DEFAULT_DENY_REASON };
}

/** Asks the webhook about one request. Never throws. */
export async function askChallengeWebhook(o: ChallengeWebhookOptions, input: PolicyInput): Promise<ChallengeVerdict> {
  const body = JSON.stringify(challengeWebhookBody(input));
  const answer = await postSignedJson({
    url: o.url, secret: o.secret, body, timeoutMs: o.timeoutMs, now: input.now,
    headers: { "x-smallstep-webhook-id": `scepgate-${input.profile}` },
  });
  if (answer.kind === "error") return { kind: "unavailable", detail: answer.reason };
  if (answer.status < 200 || answer.status > 299) return { kind: "unavailable", detail: `HTTP ${answer.status}` };
  return parseChallengeAnswer(answer.text);
}

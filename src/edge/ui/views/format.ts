/**
 * Small pieces of the web page's HTML: state badges, times, keys, challenge
 * outcomes, in words (a state is never shown by color alone). Every value
 * goes through hono's `html` tag, which escapes it.
 */
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { ChallengeOutcome, Transaction, TransactionState } from "../../../ra/ports.js";

/** What the views return (hono's `html` tag may return a Promise when a part is one). */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** Operator words for each state. */
export const STATE_LABEL: Readonly<Record<TransactionState, string>> = {
  received: "Received",
  pending_approval: "Pending approval",
  approved: "Approved",
  forwarding: "Forwarding",
  upstream_pending: "Pending at the CA",
  issued: "Issued",
  rejected: "Rejected",
  failed: "Failed",
};

/** A glyph before the label, for scanning a long list (decorative: hidden from screen readers). */
const STATE_MARK: Readonly<Record<TransactionState, string>> = {
  received: "○",
  pending_approval: "◆",
  approved: "→",
  forwarding: "→",
  upstream_pending: "…",
  issued: "✓",
  rejected: "✕",
  failed: "!",
};

/** The states in the order the page lists them (what needs an operator first). */
export const STATE_DISPLAY_ORDER: readonly TransactionState[] = [
  "pending_approval", "received", "approved", "forwarding", "upstream_pending", "issued", "rejected", "failed",
];

export function stateBadge(state: TransactionState): Html {
  return html`<span class="badge state-${state}"><span class="mark" aria-hidden="true">${STATE_MARK[state]}</span> ${STATE_LABEL[state] ?? state}</span>`;
}

/** `2025-11-24 08:31:05 UTC` */
export function utcText(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** A `<time>` element in UTC. */
export function when(iso: string | undefined): Html {
  if (iso === undefined) return html`<span class="none">—</span>`;
  return html`<time datetime="${iso}">${utcText(iso)}</time>`;
}

/** `RSA 2048`, `EC P-256 (256 bits)`. */
export function keyText(key: Transaction["key"]): string {
  if (key.type === "rsa") return `RSA ${key.bits}`;
  if (key.type === "ec") return `EC ${key.curve ?? "?"} (${key.bits} bits)`;
  return "unsupported key type";
}

const CHALLENGE_TEXT: Readonly<Record<ChallengeOutcome, string>> = {
  "not-required": "not required by the profile",
  valid: "valid (static password)",
  "otp-valid": "valid (one-time password, now used)",
  missing: "missing",
  wrong: "wrong",
  "otp-invalid": "one-time password unknown, used or expired",
  "webhook-valid": "allowed by the challenge webhook",
  "webhook-denied": "denied by the challenge webhook",
  "webhook-unavailable": "challenge webhook did not answer",
};

export function challengeText(outcome: ChallengeOutcome): string {
  return CHALLENGE_TEXT[outcome] ?? outcome;
}

/** `PKCSReq (19)` / `RenewalReq (17)` (RFC 8894 §3.2.1.2). */
export function messageTypeText(type: Transaction["messageType"]): string {
  return type === "17" ? "RenewalReq (17)" : "PKCSReq (19)";
}

/** RFC 8894 §3.2.1.4 failInfo names. */
const FAIL_INFO_NAMES: Readonly<Record<string, string>> = { "0": "badAlg", "1": "badMessageCheck", "2": "badRequest", "3": "badTime", "4": "badCertId" };

/** `badRequest (2)`; undefined stays undefined. */
export function failInfoText(failInfo: string | undefined): string | undefined {
  return failInfo === undefined ? undefined : `${FAIL_INFO_NAMES[failInfo] ?? "unknown"} (${failInfo})`;
}

/** The name a request goes by in lists and headings: its CN, else its subject, else its id. */
export function requestName(tx: Pick<Transaction, "commonName" | "subject" | "id">): string {
  return tx.commonName || tx.subject || tx.id;
}

/** `—` for a missing value. */
export function orDash(value: string | number | undefined): Html {
  return value === undefined || value === "" ? html`<span class="none">—</span>` : html`${value}`;
}

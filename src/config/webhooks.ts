/**
 * The webhook keys of the configuration: a profile's challenge webhook
 * (`challenge.mode: webhook`) and the notification targets (`notify`, global
 * and per profile). Both are signed with an HMAC-SHA256 `secret` (see
 * policy/webhook-signature.ts).
 *
 * @module
 */
import * as z from "zod";
import { duration, mapping, oneOf, text, url } from "./fields.js";

/** The events a notification target may ask for (a record reaching pending_approval, issued, rejected, failed). */
export const NOTIFY_EVENTS = ["pending", "issued", "rejected", "failed"] as const;
/** One of {@link NOTIFY_EVENTS}. */
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** A webhook's HMAC key: at least 16 characters (`base64:…` for a key given as base64 bytes). */
export function webhookSecret() {
  return text(16);
}

/** The keys `challenge` takes for `mode: webhook`, next to `mode` and `value`. */
export const challengeWebhookShape = {
  /** Where each PKCSReq/RenewalReq is POSTed for a verdict. */
  url: url(["http:", "https:"], "an http(s) URL").optional(),
  /** HMAC key of `X-Scepgate-Signature` (secret; `SCEPGATE_PROFILES_NAME_CHALLENGE_SECRET_FILE`). */
  secret: webhookSecret().optional(),
  /** How long one check may take, connection and answer included; default {@link CHALLENGE_WEBHOOK_TIMEOUT_MS}. */
  timeout: duration(1).optional(),
  /** No usable answer (timeout, connection error, non-2xx, bad body): `fail` (default) refuses, `manual` holds for an operator. */
  onError: oneOf(["fail", "manual"]).optional(),
};

/** The keys of {@link challengeWebhookShape}: only allowed with `mode: webhook`. */
export const CHALLENGE_WEBHOOK_KEYS = ["url", "secret", "timeout", "onError"] as const;
/** Required with `mode: webhook`. */
export const CHALLENGE_WEBHOOK_REQUIRED: readonly string[] = ["url", "secret"];
/** `challenge.timeout` when not given: 5 s. */
export const CHALLENGE_WEBHOOK_TIMEOUT_MS = 5_000;

/** One notification target: where state changes of requests are POSTed. */
export const notifyTargetSchema = mapping({
  url: url(["http:", "https:"], "an http(s) URL"),
  /** HMAC key of `X-Scepgate-Signature` (secret). */
  secret: webhookSecret(),
  events: z.array(oneOf(NOTIFY_EVENTS), { error: "expected a list" })
    .min(1, { error: "expected at least one event" })
    .default([...NOTIFY_EVENTS]),
  /** How long one delivery attempt may take. */
  timeout: duration(1).prefault("10s"),
});

/** A list of notification targets (`notify`, global or per profile); absent: none. */
export const notifySchema = z.array(notifyTargetSchema, { error: "expected a list of targets" }).optional();

/** One notification target of the validated configuration. */
export type NotifyTargetConfig = z.infer<typeof notifyTargetSchema>;

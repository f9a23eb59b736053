/**
 * Notifications, the pure part: which audit stream entries are events, which
 * targets want them, their payload, idempotency key and BullMQ job id.
 *
 * An entry of the store's global audit stream (`P audit`, store/scripts.ts)
 * is an event when its record reached a notified state (`to`) from another
 * one (`from` absent on "created"): pending_approval → `pending`, issued,
 * rejected, failed. In-place patches (from = to) are not events.
 */
import { createHash } from "node:crypto";
import type { NotifyEvent } from "../config/index.js";
import type { Transaction } from "../ra/ports.js";

/** The notified states and their event names. */
export const STATE_EVENTS: Readonly<Record<string, NotifyEvent>> = {
  pending_approval: "pending",
  issued: "issued",
  rejected: "rejected",
  failed: "failed",
};

/** One notification target, as the workers use it. */
export interface NotifyTarget {
  /** Stable id (scope and URL hashed): job data names the target by it, never by its secret. */
  id: string;
  url: string;
  secret: string;
  events: readonly NotifyEvent[];
  timeoutMs: number;
  /** The profile whose requests it gets; undefined: every profile's (the global `notify`). */
  profile?: string;
}

/** The id of a target: `global` or the profile name, and the URL, hashed (12 hex digits). */
export function notifyTargetId(profile: string | undefined, url: string): string {
  const scope = profile === undefined ? "global" : `profile:${profile}`;
  return createHash("sha256").update(scope).update("\0").update(url).digest("hex").slice(0, 12);
}

/** The event an audit entry's fields stand for, or undefined. */
export function notifyEventOf(fields: Readonly<Record<string, string>>): NotifyEvent | undefined {
  const to = fields.to;
  if (to === undefined || fields.from === to) return undefined;
  return STATE_EVENTS[to];
}

/** The targets that want `event` of a record of `profile`. */
export function targetsFor(targets: readonly NotifyTarget[], profile: string, event: NotifyEvent): NotifyTarget[] {
  return targets.filter((t) => (t.profile === undefined || t.profile === profile) && t.events.includes(event));
}

/** `Idempotency-Key`: `<record id>:<event>:<attempt>`, the same on every retry of the delivery. */
export function idempotencyKey(recordId: string, event: NotifyEvent, attempt: number): string {
  return `${recordId}:${event}:${attempt}`;
}

/** The BullMQ job id of one delivery (no `:`, not an integer): the same key and target always give the same job. */
export function notifyJobId(key: string, targetId: string): string {
  return `ntf-${createHash("sha256").update(key).update("\0").update(targetId).digest("hex").slice(0, 32)}`;
}

/** The JSON body of a notification (version 1; README "Notification webhooks"). */
export interface NotificationPayload {
  v: 1;
  event: NotifyEvent;
  profile: string;
  id: string;
  transactionID: string;
  attempt: number;
  state: string;
  subject: string | null;
  sans: string[];
  serial?: string;
  notAfter?: string;
  failInfo?: string;
  reason?: string;
  /** Who made this change (operator name, "policy", "upstream"). */
  actor: string | null;
  /** Who decided the request (the approving or rejecting operator, "policy"), when known. */
  decidedBy?: string;
  at: string;
}

/**
 * The payload of an event, from the audit entry and the record read just
 * after it. A record created after the entry is a later attempt of the same
 * transactionID (or none is left): then only the entry's fields are used.
 */
export function notificationPayload(event: NotifyEvent, fields: Readonly<Record<string, string>>, tx: Transaction | undefined): NotificationPayload {
  const at = fields.at ?? new Date(0).toISOString();
  const record = tx && tx.createdAt <= at ? tx : undefined;
  const refused = event === "rejected" || event === "failed";
  return {
    v: 1,
    event,
    profile: fields.profile ?? record?.profile ?? "",
    id: fields.id ?? record?.id ?? "",
    transactionID: fields.transactionId ?? record?.transactionId ?? "",
    attempt: record?.attempt ?? 1,
    state: fields.to ?? "",
    subject: record?.subject ?? null,
    sans: record?.sans ?? [],
    ...(event === "issued" && record?.serial ? { serial: record.serial, notAfter: record.notAfter } : {}),
    ...(refused && record?.failInfo !== undefined ? { failInfo: record.failInfo } : {}),
    ...(refused ? { reason: record?.reason ?? fields.reason } : {}),
    actor: fields.actor ?? null,
    ...(record?.decidedBy ? { decidedBy: record.decidedBy } : {}),
    at,
  };
}

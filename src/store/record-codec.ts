/**
 * How records and audit events are laid out in Redis. A record is a hash
 * whose fields are the Transaction's top-level fields, each holding the JSON
 * of its value (so a patch rewrites only the fields it changes). An audit
 * event is a stream entry of plain string fields.
 */
import type { AuditEvent, Transaction } from "../ra/ports.js";

/** Hash field/value pairs for an object: JSON values, undefined fields left out. */
export function encodeFields(obj: object): string[] {
  const out: string[] = [];
  for (const [field, value] of Object.entries(obj)) {
    if (value === undefined) continue;
    out.push(field, JSON.stringify(value));
  }
  return out;
}

/** A record from HGETALL's object form; undefined when the hash is empty. */
export function decodeRecord(hash: Record<string, string>): Transaction | undefined {
  const entries = Object.entries(hash);
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map(([k, v]) => [k, JSON.parse(v) as unknown])) as unknown as Transaction;
}

/** A record from HGETALL's flat `[field, value, …]` form (what a script returns). */
export function decodeRecordPairs(pairs: readonly string[]): Transaction | undefined {
  return decodeRecord(pairsToObject(pairs));
}

/** Stream field/value pairs of an audit event (without from/to: the scripts add them). */
export function encodeAuditBase(event: Omit<AuditEvent, "from" | "to">): string[] {
  const out = [
    "id", event.id,
    "profile", event.profile,
    "transactionId", event.transactionId,
    "event", event.event,
    "actor", event.actor,
    "at", event.at,
  ];
  if (event.reason !== undefined) out.push("reason", event.reason);
  return out;
}

/** An audit event from a stream entry's `[field, value, …]`. */
export function decodeAudit(pairs: readonly string[]): AuditEvent {
  const f = pairsToObject(pairs);
  const event: AuditEvent = {
    profile: f["profile"] ?? "",
    transactionId: f["transactionId"] ?? "",
    id: f["id"] ?? "",
    event: f["event"] ?? "",
    actor: f["actor"] ?? "",
    at: f["at"] ?? "",
  };
  if (f["from"] !== undefined) event.from = f["from"] as AuditEvent["from"];
  if (f["to"] !== undefined) event.to = f["to"] as AuditEvent["to"];
  if (f["reason"] !== undefined) event.reason = f["reason"];
  return event;
}

function pairsToObject(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) out[pairs[i]!] = pairs[i + 1]!;
  return out;
}

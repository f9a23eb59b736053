/**
 * Human-readable output of the operator commands: the requests table, the
 * details of one request, one-line results. Every value that came from a
 * device (subject, SANs, user agent…) is made terminal-safe first: a CSR must
 * not be able to send escape sequences to the operator's terminal.
 */
import { failInfoName, messageTypeName } from "../protocol/index.js";
import type { AuditEvent, Transaction } from "../ra/ports.js";

/** C0 and C1 control characters (ESC, CR, BEL…) and the Unicode line/paragraph separators become `?`. */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is replaced
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, "?");
}

/** `2025-01-01T12:00:00.123Z` → `2025-01-01 12:00:00Z` (UTC, to the second). */
export function shortTime(iso: string | undefined): string {
  if (!iso) return "";
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Columns padded to their widest cell, two spaces apart, the last one unpadded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

/** `scepgate requests list`: id, state, profile, subject, created, decided by. */
export function requestsTable(txs: readonly Transaction[]): string {
  if (txs.length === 0) return "no requests\n";
  const rows = txs.map((tx) => [
    tx.id,
    tx.state,
    tx.profile,
    cut(terminalSafe(tx.subject), 60),
    shortTime(tx.createdAt),
    terminalSafe(tx.decidedBy ?? ""),
  ]);
  return table(["ID", "STATE", "PROFILE", "SUBJECT", "CREATED", "DECIDED BY"], rows);
}

/** "RSA 2048", "EC P-256 (256 bits)". */
export function keyText(key: Transaction["key"]): string {
  if (key.type === "rsa") return `RSA ${key.bits}`;
  if (key.type === "ec") return `EC ${key.curve ?? "unknown curve"} (${key.bits} bits)`;
  return "unsupported key";
}

function upstreamText(up: NonNullable<Transaction["upstream"]>): string {
  const parts = [`transaction ${up.transactionId}`, `${up.attempts} attempt${up.attempts === 1 ? "" : "s"}`];
  if (up.lastError) parts.push(`last error: ${terminalSafe(up.lastError)}`);
  if (up.nextPollAt) parts.push(`next poll ${shortTime(up.nextPollAt)}`);
  return parts.join(", ");
}

/** The label/value lines of one request (only the fields it has). */
function detailFields(tx: Transaction): Array<[string, string]> {
  const f: Array<[string, string | undefined]> = [
    ["Request", tx.id],
    ["Profile", tx.profile],
    ["State", tx.state],
    ["Type", `${messageTypeName(tx.messageType)} (${tx.messageType}), from ${tx.source}`],
    ["Transaction ID", terminalSafe(tx.transactionId)],
    ["Subject", terminalSafe(tx.subject)],
    ["SANs", tx.sans.length > 0 ? tx.sans.map(terminalSafe).join(", ") : "none"],
    ["Key", keyText(tx.key)],
    ["Challenge", tx.challenge],
    ["Client address", tx.context.clientAddress === undefined ? "unknown" : terminalSafe(tx.context.clientAddress)],
    ["User agent", tx.context.userAgent === undefined ? "unknown" : terminalSafe(tx.context.userAgent)],
    ["Created", shortTime(tx.createdAt)],
    ["Updated", shortTime(tx.updatedAt)],
    ["Decided by", tx.decidedBy === undefined ? undefined : terminalSafe(tx.decidedBy)],
    ["Upstream", tx.upstream === undefined ? undefined : upstreamText(tx.upstream)],
    ["Fail info", tx.failInfo === undefined ? undefined : `${failInfoName(tx.failInfo)} (${tx.failInfo})`],
    ["Reason", tx.reason === undefined ? undefined : terminalSafe(tx.reason)],
    ["Serial", tx.serial],
    ["Not after", tx.notAfter === undefined ? undefined : shortTime(tx.notAfter)],
    ["Attempt", tx.attempt === undefined ? undefined : String(tx.attempt)],
    ["Previous attempt", tx.previousId],
    ["Superseded by", tx.supersededBy],
  ];
  return f.filter((e): e is [string, string] => e[1] !== undefined);
}

function historyRow(e: AuditEvent): string[] {
  const states = e.from === undefined ? `→ ${e.to ?? "?"}` : e.from === e.to ? (e.to ?? "") : `${e.from} → ${e.to ?? "?"}`;
  return [shortTime(e.at), terminalSafe(e.event), states, terminalSafe(e.actor), terminalSafe(e.reason ?? "")];
}

/** `scepgate requests show ID`: the request's details, then its audit history (who, when, event, why). */
export function requestDetails(tx: Transaction, history: readonly AuditEvent[]): string {
  const fields = detailFields(tx);
  const width = Math.max(...fields.map(([label]) => label.length));
  const details = fields.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join("\n");
  const events = history.length === 0 ? "  (none)\n" : indent(table(["WHEN", "EVENT", "STATE", "WHO", "WHY"], history.map(historyRow)));
  return `${details}\n\nHistory\n${events}`;
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, "  ");
}

/** One line after approve/reject: what the request is now. */
export function decisionLine(tx: Transaction): string {
  let line = `${tx.id}: ${tx.state}`;
  if (tx.decidedBy) line += ` (by ${terminalSafe(tx.decidedBy)})`;
  if (tx.state === "issued" && tx.serial) line += `, serial ${tx.serial}, not after ${shortTime(tx.notAfter)}`;
  if ((tx.state === "rejected" || tx.state === "failed") && tx.reason) line += `: ${terminalSafe(tx.reason)}`;
  if (tx.state === "pending_approval" && tx.approvals?.length) {
    line += `, approved so far by ${tx.approvals.map((a) => terminalSafe(a.by)).join(", ")}; waiting for another operator`;
  }
  return `${line}\n`;
}

/**
 * What the retention sweep writes to the audit file for a removed record:
 * one JSON document per record, on one line (JSON Lines).
 *
 * ```json
 * {"kind":"scepgate.transaction.removed","v":1,"id":"k3xq…","exportedAt":"2026-03-01T10:00:00.000Z",
 *  "record":{"id":"k3xq…","profile":"default","transactionId":"…","subject":"CN=device-1","state":"issued",
 *            "serial":"…","notAfter":"…","createdAt":"…","updatedAt":"…","certificateSha256":"…",…},
 *  "events":[{"streamId":"1735689600000-0","id":"k3xq…","event":"created","actor":"policy","at":"…","to":"pending_approval"},…]}
 * ```
 *
 * `record` holds every field of the stored record except the DER blobs
 * (`csr`, `requesterCert`, `certificate`, `chain`); the issued certificate is
 * named by serial, notAfter and `certificateSha256` (sha256 of its DER).
 * `events` holds every entry of the record's audit stream, oldest first, each
 * with its stream id and all its fields as stored. Records hold no secrets
 * (no challenge password, no key), so neither does the file.
 */
import { createHash } from "node:crypto";

/** The `kind` of a removed-record line. */
export const REMOVED_RECORD_KIND = "scepgate.transaction.removed";
/** The format version of a removed-record line. */
export const REMOVED_RECORD_VERSION = 1;

/** Record fields left out of the export: DER blobs, large and public elsewhere (the CA, the device). */
const BLOB_FIELDS: ReadonlySet<string> = new Set(["csr", "requesterCert", "certificate", "chain"]);

/** One audit stream entry as XRANGE returns it: id and `[field, value, …]`. */
export type StreamEntry = [id: string, fields: string[]];

/** One exported audit event: its stream id and every field of the entry. */
export type ExportedEvent = { streamId: string } & Record<string, string>;

/** One line of the audit file, parsed. */
export interface RemovedRecordLine {
  kind: typeof REMOVED_RECORD_KIND;
  v: typeof REMOVED_RECORD_VERSION;
  /** The record id (also `record.id`), for de-duplicating an at-least-once export. */
  id: string;
  exportedAt: string;
  record: Record<string, unknown>;
  events: ExportedEvent[];
}

/** The line (without its newline) for a record hash (HGETALL) and its audit stream entries. */
export function removedRecordLine(id: string, hash: Readonly<Record<string, string>>, entries: readonly StreamEntry[], exportedAt: Date): string {
  const line: RemovedRecordLine = {
    kind: REMOVED_RECORD_KIND,
    v: REMOVED_RECORD_VERSION,
    id,
    exportedAt: exportedAt.toISOString(),
    record: exportedRecord(hash),
    events: entries.map(exportedEvent),
  };
  return JSON.stringify(line);
}

/** The record's fields (JSON-decoded), blobs replaced by the certificate's fingerprint. */
function exportedRecord(hash: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, raw] of Object.entries(hash)) {
    if (BLOB_FIELDS.has(field)) continue;
    out[field] = parseField(raw);
  }
  const certificate = parseField(hash["certificate"] ?? "null");
  if (typeof certificate === "string" && certificate !== "") {
    out["certificateSha256"] = createHash("sha256").update(Buffer.from(certificate, "base64")).digest("hex");
  }
  return out;
}

/** A hash field's JSON value; a value that is not JSON (never written by the store) is kept as its text. */
function parseField(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function exportedEvent([streamId, fields]: StreamEntry): ExportedEvent {
  const event: ExportedEvent = { streamId };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!;
    if (name !== "streamId") event[name] = fields[i + 1]!;
  }
  return event;
}

/**
 * The device list of `scepgate batch`: a CSV with a header row (batch-csv.ts)
 * checked completely before anything is generated or submitted. Every
 * problem is reported with its line number, all at once.
 *
 * Columns (any order, any case): `name` (required; file-safe and unique: it
 * names the device's files), `cn` (required), `dns`, `ip`, `email` (each
 * `;`-separated), `o`, `ou`, `c` (two letters), `challenge`, `key`
 * (rsa-2048 | rsa-3072 | ec-p256 | ec-p384; default: the command's --key).
 */
import { isIP } from "node:net";
import { CsvSyntaxError, parseCsv } from "./batch-csv.js";

/** The key types a batch may generate. */
export const BATCH_KEY_SPECS = ["rsa-2048", "rsa-3072", "ec-p256", "ec-p384"] as const;
export type BatchKeySpec = (typeof BATCH_KEY_SPECS)[number];

/** One device to enroll, as validated from its CSV row. */
export interface BatchDevice {
  /** The CSV line of its row. */
  line: number;
  /** File-safe, unique (case-insensitively): DIR/NAME.key.pem, NAME.p12, NAME.crt.pem. */
  name: string;
  cn: string;
  o?: string;
  ou?: string;
  /** ISO 3166 country code, upper case. */
  c?: string;
  dns: string[];
  ip: string[];
  email: string[];
  /** The row's challenge password (used when the profile's upstream has none). */
  challenge?: string;
  key: BatchKeySpec;
}

/** One problem of the device list. */
export interface DeviceListIssue {
  line: number;
  message: string;
}

export type DeviceListResult = { ok: true; devices: BatchDevice[] } | { ok: false; issues: DeviceListIssue[] };

const COLUMNS = ["name", "cn", "dns", "ip", "email", "o", "ou", "c", "challenge", "key"] as const;
type Column = (typeof COLUMNS)[number];

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const LABEL_RE = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const EMAIL_LOCAL_RE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$/;
// eslint-disable-next-line no-control-regex -- control characters are what is refused
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;
/** RFC 5280 upper bounds (ub-common-name, ub-organization-name, ub-organizational-unit-name). */
const MAX_NAME_ATTR = 64;

/** A DNS name for a certificate: LDH labels, an optional leading `*.` wildcard, at most 253 characters. */
export function isDnsName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.startsWith("*.") ? name.slice(2).split(".") : name.split(".");
  return labels.every((l) => LABEL_RE.test(l));
}

/** An rfc822Name: an ASCII local part and a DNS domain (RFC 5280 §4.2.1.6). */
export function isEmailAddress(addr: string): boolean {
  const at = addr.lastIndexOf("@");
  if (at <= 0) return false;
  const local = addr.slice(0, at);
  const domain = addr.slice(at + 1);
  return EMAIL_LOCAL_RE.test(local) && !local.startsWith(".") && !local.endsWith(".") && !local.includes("..") && domain.includes(".") && isDnsName(domain) && !domain.startsWith("*");
}

function list(value: string): string[] {
  return value.split(";").map((v) => v.trim()).filter((v) => v !== "");
}

/** Maps header cells to columns; reports unknown and repeated ones. */
function readHeader(fields: string[], line: number, issues: DeviceListIssue[]): Map<Column, number> {
  const at = new Map<Column, number>();
  fields.forEach((raw, i) => {
    const cell = raw.trim().toLowerCase();
    if (!(COLUMNS as readonly string[]).includes(cell)) {
      issues.push({ line, message: `unknown column ${JSON.stringify(raw.trim())} (columns: ${COLUMNS.join(", ")})` });
    } else if (at.has(cell as Column)) {
      issues.push({ line, message: `column "${cell}" appears twice` });
    } else at.set(cell as Column, i);
  });
  for (const required of ["name", "cn"] as const) if (!at.has(required)) issues.push({ line, message: `the header has no "${required}" column` });
  return at;
}

/** Checks one row; pushes its problems; returns the device when it has none. */
function readRow(fields: string[], line: number, header: Map<Column, number>, defaultKey: BatchKeySpec, issues: DeviceListIssue[]): BatchDevice | undefined {
  const before = issues.length;
  const bad = (message: string): void => void issues.push({ line, message });
  if (fields.length > header.size) bad(`${fields.length} fields but the header has ${header.size} columns`);
  const get = (c: Column): string => {
    const i = header.get(c);
    return i === undefined ? "" : (fields[i] ?? "").trim();
  };
  for (const c of COLUMNS) if (CONTROL_RE.test(get(c))) bad(`${c} contains a control character (a line break?)`);
  const name = get("name");
  if (name === "") bad("name is required");
  else if (!NAME_RE.test(name)) bad(`name ${JSON.stringify(name)} is not file-safe (letters, digits, ".", "_", "-"; first a letter or digit; at most 64)`);
  const cn = get("cn");
  if (cn === "") bad("cn is required");
  for (const c of ["cn", "o", "ou"] as const) if (get(c).length > MAX_NAME_ATTR) bad(`${c} is longer than ${MAX_NAME_ATTR} characters`);
  const c = get("c").toUpperCase();
  if (c !== "" && !/^[A-Z]{2}$/.test(c)) bad(`c ${JSON.stringify(get("c"))} is not a two-letter country code`);
  const dns = list(get("dns"));
  for (const d of dns) if (!isDnsName(d)) bad(`dns ${JSON.stringify(d)} is not a DNS name`);
  const ip = list(get("ip"));
  for (const a of ip) if (isIP(a) === 0 || a.includes("%")) bad(`ip ${JSON.stringify(a)} is not an IPv4 or IPv6 address`);
  const email = list(get("email"));
  for (const e of email) if (!isEmailAddress(e)) bad(`email ${JSON.stringify(e)} is not an e-mail address`);
  const keyText = get("key").toLowerCase();
  if (keyText !== "" && !(BATCH_KEY_SPECS as readonly string[]).includes(keyText)) bad(`key ${JSON.stringify(get("key"))} is not one of ${BATCH_KEY_SPECS.join(", ")}`);
  if (issues.length > before) return undefined;
  const optional = (col: Column): string | undefined => get(col) || undefined;
  return {
    line, name, cn, o: optional("o"), ou: optional("ou"), c: c || undefined, dns, ip, email,
    challenge: header.has("challenge") ? (fields[header.get("challenge")!] ?? "") || undefined : undefined,
    key: (keyText || defaultKey) as BatchKeySpec,
  };
}

/**
 * Parses and checks a device list. `ok: false` lists every problem (line
 * numbers are the CSV's physical lines, a quoted line break included).
 */
export function parseDeviceList(text: string, defaultKey: BatchKeySpec): DeviceListResult {
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvSyntaxError) return { ok: false, issues: [{ line: err.line, message: err.message.replace(/^line \d+: /, "") }] };
    throw err;
  }
  const [head, ...rows] = records;
  if (!head) return { ok: false, issues: [{ line: 1, message: "the file is empty: expected a header row (name,cn,...) and one row per device" }] };
  const issues: DeviceListIssue[] = [];
  const header = readHeader(head.fields, head.line, issues);
  if (issues.length > 0) return { ok: false, issues };
  if (rows.length === 0) return { ok: false, issues: [{ line: head.line, message: "no devices: the file has a header row only" }] };
  const devices: BatchDevice[] = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    const name = (row.fields[header.get("name")!] ?? "").trim();
    const first = seen.get(name.toLowerCase());
    if (name !== "" && first !== undefined) issues.push({ line: row.line, message: `name ${JSON.stringify(name)} is already used on line ${first}` });
    else if (name !== "") seen.set(name.toLowerCase(), row.line);
    const device = readRow(row.fields, row.line, header, defaultKey, issues);
    if (device && first === undefined) devices.push(device);
  }
  return issues.length > 0 ? { ok: false, issues: issues.sort((a, b) => a.line - b.line) } : { ok: true, devices };
}

/**
 * The count at the end of a chaos run, from three independent views:
 *
 * - the devices: what each was told (every answer), and the certificate it ended with;
 * - the RA's store (the fronts' Redis): one record per device, issued, holding that certificate;
 * - the upstream's store: every certificate the upstream CA handed out, grouped by the
 *   public key of the CSR it was issued for.
 *
 * A device is **accepted** once scepgate sent it a signed CertRep PENDING or
 * SUCCESS: from then on scepgate has taken the request over (DESIGN.md:
 * "nothing a device was told PENDING about may be lost"). A request that only
 * ever met connection errors, timeouts or HTTP 5xx was not accepted: the
 * device still holds it and keeps retrying, like a real one.
 */
import { parseCertificate, parseCsr, pemCertificates } from "../../src/crypto/index.js";
import type { AuditEvent, Transaction } from "../../src/ra/ports.js";
import type { RealClientRun } from "./real-clients.js";
import type { AnswerKind, ChaosDevice } from "./scep-device.js";

/** One device of the tally: a codec-driven device or a real client. */
interface Subject {
  label: string;
  cn: string;
  profile: string;
  spkiHex: string;
  accepted: boolean;
  /** The certificate it ended with (DER hex), if SUCCESS. */
  certHex: string | undefined;
  /** Why its SUCCESS is not right (not its key or subject), or its FAILURE. */
  problem: string | undefined;
}

/** The figures of one run. */
export interface Figures {
  devices: number;
  realClients: number;
  accepted: number;
  finishedSuccess: number;
  /** Devices that got FAILURE. */
  failed: number;
  /** Devices without SUCCESS at the deadline, accepted or not. */
  unfinished: number;
  /** Accepted but no certificate by the deadline, or the RA has no record of it. */
  lost: number;
  /** Certificates the upstream issued for the devices' keys (its issued records). */
  issuedUpstream: number;
  /** Certificates beyond the first for one device key at the upstream. */
  duplicatedUpstream: number;
  /** A device's certificate that is not for its own key or subject, or not the one the RA and the upstream recorded. */
  wrongCertificate: number;
  /** Devices with no record, or more than one, in the RA's store. */
  raRecordAnomalies: number;
  /** Upstream records (any state) beyond one per device key: the RA sent one key under two upstream transactionIDs. */
  extraUpstreamRecords: number;
  /**
   * Forwards whose connection was reset or closed before the answer although
   * the upstream had already stored the request, recorded as "unreachable"
   * (the CA never saw it), so the PKCSReq went again without a CertPoll
   * first. Must be 0: scepgate records a connection broken after the send as
   * the timeout kind and asks first (upstream-http.ts). This idempotent
   * upstream would answer from its store; a CA that issues on every PKCSReq
   * would issue twice.
   */
  resentAfterUpstreamHadIt: number;
  /** Every answer the codec-driven devices got, by kind. */
  answers: Record<AnswerKind, number>;
  /** Most devices accepted and not yet finished at one moment. */
  peakInFlight: number;
  /** How long the PENDING answers took (ms, p50 / p90): what each fsync of `appendfsync always` costs a device. */
  pendingAnswerMs: { p50: number; p90: number };
}

/** Figures plus the per-device findings behind them. */
export interface Tally {
  figures: Figures;
  /** One line per device that is lost, wrong, failed, unfinished or has an anomaly. */
  findings: string[];
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** A connection lost after the request may have reached the CA (not a refused connection). */
const RESET_AFTER_SEND = /^upstream PKIOperation: cannot reach the CA \((ECONNRESET|EPIPE|UND_ERR_SOCKET)/;

export function tally(
  devices: readonly ChaosDevice[], real: readonly RealClientRun[], ra: readonly Transaction[], upstream: readonly Transaction[],
  raAudit: ReadonlyMap<string, readonly AuditEvent[]>,
): Tally {
  const subjects: Subject[] = [
    ...devices.map((d): Subject => ({
      label: `${d.cn} (${d.profile}, ${d.pollStyle})`, cn: d.cn, profile: d.profile, spkiHex: hex(d.spki), accepted: d.accepted,
      certHex: d.certificate ? hex(d.certificate.der) : undefined, problem: d.problem,
    })),
    ...real.map((r): Subject => {
      const der = r.certPem ? pemCertificates(r.certPem)[0] : undefined;
      const cert = der ? parseCertificate(der) : undefined;
      const problem = cert && !cert.subjectText().includes(`CN=${r.cn}`) ? `certificate for ${cert.subjectText()}` : undefined;
      return { label: `${r.cn} (${r.profile}, real ${r.client}, ${r.attempts} runs)`, cn: r.cn, profile: r.profile, spkiHex: hex(r.spki), accepted: r.accepted, certHex: der ? hex(der) : undefined, problem };
    }),
  ];

  const upstreamByKey = new Map<string, Transaction[]>();
  for (const tx of upstream) {
    const k = hex(parseCsr(Buffer.from(tx.csr, "base64")).spki);
    upstreamByKey.set(k, [...(upstreamByKey.get(k) ?? []), tx]);
  }
  const raByCn = new Map<string, Transaction[]>();
  for (const tx of ra) {
    const k = `${tx.profile}/${tx.commonName ?? ""}`;
    raByCn.set(k, [...(raByCn.get(k) ?? []), tx]);
  }

  const f: Figures = {
    devices: subjects.length, realClients: real.length, accepted: 0, finishedSuccess: 0, failed: 0, unfinished: 0, lost: 0,
    issuedUpstream: 0, duplicatedUpstream: 0, wrongCertificate: 0, raRecordAnomalies: 0, extraUpstreamRecords: 0, resentAfterUpstreamHadIt: 0,
    answers: { PENDING: 0, SUCCESS: 0, FAILURE: 0, "http-4xx": 0, "http-5xx": 0, network: 0, "bad-reply": 0 },
    peakInFlight: peakInFlight(devices),
    pendingAnswerMs: percentiles(devices.flatMap((d) => d.answers.filter((a) => a.kind === "PENDING").map((a) => a.ms))),
  };
  const findings: string[] = [];
  for (const d of devices) for (const a of d.answers) f.answers[a.kind]++;

  for (const s of subjects) {
    const recs = raByCn.get(`${s.profile}/${s.cn}`) ?? [];
    const up = upstreamByKey.get(s.spkiHex) ?? [];
    const issuedUp = up.filter((t) => t.state === "issued");
    const success = s.certHex !== undefined && s.problem === undefined;
    if (s.accepted) f.accepted++;
    if (success) f.finishedSuccess++;
    else f.unfinished++;
    if (s.problem?.startsWith("FAILURE")) f.failed++;
    f.issuedUpstream += issuedUp.length;
    f.duplicatedUpstream += Math.max(0, issuedUp.length - 1);
    f.extraUpstreamRecords += Math.max(0, up.length - 1);

    const states = `RA: ${recs.map((t) => `${t.id} ${t.state}${t.upstream?.lastError ? ` (${t.upstream.lastError})` : ""}`).join(", ") || "no record"}; upstream: ${up.map((t) => t.state).join(", ") || "none"}`;
    if (s.accepted && (!success || recs.length === 0)) {
      f.lost++;
      findings.push(`LOST ${s.label}: accepted, ${success ? "but the RA has no record" : s.problem ?? "no certificate by the deadline"}; ${states}`);
    } else if (!success) {
      findings.push(`UNFINISHED ${s.label}: ${s.problem ?? "never accepted (only errors)"}; ${states}`);
    }
    if (issuedUp.length > 1) findings.push(`DUPLICATED ${s.label}: the upstream issued ${issuedUp.length} certificates (serials ${issuedUp.map((t) => t.serial).join(", ")})`);
    for (const rec of recs) {
      for (const e of raAudit.get(rec.id) ?? []) {
        if (e.event !== "upstream-error" || !RESET_AFTER_SEND.test(e.reason ?? "")) continue;
        const had = up.find((t) => Date.parse(t.createdAt) < Date.parse(e.at));
        if (!had) continue;
        f.resentAfterUpstreamHadIt++;
        findings.push(`RESENT ${s.label}: "${e.reason}" at ${e.at}, the upstream had stored it at ${had.createdAt} (${had.id}); the RA re-sent the PKCSReq without polling first`);
      }
    }
    if (recs.length !== 1) {
      f.raRecordAnomalies++;
      findings.push(`RA RECORDS ${s.label}: ${recs.length} records (${recs.map((t) => `${t.id} attempt ${t.attempt ?? 1} ${t.state}`).join(", ")})`);
    }
    if (s.certHex !== undefined) {
      const why = wrongWhy(s, recs, issuedUp);
      if (why) {
        f.wrongCertificate++;
        findings.push(`WRONG ${s.label}: ${why}`);
      }
    }
  }
  return { figures: f, findings };
}

/** Why a device's certificate is not right, or undefined. */
function wrongWhy(s: Subject, recs: readonly Transaction[], issuedUp: readonly Transaction[]): string | undefined {
  if (s.problem !== undefined) return s.problem;
  const cert = parseCertificate(Buffer.from(s.certHex!, "hex"));
  if (hex(cert.spki) !== s.spkiHex) return "the certificate is not for its key";
  const der = Buffer.from(s.certHex!, "hex").toString("base64");
  if (!recs.some((t) => t.certificate === der)) return `not the certificate the RA recorded (device serial ${cert.serialHex}, RA ${recs.map((t) => t.serial).join(", ") || "none"})`;
  if (!issuedUp.some((t) => t.certificate === der)) return `not a certificate the upstream issued for its key (serial ${cert.serialHex})`;
  return undefined;
}

/** The most devices that had been accepted and had not yet finished at any one moment. */
function peakInFlight(devices: readonly ChaosDevice[]): number {
  const events: Array<[number, number]> = [];
  for (const d of devices) {
    const first = d.answers.find((a) => a.kind === "PENDING" || a.kind === "SUCCESS");
    if (!first) continue;
    const end = d.answers.find((a) => a.kind === "SUCCESS" || a.kind === "FAILURE");
    events.push([first.at, 1], [end ? end.at + end.ms : Number.MAX_SAFE_INTEGER, -1]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, delta] of events) peak = Math.max(peak, (now += delta));
  return peak;
}

function percentiles(values: number[]): { p50: number; p90: number } {
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number): number => v[Math.min(v.length - 1, Math.floor(q * v.length))] ?? 0;
  return { p50: at(0.5), p90: at(0.9) };
}

/**
 * The HTTP mutant stream (issue 12): a real `scepgate serve` process (the
 * harness: embedded CA, its own test Redis, manual approval so that a
 * mutant that stays valid is held PENDING instead of issued) gets a stream
 * of mutants of real pkiMessages — POST PKIOperation bodies and GET
 * `message=` base64 in the encodings clients use — plus mangled query
 * strings and bodies. Every answer must be
 *
 *   - 400 or 413 with one line of text/plain, or
 *   - 200 application/x-pki-message: a CertRep (messageType 3) whose
 *     SignedData signature verifies against the RA certificate of GetCACert;
 *
 * never a 5xx, another status, a connection reset or a timeout; the process
 * stays up, and its RSS (/proc/PID/status VmRSS) after warm-up grows by at
 * most `rssGrowthLimitMiB` to the end.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { MessageType } from "../../src/protocol/index.js";
import { startScepgate } from "../harness/scepgate.js";
import { csrOf, fetchRaView, issuerAndSubject, makeDevice, readSignedAttributes, request, type RaView } from "../integration/support/craft-http.js";
import { planArb, mutate } from "./mutate.js";
import { VECTORS_DIR } from "./seeds.js";
import { parseTree, type Node } from "./tlv-model.js";

export interface HttpCampaignOptions {
  seed: number;
  requests: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Requests before the "after warm-up" RSS sample. */
  warmup: number;
  rssGrowthLimitMiB: number;
  onProgress?: (done: number) => void;
}

export interface HttpFinding {
  request: string;
  detail: string;
}

export interface HttpCampaignResult {
  requests: number;
  byStatus: Record<string, number>;
  byShape: Record<string, number>;
  findings: HttpFinding[];
  /** VmRSS in KiB: at start, after warm-up, in the middle, at the end. */
  rssKiB: { start: number; warm: number; middle: number; end: number };
  /** VmRSS in KiB after each tenth of the requests (the trend). */
  rssTrendKiB: number[];
  rssGrowthLimitMiB: number;
  processUp: boolean;
  seconds: number;
}

const CHALLENGE = "fuzz-http-s3cret";

/** One request of the stream: what it is (for the report) and how to send it. */
interface HttpInput {
  shape: string;
  method: "GET" | "POST";
  query: string;
  body?: Uint8Array;
  headers?: Record<string, string>;
}

interface Seed {
  label: string;
  tree: Node;
  der: Uint8Array;
}

/** Requests for this RA (decryptable: the deep paths run) and the real clients' vectors (encrypted to other CAs). */
function seedsFor(view: RaView): Seed[] {
  const device = makeDevice("fuzz-http-device");
  const seeds: Seed[] = [];
  const add = (label: string, der: Uint8Array): void => void seeds.push({ label, der, tree: parseTree(der) });
  add("pkcsreq", request({ device, recipient: view.ra, messageData: csrOf(device, { challenge: CHALLENGE }) }).der);
  add("pkcsreq-des3-sha1", request({ device, recipient: view.ra, messageData: csrOf(device, { challenge: CHALLENGE }), cipher: "des3", digest: "sha1" }).der);
  add("certpoll", request({ device, recipient: view.ra, messageData: issuerAndSubject(view.ca, device), messageType: MessageType.CertPoll }).der);
  for (const d of readdirSync(VECTORS_DIR)) {
    const f = join(VECTORS_DIR, d, "request.der");
    if (existsSync(f)) add(`${d}/request.der`, new Uint8Array(readFileSync(f)));
  }
  return seeds;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");
/** The encodings of `message=` real clients send: escaped standard base64, raw, URL-safe (micromdm), with line breaks (old Cisco). */
const ENCODINGS: Array<[string, (b: Uint8Array) => string]> = [
  ["escaped", (b) => encodeURIComponent(b64(b))],
  ["raw", (b) => b64(b)],
  ["urlsafe", (b) => Buffer.from(b).toString("base64url")],
  ["wrapped", (b) => encodeURIComponent(b64(b).replace(/(.{64})/g, "$1\n"))],
];

/** Query strings that are not a valid PKIOperation (the read-only operations, which answer 200 with no CertRep, are left out). */
const queryArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("", "?", "?operation=", "?operation", "?message=abc", "?operation=PKIOperation", "?operation=PKIOperation&message=", "?operation=PKIOperation&message=%", "?operation=PKIOperation&message=%zz%2", "?operation=pkioperation&message=MA==", "?operation=PKIOperation&message=====", "?operation=PKIOperation&message=MA%3D%3D", "?&&&=&=="),
  fc.string({ maxLength: 40 }).map((s) => `?operation=${encodeURIComponent(s)}`),
  fc.string({ unit: "binary", maxLength: 200 }).map((s) => `?operation=PKIOperation&message=${encodeURIComponent(s)}`),
  fc.uint8Array({ maxLength: 600 }).map((b) => `?operation=PKIOperation&message=${encodeURIComponent(b64(b))}`),
  fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 })).map(([a, b]) => `?${encodeURIComponent(a)}=${encodeURIComponent(b)}&operation=PKIOperation`),
);

const CONTENT_TYPES = [undefined, "application/x-pki-message", "application/octet-stream", "text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "\u0000bad"];

function inputArb(seeds: Seed[]): fc.Arbitrary<HttpInput> {
  const seedArb = fc.nat(seeds.length - 1).map((i) => seeds[i]!);
  const mutant = fc.tuple(seedArb, planArb).map(([s, plan]) => ({ s, bytes: mutate(s.tree, plan) }));
  return fc.oneof(
    { weight: 10, arbitrary: fc.tuple(mutant, fc.constantFrom(...CONTENT_TYPES)).map(([m, ct]) => ({ shape: "POST mutant", method: "POST" as const, query: "?operation=PKIOperation", body: m.bytes, headers: ct === undefined || ct.includes("\u0000") ? undefined : { "content-type": ct } })) },
    { weight: 4, arbitrary: fc.tuple(mutant, fc.nat(ENCODINGS.length - 1)).map(([m, e]) => ({ shape: `GET mutant (${ENCODINGS[e]![0]})`, method: "GET" as const, query: `?operation=PKIOperation&message=${ENCODINGS[e]![1](m.bytes)}` })) },
    { weight: 2, arbitrary: queryArb.map((q) => ({ shape: "GET mangled query", method: "GET" as const, query: q })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((b) => ({ shape: "POST random bytes", method: "POST" as const, query: "?operation=PKIOperation", body: b })) },
    { weight: 1, arbitrary: fc.tuple(seedArb, fc.nat(), fc.nat(7)).map(([s, at, bit]) => { const b = Uint8Array.from(s.der); b[at % b.length]! ^= 1 << bit; return { shape: "POST bit flip", method: "POST" as const, query: "?operation=PKIOperation", body: b }; }) },
    { weight: 1, arbitrary: fc.tuple(seedArb, fc.nat()).map(([s, at]) => ({ shape: "POST truncated", method: "POST" as const, query: "?operation=PKIOperation", body: s.der.subarray(0, at % s.der.length) })) },
    { weight: 1, arbitrary: fc.tuple(queryArb, mutant).map(([q, m]) => ({ shape: "POST mangled query", method: "POST" as const, query: q, body: m.bytes })) },
    { weight: 1, arbitrary: fc.constantFrom(64 * 1024 + 1, 200 * 1024).map((n) => ({ shape: "POST too large", method: "POST" as const, query: "?operation=PKIOperation", body: new Uint8Array(n).fill(0x30) })) },
  );
}

/** The SCEP operation the server reads from `query` (the first `operation=`), percent-decoded. */
function operationOf(query: string): string | undefined {
  const m = /[?&]operation=([^&#]*)/.exec(query);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!.replace(/\+/g, " "));
  } catch {
    return m[1];
  }
}

/** Judges one answer; returns why it is wrong, or "". */
function judgeAnswer(status: number, contentType: string, body: Buffer, view: RaView): string {
  if (status === 400 || status === 413) {
    const text = body.toString("utf8").replace(/\r?\n$/, "");
    if (!contentType.startsWith("text/plain")) return `${status} with content-type ${contentType}`;
    if (!text || text.length > 300 || /[\r\n]/.test(text)) return `${status} without a one-line reason: ${JSON.stringify(text.slice(0, 120))}`;
    return "";
  }
  if (status !== 200) return `HTTP ${status}: ${JSON.stringify(body.toString("utf8").slice(0, 120))}`;
  if (contentType !== "application/x-pki-message") return `200 with content-type ${contentType}`;
  try {
    const a = readSignedAttributes(body, view.ra);
    if (a.messageType !== MessageType.CertRep) return `200 pkiMessage of messageType ${a.messageType}`;
  } catch (err) {
    return `200 whose CertRep does not verify against the RA certificate: ${(err as Error).message}`;
  }
  return "";
}

function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

export async function runHttpCampaign(o: HttpCampaignOptions): Promise<HttpCampaignResult> {
  const gate = await startScepgate({
    config: { log: { level: "warn" }, profiles: { default: { approval: "manual", syncWaitMs: 0, challenge: { mode: "static", value: CHALLENGE } } } },
  });
  try {
    const view = await fetchRaView(gate.url);
    const seeds = seedsFor(view);
    const inputs = fc.sample(inputArb(seeds).filter((i) => !/^(GetCACaps|GetCACert|GetNextCACert)$/.test(operationOf(i.query) ?? "")), { seed: o.seed, numRuns: o.requests });
    const result: HttpCampaignResult = {
      requests: 0, byStatus: {}, byShape: {}, findings: [], rssKiB: { start: rssKiB(gate.pid()), warm: 0, middle: 0, end: 0 }, rssTrendKiB: [], rssGrowthLimitMiB: o.rssGrowthLimitMiB, processUp: false, seconds: 0,
    };
    const started = performance.now();
    let next = 0;
    const send = async (input: HttpInput): Promise<void> => {
      const label = `${input.method} ${input.query.slice(0, 200)}${input.body ? ` body ${input.body.length} B ${Buffer.from(input.body.subarray(0, 4096)).toString("hex")}` : ""}`;
      let status: string;
      try {
        const res = await fetch(`${gate.url}${input.query}`, { method: input.method, body: input.body, headers: input.headers, signal: AbortSignal.timeout(15_000) });
        const body = Buffer.from(await res.arrayBuffer());
        status = String(res.status);
        const why = judgeAnswer(res.status, res.headers.get("content-type") ?? "", body, view);
        if (why) result.findings.push({ request: label, detail: `${input.shape}: ${why}` });
      } catch (err) {
        const e = err as Error & { cause?: { code?: string; message?: string } };
        status = `error ${e.cause?.code ?? e.name}`;
        result.findings.push({ request: label, detail: `${input.shape}: no answer (${e.name}: ${e.cause?.message ?? e.message})` });
      }
      result.requests++;
      result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
      result.byShape[input.shape] = (result.byShape[input.shape] ?? 0) + 1;
      if (result.requests === o.warmup) result.rssKiB.warm = rssKiB(gate.pid());
      if (result.requests === Math.floor(o.requests / 2)) result.rssKiB.middle = rssKiB(gate.pid());
      if (result.requests % Math.max(1, Math.floor(o.requests / 10)) === 0) result.rssTrendKiB.push(rssKiB(gate.pid()));
      o.onProgress?.(result.requests);
    };
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (next < inputs.length) await send(inputs[next++]!);
      }),
    );
    result.seconds = (performance.now() - started) / 1000;
    result.rssKiB.end = rssKiB(gate.pid());
    const caps = await fetch(`${gate.url}?operation=GetCACaps`, { signal: AbortSignal.timeout(15_000) }).catch(() => undefined);
    result.processUp = gate.lastExit() === undefined && caps?.status === 200;
    if (!result.processUp) result.findings.push({ request: "GetCACaps after the stream", detail: `the process is down (${JSON.stringify(gate.lastExit())}, GetCACaps ${caps?.status})` });
    const growth = (result.rssKiB.end - result.rssKiB.warm) / 1024;
    if (growth > o.rssGrowthLimitMiB) result.findings.push({ request: "RSS", detail: `RSS grew by ${growth.toFixed(1)} MiB after warm-up (limit ${o.rssGrowthLimitMiB} MiB)` });
    if (/^\s+at /m.test(gate.output())) result.findings.push({ request: "log", detail: "a stack trace in scepgate's output" });
    return result;
  } finally {
    await gate.stop();
  }
}

/** Prints the HTTP part of the report and writes its findings to `dir/http-findings.json`. */
export function printHttpReport(r: HttpCampaignResult, dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "http-findings.json"), JSON.stringify(r.findings, null, 1));
  const mib = (k: number): string => (k / 1024).toFixed(1);
  const lines = [
    "",
    "== scepgate HTTP mutant stream ==",
    `requests       ${r.requests}  (${Object.entries(r.byShape).map(([k, v]) => `${k} ${v}`).join(", ")})`,
    `answers        ${Object.entries(r.byStatus).sort().map(([k, v]) => `${k}: ${v}`).join(", ")}`,
    `failures       ${r.findings.length}`,
    `RSS (MiB)      start ${mib(r.rssKiB.start)}, after warm-up ${mib(r.rssKiB.warm)}, middle ${mib(r.rssKiB.middle)}, end ${mib(r.rssKiB.end)} (limit: +${r.rssGrowthLimitMiB} MiB after warm-up); by tenths: ${r.rssTrendKiB.map(mib).join(" ")}`,
    `process        ${r.processUp ? "up" : "DOWN"}`,
    `throughput     ${Math.round(r.requests / r.seconds)} requests/s over ${r.seconds.toFixed(1)} s`,
  ];
  const groups = new Map<string, number>();
  for (const f of r.findings) groups.set(f.detail.replace(/\d+/g, "N").slice(0, 160), (groups.get(f.detail.replace(/\d+/g, "N").slice(0, 160)) ?? 0) + 1);
  for (const [k, n] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 20)) lines.push(`  ${String(n).padStart(6)}  ${k}`);
  lines.push(`findings: ${join(dir, "http-findings.json")}`);
  console.log(lines.join("\n"));
}

/**
 * The load generator, in a process of its own so it does not share the
 * server's event loop (it does share the machine's cores):
 * `node --import tsx test/bench/load.ts SPEC.json` → one line of JSON
 * ({@link LoadResult}) on stdout.
 *
 * - HTTP/1.1 over raw keep-alive TCP sockets, one request in flight per
 *   socket (no pipelining), `concurrency` sockets. node:http's client and
 *   undici cost more CPU per request than the servers under test spend on a
 *   GetCACaps; a minimal client keeps the generator's share of the 2 cores
 *   small. Responses are framed by Content-Length or chunked encoding; a
 *   `Connection: close` answer makes the socket reconnect.
 * - Warm-up (`warmupMs`, not recorded), then the measured window
 *   (`durationMs`). Throughput = answers completed inside the window / the
 *   window; requests still in flight at its end are drained and not counted.
 *   With a message set, each message is sent once (distinct transactions);
 *   when the set runs out the window ends at the last answer (`exhausted`).
 * - Latency of every answer in the window, in a Float64Array, sorted at the
 *   end for exact percentiles.
 * - pkiStatus without decoding: the CertRep's signedAttrs are not encrypted,
 *   so the answer is scanned (Buffer.indexOf, native memmem) for the DER of
 *   the pkiStatus attribute type OID 2.16.840.1.113733.1.9.3
 *   (06 0A 60 86 48 01 86 F8 45 01 09 03), followed by its SET OF
 *   (31 len) holding a PrintableString (13 01 X): X = '0' SUCCESS, '2'
 *   FAILURE, '3' PENDING. The first match could only be a false one if 12
 *   random ciphertext bytes of the envelope (which precedes the signerInfos)
 *   happened to equal the OID: negligible. run.ts fully decodes a sample
 *   answer per scenario to check the scan.
 *
 * Node built-ins only.
 */
import { writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { readMessageFile } from "./messages.js";
import { machineCpuMs, treeCpuMs } from "./proc.js";

export interface LoadSpec {
  host: string;
  port: number;
  /** Path and query, e.g. `/scep?operation=GetCACaps`. */
  path: string;
  /** Set file of bodies to POST, each once; absent = GET `path`. */
  messagesFile?: string;
  /** Skip this many messages of the file (already used elsewhere). */
  offset?: number;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Scan answers for pkiStatus. */
  pkiStatus?: boolean;
  /** Which answers count as good: `http200` (default) or a pkiStatus name. */
  good?: "http200" | "SUCCESS" | "PENDING" | "FAILURE";
  /** Save the answer to message 0 (and the first answer of each pkiStatus) here, for run.ts to decode. */
  sampleDir?: string;
  /** Give up on an answer after this long (the socket is closed and reopened); default 30 s. */
  timeoutMs?: number;
  /** Processes whose CPU is measured over the window (the server's tree, redis-server). */
  watch?: { server?: number; redis?: number };
}

/** Where the machine's CPU went during the measured window, as % of all cores. */
export interface WindowCpu {
  cores: number;
  /** Every process of the machine. */
  busyPct: number;
  /** The server under test (its whole process tree). */
  serverPct: number;
  redisPct: number;
  generatorPct: number;
  /** Hard and soft interrupts (loopback TCP processing), charged to no process. */
  irqPct: number;
  /** Everything else: other work on the machine competing for the cores. */
  othersPct: number;
  /** Server CPU per answer in the window, ms. */
  serverMsPerAnswer: number;
}

export interface LoadResult {
  /** Answers completed in the measured window. */
  requests: number;
  /** Good answers (see LoadSpec.good) in the window. */
  good: number;
  /** Length of the window actually measured, ms. */
  windowMs: number;
  /** requests / window. */
  rps: number;
  /** good / window. */
  goodRps: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** HTTP status → count (window). */
  http: Record<string, number>;
  /** pkiStatus → count (window): SUCCESS, PENDING, FAILURE, none. */
  pki: Record<string, number>;
  /** Socket errors and timeouts (whole run). */
  errors: number;
  firstError?: string;
  /** Answers over the whole run, warm-up and drain included (for CPU per request). */
  totalAnswers: number;
  messagesUsed: number;
  /** The message set ran out; the window ended at the last answer. */
  exhausted: boolean;
  /** CPU the generator itself used over the whole run, ms (user + system). */
  generatorCpuMs: number;
  /** CPU shares over the measured window (undefined if the window was empty). */
  windowCpu?: WindowCpu;
  wallMs: number;
}

const PKI_STATUS_OID = Buffer.from([0x06, 0x0a, 0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x45, 0x01, 0x09, 0x03]);
const PKI_NAMES: Record<string, string> = { "0": "SUCCESS", "2": "FAILURE", "3": "PENDING" };
const CRLF2 = Buffer.from("\r\n\r\n");

/** pkiStatus of a CertRep by byte scan (see the module comment); "none" if not found. */
export function scanPkiStatus(body: Buffer): string {
  const at = body.indexOf(PKI_STATUS_OID);
  if (at < 0) return "none";
  let p = at + PKI_STATUS_OID.length;
  if (body[p] !== 0x31) return "none";
  p += 2; // SET tag + short length (a one-value SET is always short)
  if (body[p] !== 0x13 || body[p + 1] !== 0x01) return "none";
  return PKI_NAMES[String.fromCharCode(body[p + 2]!)] ?? "none";
}

/** A growable Float64Array. */
class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const messages = spec.messagesFile ? readMessageFile(spec.messagesFile) : undefined;
  let next = spec.offset ?? 0;
  const timeoutMs = spec.timeoutMs ?? 30_000;
  const host = `${spec.host}:${spec.port}`;
  const getRequest = Buffer.from(`GET ${spec.path} HTTP/1.1\r\nHost: ${host}\r\nAccept: */*\r\n\r\n`, "latin1");
  const postHead = `POST ${spec.path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-pki-message\r\nContent-Length: `;
  const good = spec.good ?? "http200";
  const scan = spec.pkiStatus ?? (good !== "http200");

  const latencies = new Samples();
  const http: Record<string, number> = {};
  const pki: Record<string, number> = {};
  let requests = 0;
  let goodCount = 0;
  let errors = 0;
  let firstError: string | undefined;
  let totalAnswers = 0;
  let exhausted = false;
  let lastAnswerAt = 0;
  const sampled = new Set<string>();

  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const windowStart = start + spec.warmupMs;
  const windowEnd = windowStart + spec.durationMs;
  let stopping = false;

  const saveSample = (label: string, body: Buffer): void => {
    if (!spec.sampleDir || sampled.has(label)) return;
    sampled.add(label);
    writeFileSync(join(spec.sampleDir, `${label}.der`), body);
  };

  /** One connection: sends, reads the answer, sends the next, until told to stop. */
  const client = (): Promise<void> =>
    new Promise<void>((resolveClient) => {
      let socket: Socket;
      let buf: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      let msgIndex = -1;
      let inFlight = false;
      let timer: NodeJS.Timeout | undefined;
      let done = false;

      const finish = (): void => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        socket.destroy();
        resolveClient();
      };

      const open = (): void => {
        buf = Buffer.alloc(0);
        socket = connect({ host: spec.host, port: spec.port, noDelay: true });
        socket.on("connect", send);
        socket.on("data", onData);
        socket.on("error", (err) => fault(err.message));
        socket.on("close", () => {
          if (!done && inFlight) fault("connection closed mid-answer");
        });
      };

      const fault = (why: string): void => {
        errors++;
        firstError ??= why;
        inFlight = false;
        if (timer) clearTimeout(timer);
        socket.removeAllListeners();
        socket.on("error", () => undefined);
        socket.destroy();
        if (stopping || (messages && next >= messages.length)) finish();
        else setTimeout(open, 10);
      };

      const send = (): void => {
        if (stopping || performance.now() >= windowEnd) {
          finish();
          return;
        }
        if (messages) {
          if (next >= messages.length) {
            exhausted = true;
            finish();
            return;
          }
          msgIndex = next++;
          const body = messages[msgIndex]!;
          socket.cork();
          socket.write(`${postHead}${body.length}\r\n\r\n`, "latin1");
          socket.write(body);
          socket.uncork();
        } else {
          socket.write(getRequest);
        }
        inFlight = true;
        sentAt = performance.now();
        timer = setTimeout(() => fault(`no answer within ${timeoutMs} ms`), timeoutMs);
      };

      const onData = (chunk: Buffer): void => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        const res = parseResponse(buf);
        if (res === undefined) return;
        if (timer) clearTimeout(timer);
        inFlight = false;
        const now = performance.now();
        totalAnswers++;
        buf = buf.subarray(res.consumed);
        if (now >= windowStart && now <= windowEnd) {
          requests++;
          lastAnswerAt = now;
          latencies.push(now - sentAt);
          http[res.status] = (http[res.status] ?? 0) + 1;
          let isGood: boolean;
          if (scan) {
            const s = scanPkiStatus(res.body);
            pki[s] = (pki[s] ?? 0) + 1;
            isGood = s === good;
            if (spec.sampleDir) saveSample(s, res.body);
          } else {
            isGood = res.status === "200";
          }
          if (isGood) goodCount++;
        }
        if (msgIndex === 0 && spec.sampleDir) saveSample("message0", res.body);
        if (res.close) {
          socket.removeAllListeners();
          socket.on("error", () => undefined);
          socket.destroy();
          if (stopping || now >= windowEnd) finish();
          else open();
          return;
        }
        send();
      };

      open();
    });

  interface Snap {
    at: number;
    machine: { busyMs: number; totalMs: number; irqMs: number };
    server: number;
    redis: number;
    self: number;
    answers: number;
  }
  const snap = (): Snap => {
    const own = process.cpuUsage();
    return {
      at: performance.now(),
      machine: machineCpuMs(),
      server: spec.watch?.server ? treeCpuMs(spec.watch.server) : 0,
      redis: spec.watch?.redis ? treeCpuMs(spec.watch.redis) : 0,
      self: (own.user + own.system) / 1000,
      answers: requests,
    };
  };
  let snapStart: Snap | undefined;
  let snapEnd: Snap | undefined;
  const snapStartTimer = setTimeout(() => {
    snapStart = snap();
  }, spec.warmupMs);

  const clients = Array.from({ length: spec.concurrency }, () => client());
  // Stop sending at the end of the window; the clients finish their in-flight request and exit.
  const stopTimer = setTimeout(() => {
    stopping = true;
    snapEnd = snap();
  }, spec.warmupMs + spec.durationMs);
  await Promise.all(clients);
  clearTimeout(stopTimer);
  clearTimeout(snapStartTimer);
  if (snapStart && !snapEnd) snapEnd = snap(); // exhausted: the window ended at the last answer
  let windowCpu: WindowCpu | undefined;
  if (snapStart && snapEnd && snapEnd.machine.totalMs > snapStart.machine.totalMs) {
    const total = snapEnd.machine.totalMs - snapStart.machine.totalMs;
    const pctOf = (ms: number): number => (100 * ms) / total;
    const busy = snapEnd.machine.busyMs - snapStart.machine.busyMs;
    const server = snapEnd.server - snapStart.server;
    const redis = snapEnd.redis - snapStart.redis;
    const self = snapEnd.self - snapStart.self;
    const irq = snapEnd.machine.irqMs - snapStart.machine.irqMs;
    const answers = snapEnd.answers - snapStart.answers;
    windowCpu = {
      cores: Math.round(total / (snapEnd.at - snapStart.at)),
      busyPct: pctOf(busy),
      serverPct: pctOf(server),
      redisPct: pctOf(redis),
      generatorPct: pctOf(self),
      irqPct: pctOf(irq),
      othersPct: Math.max(0, pctOf(busy - server - redis - self - irq)),
      serverMsPerAnswer: answers > 0 ? server / answers : 0,
    };
  }
  const end = performance.now();
  const cpu = process.cpuUsage(cpu0);

  const windowMs = exhausted ? Math.max(0, lastAnswerAt - windowStart) : spec.durationMs;
  const sorted = latencies.sorted();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    requests,
    good: goodCount,
    windowMs,
    rps: windowMs > 0 ? (requests * 1000) / windowMs : 0,
    goodRps: windowMs > 0 ? (goodCount * 1000) / windowMs : 0,
    latencyMs: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted.length ? sorted[sorted.length - 1]! : 0,
      mean: sorted.length ? sum / sorted.length : 0,
    },
    http,
    pki,
    errors,
    firstError,
    totalAnswers,
    messagesUsed: messages ? next - (spec.offset ?? 0) : 0,
    exhausted,
    generatorCpuMs: (cpu.user + cpu.system) / 1000,
    windowCpu,
    wallMs: end - start,
  };
}

interface Parsed {
  status: string;
  body: Buffer;
  consumed: number;
  close: boolean;
}

/** One complete HTTP/1.1 response at the start of `buf`, or undefined if more bytes are needed. */
export function parseResponse(buf: Buffer): Parsed | undefined {
  const headEnd = buf.indexOf(CRLF2);
  if (headEnd < 0) return undefined;
  const head = buf.toString("latin1", 0, headEnd);
  const status = head.slice(9, 12);
  let contentLength = -1;
  let chunked = false;
  let close = head.startsWith("HTTP/1.0");
  for (const line of head.split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim().toLowerCase();
    if (name === "content-length") contentLength = Number(value);
    else if (name === "transfer-encoding") chunked = value.includes("chunked");
    else if (name === "connection") close = value.includes("close") ? true : value.includes("keep-alive") ? false : close;
  }
  const bodyStart = headEnd + 4;
  if (chunked) {
    const parts: Buffer[] = [];
    let p = bodyStart;
    for (;;) {
      const lineEnd = buf.indexOf("\r\n", p, "latin1");
      if (lineEnd < 0) return undefined;
      const size = parseInt(buf.toString("latin1", p, lineEnd).split(";")[0]!, 16);
      if (Number.isNaN(size)) throw new Error("bad chunk size");
      const dataStart = lineEnd + 2;
      if (size === 0) {
        // optional trailers, then CRLF
        const end = buf.indexOf(CRLF2, lineEnd, "latin1");
        if (buf.length >= dataStart + 2 && buf[dataStart] === 0x0d && buf[dataStart + 1] === 0x0a) {
          return { status, body: Buffer.concat(parts), consumed: dataStart + 2, close };
        }
        if (end < 0) return undefined;
        return { status, body: Buffer.concat(parts), consumed: end + 4, close };
      }
      if (buf.length < dataStart + size + 2) return undefined;
      parts.push(buf.subarray(dataStart, dataStart + size));
      p = dataStart + size + 2;
    }
  }
  if (contentLength < 0) {
    // No length and not chunked: the body runs to the end of the connection (HTTP/1.0 style); not expected here.
    contentLength = 0;
    close = true;
  }
  if (buf.length < bodyStart + contentLength) return undefined;
  return { status, body: buf.subarray(bodyStart, bodyStart + contentLength), consumed: bodyStart + contentLength, close };
}

// Run as a process: SPEC.json in, LoadResult JSON out.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const { readFileSync } = await import("node:fs");
  const spec = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as LoadSpec;
  const result = await runLoad(spec);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

/**
 * A fuzzing worker thread: rebuilds the corpus it is handed, draws its
 * share of batches, checks every input and posts findings and counts. It
 * writes the index of the input under test into a shared heartbeat so the
 * main thread can tell a hang from slowness.
 */
import { parentPort, workerData } from "node:worker_threads";
import { implicitRejectionSecret, loadPrivateKey, parseCertificate } from "../../src/crypto/index.js";
import { checkInput } from "./check.js";
import { drawBatch, inputArb, type Input } from "./inputs.js";
import { freshOpensslCounts, judgeOpenssl, type OpensslCounts } from "./openssl-compare.js";
import { decodeOpenssl, OPENSSL_KINDS } from "./openssl-reference.js";
import type { Kind, Outcome } from "./ours.js";
import type { Corpus } from "./seeds.js";
import { parseTree } from "./tlv-model.js";

export interface WorkerJob {
  seed: number;
  /** Batches this worker runs: index ≡ worker (mod workers). */
  worker: number;
  workers: number;
  batches: number;
  batchSize: number;
  only?: Kind;
  seeds: Record<Kind, Array<{ label: string; bytes: Uint8Array }>>;
  keys: Array<{ cert: Uint8Array; keyPem: string }>;
  /** [0] input counter (heartbeat), [1] 1 while in our decoder. */
  heartbeat: SharedArrayBuffer;
  /** The bytes under test, for a hang report: [0..3] length, then the bytes. */
  current: SharedArrayBuffer;
  openssl: OpensslSampling;
}

/** Which inputs also go through `openssl` (openssl-reference.ts): 1 in `every` of the kinds it reads, and with `interesting` every one our decoder accepts or the reference judged stricter/lenient; at most `budget` per worker. `every` 0: none. */
export interface OpensslSampling {
  every: number;
  budget: number;
  interesting: boolean;
}


export interface Finding {
  kind: "crash" | "disagreement" | "hang";
  input: string;
  inputKind: Kind;
  origin: string;
  detail: string;
}

export interface Progress {
  type: "progress";
  inputs: number;
  byKind: Record<string, number>;
  stricter: Record<string, number>;
  lenient: Record<string, number>;
  opaque: number;
  ourMs: number;
  refMs: number;
  findings: Finding[];
  openssl: OpensslCounts;
  done: boolean;
}

function corpusOf(job: WorkerJob): Corpus {
  const seeds = Object.fromEntries(Object.entries(job.seeds).map(([k, list]) => [k, list.map((s) => ({ ...s, bytes: new Uint8Array(s.bytes), tree: parseTree(new Uint8Array(s.bytes)) }))]));
  const keys = job.keys.map((k) => {
    const key = loadPrivateKey(k.keyPem);
    return { cert: parseCertificate(new Uint8Array(k.cert)), key, rejectionSecret: implicitRejectionSecret(key) };
  });
  return { seeds: seeds as Corpus["seeds"], keys, pki: undefined };
}

async function main(job: WorkerJob): Promise<void> {
  const corpus = corpusOf(job);
  const arb = inputArb(corpus, job.only);
  const beat = new Int32Array(job.heartbeat);
  const cur = new Uint8Array(job.current);
  let p: Progress = fresh();
  let applicable = 0;
  let calls = 0;
  for (let b = job.worker; b < job.batches; b += job.workers) {
    for (const input of drawBatch(arb, job.seed, b, job.batchSize)) {
      const n = Math.min(input.bytes.length, cur.length - 4);
      new DataView(cur.buffer).setUint32(0, n);
      cur.set(input.bytes.subarray(0, n), 4);
      Atomics.add(beat, 0, 1);
      Atomics.store(beat, 1, 1);
      const r = await checkInput(input, corpus.keys);
      Atomics.store(beat, 1, 0);
      p.inputs++;
      p.byKind[input.kind] = (p.byKind[input.kind] ?? 0) + 1;
      p.ourMs += r.ourMs;
      p.refMs += r.refMs;
      if (r.verdict.kind === "stricter") p.stricter[r.verdict.reason] = (p.stricter[r.verdict.reason] ?? 0) + 1;
      if (r.verdict.kind === "lenient") p.lenient[r.verdict.reason] = (p.lenient[r.verdict.reason] ?? 0) + 1;
      if (r.verdict.kind === "opaque") p.opaque++;
      if (r.verdict.kind === "crash" || r.verdict.kind === "disagreement") {
        const hang = r.verdict.detail.startsWith("hang");
        p.findings.push({ kind: hang ? "hang" : r.verdict.kind, input: Buffer.from(input.bytes).toString("hex"), inputKind: input.kind, origin: input.origin, detail: r.verdict.detail });
      }
      const o = job.openssl;
      if (o.every > 0 && calls < o.budget && OPENSSL_KINDS.has(input.kind)) {
        const interesting = o.interesting && (r.ours.ok || r.verdict.kind === "stricter" || r.verdict.kind === "lenient");
        if (interesting || ++applicable % o.every === 0) {
          calls++;
          opensslSample(input, r.ours, p);
        }
      }
    }
    parentPort!.postMessage(p);
    p = fresh();
  }
  parentPort!.postMessage({ ...p, done: true });
}

function opensslSample(input: Input, ours: Outcome, p: Progress): void {
  const ossl = decodeOpenssl(input.kind, input.bytes);
  const { verdict, notes } = judgeOpenssl(input.kind, ours, ossl);
  const c = p.openssl;
  c.inputs++;
  c.ms += ossl.ms;
  if (verdict.kind === "ok") {
    if (ours.ok) c.bothAccept++;
    else c.bothReject++;
  }
  if (verdict.kind === "stricter") c.stricter[verdict.reason] = (c.stricter[verdict.reason] ?? 0) + 1;
  if (verdict.kind === "lenient") c.lenient[verdict.reason] = (c.lenient[verdict.reason] ?? 0) + 1;
  for (const n of notes) c.notes[n] = (c.notes[n] ?? 0) + 1;
  if (verdict.kind === "crash" || verdict.kind === "disagreement") p.findings.push({ kind: verdict.kind, input: Buffer.from(input.bytes).toString("hex"), inputKind: input.kind, origin: `${input.origin} (openssl)`, detail: verdict.detail });
}

function fresh(): Progress {
  return { type: "progress", inputs: 0, byKind: {}, stricter: {}, lenient: {}, opaque: 0, ourMs: 0, refMs: 0, findings: [], openssl: freshOpensslCounts(), done: false };
}

main(workerData as WorkerJob).catch((err: unknown) => {
  console.error("fuzz worker failed:", err);
  process.exit(1);
});

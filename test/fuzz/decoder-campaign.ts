/**
 * Runs the decoder fuzzing on worker threads (one per core) and aggregates
 * their counts and findings. A worker whose input counter stands still for
 * longer than the hang limit while inside an input is a hang: it is
 * terminated, the input reported, and the campaign goes on without it.
 */
import { cpus } from "node:os";
import { Worker } from "node:worker_threads";
import { createPrivateKey } from "node:crypto";
import { privateKeyPem } from "../../src/crypto/index.js";
import type { Kind } from "./ours.js";
import type { Corpus } from "./seeds.js";
import { addOpensslCounts, freshOpensslCounts, type OpensslCounts } from "./openssl-compare.js";
import type { Finding, OpensslSampling, Progress, WorkerJob } from "./worker.js";

export interface CampaignOptions {
  seed: number;
  inputs: number;
  batchSize: number;
  workers?: number;
  only?: Kind;
  /** The openssl sample (whole campaign; the budget is shared out between the workers). */
  openssl?: OpensslSampling;
  /** After each batch: the inputs done and the result so far (for an interrupted run's report). */
  onProgress?: (done: number, sofar: CampaignResult) => void;
}

export interface CampaignResult {
  inputs: number;
  byKind: Record<string, number>;
  stricter: Record<string, number>;
  lenient: Record<string, number>;
  opaque: number;
  findings: Finding[];
  seconds: number;
  ourMs: number;
  refMs: number;
  openssl: OpensslCounts;
}

const WATCHDOG_MS = 5_000;

/** Node 20 does not apply `--import tsx` to a worker's entry module: register tsx inside the worker, then load it. */
const WORKER_BOOT = `import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(new URL("./worker.ts", import.meta.url).href)}); })`;

export async function runDecoderCampaign(corpus: Corpus, o: CampaignOptions): Promise<CampaignResult> {
  const workers = o.workers ?? Math.max(1, cpus().length);
  const batches = Math.ceil(o.inputs / o.batchSize);
  const seeds = Object.fromEntries(Object.entries(corpus.seeds).map(([k, l]) => [k, l.map((s) => ({ label: s.label, bytes: s.bytes }))])) as WorkerJob["seeds"];
  const keys = corpus.keys.map((k) => ({ cert: k.cert.der, keyPem: privateKeyPem(createPrivateKey(k.key.export({ format: "pem", type: "pkcs8" }))) }));
  const total: CampaignResult = { inputs: 0, byKind: {}, stricter: {}, lenient: {}, opaque: 0, findings: [], seconds: 0, ourMs: 0, refMs: 0, openssl: freshOpensslCounts() };
  const openssl = o.openssl ? { ...o.openssl, budget: Math.ceil(o.openssl.budget / workers) } : { every: 0, budget: 0, interesting: false };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, (_, worker) =>
      new Promise<void>((resolve, reject) => {
        const job: WorkerJob = { seed: o.seed, worker, workers, batches, batchSize: o.batchSize, only: o.only, seeds, keys, heartbeat: new SharedArrayBuffer(8), current: new SharedArrayBuffer(256 * 1024), openssl };
        const w = new Worker(WORKER_BOOT, { eval: true, workerData: job });
        const beat = new Int32Array(job.heartbeat);
        let last = -1;
        let since = performance.now();
        const dog = setInterval(() => {
          const now = Atomics.load(beat, 0);
          if (now !== last) return void ((last = now), (since = performance.now()));
          if (Atomics.load(beat, 1) === 0 || performance.now() - since < WATCHDOG_MS) return;
          const cur = new Uint8Array(job.current);
          const n = new DataView(cur.buffer).getUint32(0);
          total.findings.push({ kind: "hang", input: Buffer.from(cur.subarray(4, 4 + n)).toString("hex"), inputKind: "der", origin: `worker ${worker}`, detail: `no progress for ${WATCHDOG_MS} ms` });
          clearInterval(dog);
          void w.terminate().then(() => resolve());
        }, 250);
        w.on("message", (p: Progress) => {
          total.inputs += p.inputs;
          total.ourMs += p.ourMs;
          total.refMs += p.refMs;
          for (const [k, v] of Object.entries(p.byKind)) total.byKind[k] = (total.byKind[k] ?? 0) + v;
          for (const [k, v] of Object.entries(p.stricter)) total.stricter[k] = (total.stricter[k] ?? 0) + v;
          for (const [k, v] of Object.entries(p.lenient)) total.lenient[k] = (total.lenient[k] ?? 0) + v;
          total.opaque += p.opaque;
          addOpensslCounts(total.openssl, p.openssl);
          total.findings.push(...p.findings);
          total.seconds = (performance.now() - started) / 1000;
          o.onProgress?.(total.inputs, total);
          if (p.done) {
            clearInterval(dog);
            void w.terminate().then(() => resolve());
          }
        });
        w.on("error", (err) => {
          clearInterval(dog);
          reject(err);
        });
      }),
    ),
  );
  total.seconds = (performance.now() - started) / 1000;
  return total;
}

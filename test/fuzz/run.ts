/**
 * `npm run fuzz [-- --quick] [-- --inputs N] [-- --seed S] [-- --only KIND] [-- --workers N] [-- --vector-seeds | --all-seeds]
 *   [-- --openssl-every N] [-- --openssl-budget N] [-- --http-requests N | --no-http | --http-only] [-- --out DIR]`
 *
 * Differential fuzzing of scepgate's own BER/DER, CMS, X.509 and PKCS#10
 * decoders against asn1js/pkijs (issue 12). Structure-aware mutants of real
 * client vectors and of messages built with our client codec, plus generated
 * structures, go through both; see compare.ts for what counts as a finding
 * and for the documented strictness differences. Exit status 1 on any crash,
 * disagreement or hang.
 *
 * `--quick` (6,000 inputs, for CI) mutates the checked-in vector seeds only,
 * so that two runs give the same figures; other runs add the seeds built
 * with fresh keys (seeds.ts). `--vector-seeds` / `--all-seeds` override.
 *
 * A sample also goes through `openssl` (openssl-reference.ts): 1 in
 * `--openssl-every` (200) of the inputs of the kinds openssl reads; with
 * `--quick` every one our decoder accepts or the pkijs comparison judged
 * stricter/lenient, plus 1 in 20 of the rest, at most `--openssl-budget` (200).
 * Then the HTTP mutant stream (http-campaign.ts) against a real `scepgate
 * serve`: `--http-requests` (10,000; `--quick` 400). Exit status 1 on any
 * finding of either part.
 */
import { join } from "node:path";
import { loadCorpus } from "./seeds.js";
import { runDecoderCampaign, type CampaignResult } from "./decoder-campaign.js";
import type { Kind } from "./ours.js";
import { printHttpReport, runHttpCampaign } from "./http-campaign.js";
import { figuresOf, printReport } from "./report.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const quick = process.argv.includes("--quick");
const inputs = Number(arg("--inputs") ?? (quick ? 6_000 : 1_000_000));
const seed = Number(arg("--seed") ?? 12);
const vectorsOnly = process.argv.includes("--vector-seeds") || (quick && !process.argv.includes("--all-seeds"));
const httpOnly = process.argv.includes("--http-only");
const httpRequests = process.argv.includes("--no-http") ? 0 : Number(arg("--http-requests") ?? (quick ? 400 : 10_000));
const out = arg("--out") ?? join(import.meta.dirname, "..", "..", "test-artifacts", "fuzz");
const t0 = Date.now();
let lastPrint = 0;
const progress = (what: string, n: number, total: number): void => {
  if (Date.now() - lastPrint < 10_000) return;
  lastPrint = Date.now();
  process.stderr.write(`fuzz: ${n}/${total} ${what}, ${Math.round(n / ((Date.now() - t0) / 1000))}/s\n`);
};
let failed = 0;
let partial: CampaignResult | undefined;
// Interrupted (SIGINT/SIGTERM): the report of the inputs done so far, and a failing exit (the run is incomplete).
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    if (partial) printReport(partial, out, [`INTERRUPTED by ${signal} after ${partial.inputs} of ${inputs} inputs`]);
    process.exit(1);
  });
}
if (!httpOnly) {
  const corpus = await loadCorpus({ vectorsOnly });
  const result = await runDecoderCampaign(corpus, {
    seed,
    inputs,
    batchSize: 200,
    workers: arg("--workers") === undefined ? undefined : Number(arg("--workers")),
    only: arg("--only") as Kind | undefined,
    // openssl costs ~40 ms of CPU per input (a process start), so it gets a sample.
    openssl: { every: Number(arg("--openssl-every") ?? (quick ? 20 : 200)), budget: Number(arg("--openssl-budget") ?? (quick ? 200 : 1e9)), interesting: quick },
    onProgress: (n, sofar) => {
      partial = sofar;
      const f = figuresOf(sofar);
      progress(`inputs (crashes ${f.crashes}, disagreements ${f.disagreements}, hangs ${f.hangs})`, n, inputs);
    },
  });
  partial = undefined;
  const fig = printReport(result, out, [`seed ${seed}, ${quick ? "quick" : "full"} run, ${vectorsOnly ? "vector seeds only" : "vector and built seeds"}`]);
  failed += fig.crashes + fig.disagreements + fig.hangs;
}
if (httpRequests > 0) {
  const t1 = Date.now();
  const http = await runHttpCampaign({ seed, requests: httpRequests, concurrency: 4, warmup: Math.min(500, Math.floor(httpRequests / 4)), rssGrowthLimitMiB: 48, onProgress: (n) => progress("HTTP requests", n, httpRequests) });
  printHttpReport(http, out);
  console.log(`(HTTP part ${((Date.now() - t1) / 1000).toFixed(1)} s with the scepgate start)`);
  failed += http.findings.length;
}
console.log(`fuzz: ${failed === 0 ? "PASS" : `FAIL (${failed} findings)`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(failed === 0 ? 0 : 1);

/**
 * `npm run fuzz [-- --quick] [-- --inputs N] [-- --seed S] [-- --only KIND] [-- --workers N] [-- --vector-seeds | --all-seeds]`
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
 */
import { join } from "node:path";
import { loadCorpus } from "./seeds.js";
import { runDecoderCampaign } from "./decoder-campaign.js";
import type { Kind } from "./ours.js";
import { printReport } from "./report.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const quick = process.argv.includes("--quick");
const inputs = Number(arg("--inputs") ?? (quick ? 6_000 : 1_000_000));
const seed = Number(arg("--seed") ?? 12);
const vectorsOnly = process.argv.includes("--vector-seeds") || (quick && !process.argv.includes("--all-seeds"));
const corpus = await loadCorpus({ vectorsOnly });
const t0 = Date.now();
let lastPrint = 0;
const result = await runDecoderCampaign(corpus, {
  seed,
  inputs,
  batchSize: 200,
  workers: arg("--workers") === undefined ? undefined : Number(arg("--workers")),
  only: arg("--only") as Kind | undefined,
  onProgress: (n) => {
    if (Date.now() - lastPrint < 10_000) return;
    lastPrint = Date.now();
    process.stderr.write(`fuzz: ${n}/${inputs} inputs, ${Math.round(n / ((Date.now() - t0) / 1000))}/s\n`);
  },
});
const fig = printReport(result, join(import.meta.dirname, "..", "..", "test-artifacts", "fuzz"), [`seed ${seed}, ${quick ? "quick" : "full"} run, ${vectorsOnly ? "vector seeds only" : "vector and built seeds"}`]);
process.exit(fig.crashes + fig.disagreements + fig.hangs === 0 ? 0 : 1);

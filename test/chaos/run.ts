/**
 * `npm run chaos [-- --quick] [-- --seed N] [-- --appendfsync everysec|always] [-- --redis single|sentinel] [-- --json]`
 *
 * Chaos under load (issue 12): fronts (`serve --no-workers`), workers
 * (`worker`), a redis-server with AOF and an idempotent upstream (a second
 * scepgate) as separate processes; devices enrolling (auto and manual, an
 * operator approving meanwhile); kill -9 of each component at seeded random
 * moments, several times, each restarted after a short pause. Counts what
 * was accepted, lost, issued and duplicated upstream, and whether every device
 * ends with exactly its own certificate. Exit status 1 unless nothing is
 * lost, duplicated or wrong and every device finished. See test/chaos/README.md.
 */
import { join } from "node:path";
import { cleanupAll } from "../harness/cleanup.js";
import { REPO_ROOT } from "../harness/scepgate.js";
import { parseOptions } from "./options.js";
import { startSentinelTopology } from "../harness/sentinel.js";
import { startAofRedis, type RedisTopology } from "./redis-topology.js";
import { passed, reportJson, reportText, ACCEPTED_MEANS } from "./report.js";
import { runScenario, type ScenarioResult } from "./scenario.js";

const started = Date.now();
function log(line: string): void {
  process.stderr.write(`[chaos +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  log(`${o.quick ? "quick" : "full"} run, seed ${o.seed} (repeat with --seed ${o.seed}), ${o.devices} devices, ${o.kills} kills per component over ${o.windowMs / 1000} s, redis ${o.redis}, appendfsync ${o.modes.join(" then ")}`);
  const results: ScenarioResult[] = [];
  for (const mode of o.modes) {
    results.push(await runScenario({
      label: `${o.redis === "sentinel" ? "sentinel" : "appendfsync"}-${mode}`,
      options: o,
      redis: (): Promise<RedisTopology> => (o.redis === "sentinel" ? startSentinelTopology({ appendfsync: mode }) : startAofRedis({ appendfsync: mode })),
      artifactsDir: join(REPO_ROOT, "test-artifacts", "chaos"),
      log,
    }));
  }
  const text = results.map(reportText).join("\n");
  const summary = `\n${ACCEPTED_MEANS}\nchaos ${o.quick ? "quick" : "full"} run, seed ${o.seed}: ${results.map((r) => {
    const f = r.tally.figures;
    return `${r.label}: accepted ${f.accepted}, lost ${f.lost}, duplicated ${f.duplicatedUpstream}, wrong ${f.wrongCertificate}, finished ${f.finishedSuccess}/${f.devices}, kills ${r.kills.length} — ${passed(r) ? "PASS" : "FAIL"}`;
  }).join("; ")}; ${((Date.now() - started) / 1000).toFixed(0)} s in all`;
  if (o.json) {
    process.stderr.write(`${text}\n${summary}\n`);
    console.log(JSON.stringify(reportJson(results), null, 2));
  } else {
    console.log(`${text}\n${summary}`);
  }
  return results.every(passed) ? 0 : 1;
}

main().then(
  (code) => {
    cleanupAll();
    process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`chaos failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    cleanupAll();
    process.exit(1);
  },
);

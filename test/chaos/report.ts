/** The chaos run's report: one block of figures per run, the verdict, and the same as JSON. */
import type { ScenarioResult } from "./scenario.js";

/** Whether a run met the target: nothing lost, duplicated or wrong, every device finished, Redis kept every acknowledged write. */
export function passed(r: ScenarioResult): boolean {
  const f = r.tally.figures;
  return f.lost === 0 && f.duplicatedUpstream === 0 && f.wrongCertificate === 0 && f.raRecordAnomalies === 0 &&
    f.finishedSuccess === f.devices && r.canary.lost === 0 && r.kills.every((k) => k.error === undefined);
}

export const ACCEPTED_MEANS =
  'accepted = scepgate sent the device a signed CertRep PENDING or SUCCESS for its request (from then on the request is scepgate\'s to keep); ' +
  "a request that only met connection errors, timeouts or HTTP 5xx is still the device's, which retries it.";

export function reportText(r: ScenarioResult): string {
  const f = r.tally.figures;
  const k = Object.entries(r.killsPerComponent).map(([c, n]) => `${c} ${n}`).join(", ");
  const restarts = r.kills.filter((x) => !x.error).map((x) => x.restartMs);
  const slowBoots = r.kills.filter((x) => x.boots > 1).map((x) => `${x.component}@${(x.at / 1000).toFixed(0)}s×${x.boots}`);
  const lines = [
    "",
    `== scepgate chaos: ${r.label} ==`,
    `redis             ${r.redis}`,
    `seed              ${r.seed}`,
    `duration          ${(r.durationMs / 1000).toFixed(0)} s (setup ${(r.setupMs / 1000).toFixed(0)} s)`,
    `devices           ${f.devices} (${f.devices - f.realClients} codec-driven, ${f.realClients} real clients), peak ${f.peakInFlight} accepted and in flight at once`,
    `accepted          ${f.accepted}`,
    `finished SUCCESS  ${f.finishedSuccess}`,
    `lost              ${f.lost}`,
    `issued upstream   ${f.issuedUpstream}`,
    `duplicated        ${f.duplicatedUpstream}   (upstream certificates beyond one per device key; extra upstream records ${f.extraUpstreamRecords})`,
    `wrong certificate ${f.wrongCertificate}`,
    `failed / unfinished ${f.failed} / ${f.unfinished}; RA record anomalies ${f.raRecordAnomalies}`,
    `re-sent blind      ${f.resentAfterUpstreamHadIt}   (forwards re-sent as PKCSReq after a connection reset although the upstream had stored them: harmless with this idempotent upstream)`,
    `kills (kill -9)   ${r.kills.length}: ${k}; restart ${restarts.length ? `${Math.min(...restarts)}–${Math.max(...restarts)} ms` : "-"}` +
      (slowBoots.length ? `; needed more than one boot: ${slowBoots.join(", ")}` : ""),
    `AOF canary        ${r.canary.acked} acknowledged INCRs, ${r.canary.checks.length} checks after a kill -9 of Redis, ${r.canary.lost} acknowledged writes lost` +
      (r.canary.checks.length ? ` (last acknowledged → found: ${r.canary.checks.map((c) => `${c.acked}→${c.found}`).join(", ")})` : ""),
    `device answers    ${Object.entries(f.answers).filter(([, n]) => n > 0).map(([a, n]) => `${a} ${n}`).join(", ")}; PENDING in ${f.pendingAnswerMs.p50} ms p50, ${f.pendingAnswerMs.p90} ms p90`,
    `recoveries        ${Object.entries(r.recoveries).map(([what, n]) => `${what} ${n}`).join(", ")} (from the processes' logs; a SIGKILL may cut the last lines)`,
    `operator          ${r.operator.approved} approved, ${r.operator.conflicts} × 409, ${r.operator.errors} errors in ${r.operator.rounds} rounds`,
    ...r.kills.filter((x) => x.error).map((x) => `RESTART FAILED    ${x.component} at ${(x.at / 1000).toFixed(0)} s: ${x.error!.split("\n")[0]}`),
    ...r.tally.findings.slice(0, 40).map((l) => `  ${l}`),
    ...(r.tally.findings.length > 40 ? [`  … ${r.tally.findings.length - 40} more findings`] : []),
    `artifacts         ${r.artifacts} (every answer of every device, every process's log)`,
    `verdict           ${passed(r) ? "PASS" : "FAIL"}`,
  ];
  return lines.join("\n");
}

export function reportJson(results: readonly ScenarioResult[]): Record<string, unknown> {
  return {
    accepted_means: ACCEPTED_MEANS,
    pass: results.every(passed),
    runs: results.map((r) => ({
      label: r.label, redis: r.redis, redisFacts: r.redisFacts, seed: r.seed, durationMs: r.durationMs, setupMs: r.setupMs,
      figures: r.tally.figures, findings: r.tally.findings, killsPerComponent: r.killsPerComponent, kills: r.kills,
      operator: r.operator, canary: r.canary, recoveries: r.recoveries, artifacts: r.artifacts, pass: passed(r),
    })),
  };
}

/**
 * One chaos run for one Redis topology: start the processes, let the devices
 * enroll (auto ones arriving over the whole window, manual ones early and
 * approved by the operator throughout), kill -9 and restart every component
 * several times meanwhile, wait until every device has finished or the
 * deadline has passed, and count (tally.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateKey } from "../../src/crypto/index.js";
import { sleep } from "../harness/process.js";
import { startAofCanary, type CanaryCheck } from "./aof-canary.js";
import { runChaos, type Kill } from "./chaos.js";
import { startOperator, type OperatorStats } from "./operator.js";
import type { ChaosRunOptions } from "./options.js";
import { startRealClients, type RealClientRun } from "./real-clients.js";
import type { RedisTopology } from "./redis-topology.js";
import { Rng } from "./rng.js";
import { ChaosDevice, fetchRaView, type RaView } from "./scep-device.js";
import { tally, type Tally } from "./tally.js";
import { PROFILES, startChaosTopology, type ProfileName } from "./topology.js";

const ADMIN_TOKEN = "chaos-operator-token-7f3a9c21";

/** Everything one run measured. */
export interface ScenarioResult {
  label: string;
  redis: string;
  redisFacts: Record<string, unknown>;
  seed: number;
  durationMs: number;
  /** Setup (processes, keys) before the first device started. */
  setupMs: number;
  tally: Tally;
  kills: Kill[];
  killsPerComponent: Record<string, number>;
  operator: OperatorStats;
  canary: { acked: number; checks: readonly CanaryCheck[]; lost: number };
  /** Recoveries the processes logged: stalled jobs resumed, transactions reconcile gave a job again. */
  recoveries: Record<string, number>;
  /** Where the per-device answers and the processes' logs were written. */
  artifacts: string;
}

/** Options of {@link runScenario}. */
export interface ScenarioOptions {
  label: string;
  options: ChaosRunOptions;
  /** Starts the Redis under test (called once). */
  redis(): Promise<RedisTopology>;
  artifactsDir: string;
  log(line: string): void;
}

export async function runScenario(s: ScenarioOptions): Promise<ScenarioResult> {
  const o = s.options;
  const started = Date.now();
  const rng = new Rng(o.seed);
  // The devices' keys are made while the processes start (RSA key generation is most of the setup).
  const keying = Promise.all(Array.from({ length: o.devices }, () => generateKey("rsa-2048")));
  const redis = await s.redis();
  s.log(`${s.label}: ${redis.description}`);
  const topology = await startChaosTopology({ redis, adminToken: ADMIN_TOKEN, syncWaitMs: 3_000, restartTimeoutMs: 120_000, log: s.log });
  try {
    const views = Object.fromEntries(
      await Promise.all(PROFILES.map(async (p) => [p, await fetchRaView(`${topology.endpoints[0]!.baseUrl}/scep/${p}`)] as const)),
    ) as Record<ProfileName, RaView>;
    const keys = await keying;
    const devices = keys.map((key, i) => {
      const profile: ProfileName = i % 2 === 0 ? "auto" : "manual";
      return new ChaosDevice(`chaos-${i}`, profile, Math.floor(i / 2) % 2 === 0 ? "certpoll" : "resend", key, views[profile]);
    });
    const setupMs = Date.now() - started;
    s.log(`${s.label}: ${devices.length} devices (half auto, half manual; half poll with CertPoll, half re-send PKCSReq), setup ${setupMs} ms`);

    const runStarted = Date.now();
    const deadline = runStarted + o.windowMs + o.drainMs;
    // On Sentinel, scepgate confirms its writes on one replica (redis.waitReplicas' default): the canary does the same.
    const canary = startAofCanary(redis, "chaos-canary:", { waitReplicas: o.redis === "sentinel" ? 1 : 0 });
    // About four approvals per second of window per hundred manual requests: they are spread over the window.
    const perRound = Math.max(2, Math.ceil((4 * devices.filter((d) => d.profile === "manual").length) / (o.windowMs / 1000)));
    const operator = startOperator({ fronts: topology.endpoints, token: ADMIN_TOKEN, profile: "manual", rng: rng.fork("operator"), perRound, roundMs: [400, 1_200] });
    const behaviour = { pollIntervalMs: Math.min(4_000, Math.max(1_500, o.devices * 20)), deadline, runStarted, requestTimeoutMs: 20_000 };
    const arrivals = rng.fork("arrivals");
    const deviceRuns = devices.map(async (d, i) => {
      // Auto requests arrive over most of the window; manual ones early, then wait for the operator across it.
      await sleep(Math.round(arrivals.next() * o.windowMs * (d.profile === "auto" ? 0.85 : 0.3)));
      await d.run(() => topology.endpoints, rng.fork(`device-${i}`), behaviour);
    });
    const real = o.realClients ? startRealClients(topology.endpoints, rng, deadline, o.windowMs) : { runs: Promise.resolve([]), finished: () => true };

    const canaryHooks = {
      beforeKill: (c: { kind: string }) => {
        if (c.kind === "redis") canary.beforeKill();
      },
      afterRestart: async (c: { kind: string; name: string }) => {
        if (c.kind !== "redis") return;
        const check = await canary.afterRestart();
        if (check) s.log(`${c.name} back: canary acknowledged ${check.acked}, found ${check.found}${check.lost ? ` — ${check.lost} ACKNOWLEDGED WRITES LOST` : ""}`);
      },
    };
    const progress = setInterval(() => {
      const done = devices.filter((d) => d.finished).length;
      const accepted = devices.filter((d) => d.accepted).length;
      s.log(`${s.label}: +${Math.round((Date.now() - runStarted) / 1000)} s: ${accepted} accepted, ${done}/${devices.length} finished, operator ${JSON.stringify(operator.stats())}`);
    }, 10_000);
    const kills = await runChaos({
      components: topology.components, rng: rng.fork("chaos"), kills: o.kills, windowMs: o.windowMs, downMs: o.downMs, runStarted, hooks: canaryHooks, log: s.log,
      done: () => devices.every((d) => d.finished) && real.finished(),
    });
    s.log(`${s.label}: chaos over (${kills.length} kills); waiting for the devices (deadline in ${Math.round((deadline - Date.now()) / 1000)} s)`);
    await Promise.all(deviceRuns);
    const realRuns = await real.runs;
    clearInterval(progress);
    const operatorStats = await operator.stop();
    await canary.stop();

    const ra = (await Promise.all(PROFILES.map((p) => topology.records.records(p)))).flat();
    const up = await topology.upstreamRecords.records("default");
    const audit = new Map(await Promise.all(ra.map(async (t) => [t.id, await topology.records.audit(t.id)] as const)));
    const result = tally(devices, realRuns, ra, up, audit);
    const durationMs = Date.now() - started;
    const artifacts = join(s.artifactsDir, s.label);
    const audits = Object.fromEntries(ra.map((t) => [`${t.profile}/${t.commonName} ${t.id}`, audit.get(t.id)]));
    const upstreamView = up.map(({ csr: _csr, requesterCert: _rc, certificate: _c, chain: _ch, ...t }) => t);
    writeArtifacts(artifacts, devices, realRuns, { ra: audits, upstream: upstreamView }, topology.outputs());
    const checks = canary.checks();
    const recoveries = countRecoveries(Object.values(topology.outputs()).join("\n"));
    const killsPerComponent = Object.fromEntries(topology.components.map((c) => [c.name, kills.filter((k) => k.component === c.name).length]));
    return {
      label: s.label, redis: redis.description, redisFacts: await redis.facts(), seed: o.seed, durationMs, setupMs, tally: result, kills, killsPerComponent,
      operator: operatorStats, canary: { acked: canary.acked(), checks, lost: checks.reduce((n, c) => n + c.lost, 0) }, recoveries, artifacts,
    };
  } finally {
    await topology.stop().catch((err: unknown) => s.log(`${s.label}: stopping the topology: ${String(err)}`));
    await redis.stop();
  }
}

/** Recoveries the processes logged (a SIGKILL may cut a process's last lines). */
function countRecoveries(logs: string): Record<string, number> {
  const count = (re: RegExp): number => logs.match(re)?.length ?? 0;
  return {
    stalledJobsResumed: count(/"msg":"forward job stalled/g),
    reconcileAdded: count(/"outcome":"added","msg":"reconcile: transaction had no live forward job"/g),
    reconcileRevived: count(/"outcome":"revived","msg":"reconcile: transaction had no live forward job"/g),
    jobsFailed: count(/"msg":"forward job FAILED/g),
  };
}

/** Every device's answers, every RA record's audit trail (JSON) and every process's output, for the post-mortem of a run. */
function writeArtifacts(
  dir: string, devices: readonly ChaosDevice[], real: readonly RealClientRun[], stores: { ra: Record<string, unknown>; upstream: unknown[] }, outputs: Record<string, string>,
): void {
  mkdirSync(dir, { recursive: true });
  const perDevice = devices.map((d) => ({ cn: d.cn, profile: d.profile, pollStyle: d.pollStyle, transactionId: d.transactionId, accepted: d.accepted, serial: d.certificate?.serialHex, problem: d.problem, answers: d.answers }));
  writeFileSync(join(dir, "devices.json"), JSON.stringify(perDevice, null, 1));
  writeFileSync(join(dir, "real-clients.json"), JSON.stringify(real.map(({ spki: _spki, ...r }) => r), null, 1));
  writeFileSync(join(dir, "ra-audit.json"), JSON.stringify(stores.ra, null, 1));
  writeFileSync(join(dir, "upstream-records.json"), JSON.stringify(stores.upstream, null, 1));
  for (const [name, text] of Object.entries(outputs)) writeFileSync(join(dir, `${name}.log`), text);
}

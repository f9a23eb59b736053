/**
 * `npm run bench [-- --quick] [-- --only 1,3] [-- --profile] [-- --log-level L]`
 *
 * scepgate side by side with micromdm scepserver on this machine, in one run
 * (see test/bench/README.md for what is measured and how):
 *
 *   1 GetCACaps   2 GetCACert   3 PKCSReq -> SUCCESS (auto, embedded CA)
 *   4 PKCSReq -> PENDING (manual)   5 CertPoll on issued transactions
 *   6 end-to-end through the queue to a micromdm upstream (when supported)
 *   7 `scepgate batch` (devices/s beside the key-generation-only rate; batch.ts)
 *
 * Prints one table on stdout (progress goes to stderr) and writes the same
 * figures to bench-results/latest.json. `--profile` runs scenarios 3 and 4
 * with `node --cpu-prof` on the server instead and prints where the time went.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, release, totalmem } from "node:os";
import { basename, join } from "node:path";
import { certificatesOf, implicitRejectionSecret, loadPrivateKey, parseCertificate, spkiOf, type Certificate } from "../../src/crypto/index.js";
import { decodeCertRep, PkiStatus } from "../../src/protocol/index.js";
import { cleanupAll } from "../harness/cleanup.js";
import { startRedis, type RedisHandle } from "../harness/redis.js";
import { makeTempDir, removeTempDir } from "../harness/tmp.js";
import { startScepServer, type ScepServer } from "../harness/upstream-ca.js";
import type { LoadResult, LoadSpec } from "./load.js";
import { concatMessageFiles, type BuildJob, type BuildReport, type SetSpec } from "./messages.js";
import { batchDevices, batchKeygenCount, batchReportLines, runBatchBench, type BatchCase } from "./batch.js";
import { formatSummary, summarize } from "./profile-summary.js";
import { machineCpuMs, procMemory, treeCpuMs, treeMemory } from "./proc.js";
import { pidListeningOn, REPO_ROOT, startGate, type Gate } from "./servers.js";

// ---------------------------------------------------------------- options

interface Options {
  quick: boolean;
  profile: boolean;
  only: Set<number> | undefined;
  /** Devices per scenario-7 batch (`--batch-devices`; default batch.ts batchDevices()). */
  batchDevices: number | undefined;
  logLevel: string;
  warmupMs: number;
  durationMs: number;
  concurrency: number;
  sweep: number[];
  opensslSeconds: number;
  keys: number;
  issueCount: number;
  builders: number;
  /** Before each measured run, wait up to this long for the machine to be quiet (other processes under 15% of the cores). */
  waitQuietMs: number;
  /** scepgate's `serve --processes` variants, the default (one per core) last: `--processes 1,2`. */
  processes: number[];
}

function parseArgs(argv: string[]): Options {
  const quick = argv.includes("--quick");
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (flag: string, dflt: number): number => {
    const v = value(flag);
    return v === undefined ? dflt : Number(v);
  };
  const only = value("--only");
  return {
    quick,
    profile: argv.includes("--profile"),
    only: only ? new Set(only.split(",").map((x) => (x.trim() === "batch" ? 7 : Number(x)))) : undefined,
    batchDevices: value("--batch-devices") === undefined ? undefined : Number(value("--batch-devices")),
    logLevel: value("--log-level") ?? "info",
    warmupMs: num("--warmup", quick ? 500 : 2_000),
    durationMs: num("--duration", quick ? 2_000 : 10_000),
    concurrency: num("--concurrency", 32),
    sweep: (value("--sweep") ?? "8,32,64").split(",").map(Number),
    opensslSeconds: num("--openssl-seconds", 3),
    keys: num("--keys", quick ? 16 : 64),
    issueCount: num("--issue", quick ? 64 : 256),
    builders: Math.max(1, cpus().length),
    waitQuietMs: num("--wait-quiet", quick ? 0 : 30) * 1000,
    processes: processVariants(value("--processes")),
  };
}

/** `--processes 1,4` as given; default 1 and the number of cores (serve's default), in that order. */
function processVariants(v: string | undefined): number[] {
  const list = v ? v.split(",").map(Number) : [1, availableParallelism()];
  if (list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--processes: expected whole numbers, got ${v}`);
  return [...new Set(list)];
}

const started = Date.now();
function log(msg: string): void {
  process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`);
}

// ---------------------------------------------------------------- openssl

interface OpensslSpeed {
  version: string;
  seconds: number;
  /** `openssl speed rsa2048` sign/s, one process = one core. */
  signPerSecOneCore: number;
  /** `openssl speed -multi N rsa2048` sign/s, all cores. */
  signPerSecAllCores: number;
  cores: number;
  multiAttempts: number[];
}

async function runCommand(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 300_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

function parseSignPerSec(text: string): number {
  // "rsa 2048 bits 0.000203s 0.000012s   4932.2  80962.9"
  const m = /^rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)\s*$/m.exec(text);
  if (!m) throw new Error(`cannot parse openssl speed output:\n${text.slice(-500)}`);
  return Number(m[1]);
}

/**
 * One core, then all cores. Other work on the machine can only lower these
 * figures (and so flatter the fraction of the limit scepgate reaches): when
 * the all-core figure is under 90% of cores × one-core, the machine was busy;
 * it is measured again, up to three times, and the highest figure is kept.
 */
async function opensslSpeed(seconds: number, cores: number): Promise<OpensslSpeed> {
  const version = (await runCommand("openssl", ["version"])).stdout.trim();
  const one = parseSignPerSec((await runCommand("openssl", ["speed", "-seconds", String(seconds), "rsa2048"])).stdout);
  const attempts: number[] = [];
  for (let i = 0; i < 3; i++) {
    attempts.push(parseSignPerSec((await runCommand("openssl", ["speed", "-seconds", String(seconds), "-multi", String(cores), "rsa2048"])).stdout));
    if (Math.max(...attempts) >= 0.9 * cores * one) break;
    log(`openssl speed -multi ${cores}: ${attempts.at(-1)!.toFixed(0)} sign/s, under 90% of ${cores} x ${one.toFixed(0)}: the machine is busy, measuring again`);
  }
  return { version, seconds, signPerSecOneCore: one, signPerSecAllCores: Math.max(...attempts), cores, multiAttempts: attempts };
}

// ---------------------------------------------------------------- messages

async function buildMessages(dir: string, o: Options, runId: string, sets: SetSpec[]): Promise<{ reports: BuildReport[]; files: Record<string, string> }> {
  const n = o.builders;
  const share = (count: number, w: number): number => Math.floor(count / n) + (w < count % n ? 1 : 0);
  const jobs: BuildJob[] = Array.from({ length: n }, (_, w) => ({
    outDir: dir,
    worker: w,
    keys: Math.max(1, Math.ceil(o.keys / n)),
    runId,
    digest: "sha256",
    cipher: "aes128",
    sets: sets.map((s) =>
      s.kind === "pkcsreq" ? { ...s, count: share(s.count, w) } : { ...s, issueCount: share(s.issueCount, w), pollCount: share(s.pollCount, w) },
    ),
  }));
  const reports = await Promise.all(
    jobs.map(async (job) => {
      const jobFile = join(dir, `build-job-${job.worker}.json`);
      writeFileSync(jobFile, JSON.stringify(job));
      const r = await runCommand(process.execPath, ["--import", "tsx", join(REPO_ROOT, "test/bench/build-messages.ts"), jobFile], { cwd: REPO_ROOT });
      if (r.code !== 0) throw new Error(`message builder ${job.worker} failed: ${r.stderr}`);
      return JSON.parse(r.stdout.trim().split("\n").pop()!) as BuildReport;
    }),
  );
  // One file per set, worker 0's part first (so message 0 is signed by worker 0's first key: the sample key).
  const files: Record<string, string> = {};
  const names = sets.flatMap((s) => (s.kind === "pkcsreq" ? [s.name] : [`${s.name}-issue`, `${s.name}-poll`]));
  for (const name of names) {
    const file = join(dir, `${name}.bin`);
    concatMessageFiles(
      jobs.map((j) => join(dir, `${name}.${j.worker}.bin`)),
      file,
    );
    files[name] = file;
  }
  return { reports, files };
}

// ---------------------------------------------------------------- load runs

interface RunRecord {
  server: "scepgate" | "micromdm";
  /** scepgate's `serve --processes` (undefined for micromdm). */
  processes?: number;
  scenario: string;
  concurrency: number;
  load: LoadResult;
  /** Server CPU (all its processes) over the whole generator run, ms. */
  serverCpuMs: number;
  /** Server CPU per answer (warm-up and drain included), ms. */
  serverCpuMsPerAnswer: number;
  sampleCheck?: string;
}

/** Set once Redis runs: its CPU is measured in every window. */
const env: { redisPid?: number; waitQuietMs: number } = { waitQuietMs: 0 };

/** Busy share of the machine (% of all cores) over `ms`. */
async function machineBusyPct(ms: number): Promise<number> {
  const a = machineCpuMs();
  await new Promise((r) => setTimeout(r, ms));
  const b = machineCpuMs();
  return (100 * (b.busyMs - a.busyMs)) / Math.max(1, b.totalMs - a.totalMs);
}

/** Waits (up to env.waitQuietMs) until other processes use under 15% of the machine; returns how long it waited. */
async function waitQuiet(): Promise<{ waitedMs: number; busyPct: number }> {
  const t0 = Date.now();
  let busy = await machineBusyPct(500);
  while (busy > 15 && Date.now() - t0 < env.waitQuietMs) busy = await machineBusyPct(1_000);
  if (busy > 15) log(`machine busy (${busy.toFixed(0)}% of the cores used by other processes)${env.waitQuietMs ? ` after waiting ${((Date.now() - t0) / 1000).toFixed(0)} s` : ""}: measuring anyway`);
  return { waitedMs: Date.now() - t0, busyPct: busy };
}

async function runGenerator(spec: LoadSpec, dir: string, label: string, serverPid: number | undefined): Promise<{ load: LoadResult; serverCpuMs: number }> {
  const specFile = join(dir, `load-${label}.json`);
  if (spec.durationMs < 600_000) await waitQuiet();
  spec.watch = { server: serverPid, redis: env.redisPid };
  writeFileSync(specFile, JSON.stringify(spec));
  const cpu0 = serverPid ? treeCpuMs(serverPid) : 0;
  const r = await runCommand(process.execPath, ["--import", "tsx", join(REPO_ROOT, "test/bench/load.ts"), specFile], {
    cwd: REPO_ROOT,
    timeoutMs: spec.warmupMs + spec.durationMs + 120_000,
  });
  const serverCpuMs = serverPid ? treeCpuMs(serverPid) - cpu0 : 0;
  if (r.code !== 0) throw new Error(`load generator (${label}) failed: ${r.stderr}`);
  return { load: JSON.parse(r.stdout.trim().split("\n").pop()!) as LoadResult, serverCpuMs };
}

function record(server: RunRecord["server"], scenario: string, concurrency: number, g: { load: LoadResult; serverCpuMs: number }, processes?: number): RunRecord {
  return {
    server,
    processes,
    scenario,
    concurrency,
    load: g.load,
    serverCpuMs: g.serverCpuMs,
    serverCpuMsPerAnswer: g.load.totalAnswers ? g.serverCpuMs / g.load.totalAnswers : 0,
  };
}

/** Server CPU per answer: over the measured window when known, else over the whole generator run. */
function cpuPerAnswer(r: RunRecord): number {
  return r.load.windowCpu?.serverMsPerAnswer ?? r.serverCpuMsPerAnswer;
}

function cpuShares(r: RunRecord): string {
  const w = r.load.windowCpu;
  if (!w) return "";
  const p = (v: number): string => `${v.toFixed(0)}%`;
  return `; CPU of ${w.cores} cores in the window: server ${p(w.serverPct)}, redis ${p(w.redisPct)}, generator ${p(w.generatorPct)}, interrupts ${p(w.irqPct)}, other processes ${p(w.othersPct)}, idle ${p(100 - w.busyPct)}`;
}

function brief(r: RunRecord): string {
  const l = r.load;
  const pki = Object.keys(l.pki).length ? ` pki ${JSON.stringify(l.pki)}` : "";
  const http = Object.keys(l.http).some((k) => k !== "200") ? ` http ${JSON.stringify(l.http)}` : "";
  return (
    `${r.server} ${r.scenario} c=${r.concurrency}: ${l.goodRps.toFixed(0)} good/s (${l.rps.toFixed(0)} answers/s) ` +
    `p50 ${l.latencyMs.p50.toFixed(1)} ms p99 ${l.latencyMs.p99.toFixed(1)} ms, window ${(l.windowMs / 1000).toFixed(1)} s` +
    `${l.exhausted ? " (message set exhausted)" : ""}${l.errors ? `, ${l.errors} errors (${l.firstError})` : ""}${pki}${http}` +
    `, server CPU ${cpuPerAnswer(r).toFixed(2)} ms/answer${cpuShares(r)}`
  );
}

// ---------------------------------------------------------------- sample checks

interface SampleKey {
  keyPem: string;
  certB64: string;
}

/** Fully decodes the answer to message 0 (saved by the generator) and checks it against what the byte scan said. */
async function checkSample(sampleDir: string, key: SampleKey, expect: "SUCCESS" | "PENDING"): Promise<string> {
  let der: Buffer;
  try {
    der = readFileSync(join(sampleDir, "message0.der"));
  } catch {
    return "no sample saved";
  }
  try {
    const keyObj = loadPrivateKey(key.keyPem);
    const cert = parseCertificate(Buffer.from(key.certB64, "base64"));
    const rep = await decodeCertRep(der, { decryption: [{ cert, key: keyObj, rejectionSecret: implicitRejectionSecret(keyObj) }] });
    const want = expect === "SUCCESS" ? PkiStatus.SUCCESS : PkiStatus.PENDING;
    if (rep.status !== want) return `FAILED: decoded pkiStatus ${rep.status}, expected ${want}`;
    if (expect === "SUCCESS") {
      const spki = Buffer.from(spkiOf(keyObj));
      const issued = rep.certificates.map(parseCertificate).find((c) => Buffer.from(c.spki).equals(spki));
      if (!issued) return "FAILED: SUCCESS without a certificate for the device key";
      return `ok (decoded: SUCCESS, certificate "${issued.subjectText()}" issued by "${issued.issuerText()}", ${rep.digest}/${rep.cipher})`;
    }
    return `ok (decoded: PENDING, ${rep.digest})`;
  } catch (err) {
    return `FAILED: ${(err as Error).message}`;
  }
}

// ---------------------------------------------------------------- memory

interface MemoryRecord {
  scenario: string;
  /** scepgate's `serve --processes`. */
  processes: number;
  /** Sum of VmHWM of the node processes (the supervisor, its children, any forked workers), MB. */
  nodeMB: number;
  /** The largest VmHWM of one serving process (a child under a supervisor, else the one process), MB. */
  perProcessMB: number;
  /** The supervisor's VmHWM (undefined with one process), MB. */
  supervisorMB: number | undefined;
  /** Sum of VmHWM of every process in scepgate's tree (tsx's esbuild service included), MB. */
  treeMB: number;
  tree: { pid: number; name: string; hwmMB: number }[];
}

function gateMemory(gate: Gate, scenario: string, processes: number): MemoryRecord {
  const procs = treeMemory(gate.pid);
  const nodes = procs.filter((p) => p.name.startsWith("node") || p.name === "MainThread");
  const nodeMB = nodes.reduce((s, p) => s + p.hwmMB, 0);
  const serving = processes > 1 ? nodes.filter((p) => p.pid !== gate.pid) : nodes.filter((p) => p.pid === gate.pid);
  const perProcessMB = Math.max(0, ...serving.map((p) => p.hwmMB));
  const supervisorMB = processes > 1 ? nodes.find((p) => p.pid === gate.pid)?.hwmMB : undefined;
  const treeMB = procs.reduce((s, p) => s + p.hwmMB, 0);
  return { scenario, processes, nodeMB, perProcessMB, supervisorMB, treeMB, tree: procs.map(({ pid, name, hwmMB }) => ({ pid, name, hwmMB })) };
}

// ---------------------------------------------------------------- main

interface Context {
  o: Options;
  dir: string;
  dataDir: string;
  redis: RedisHandle;
  mm: ScepServer | undefined;
  mmPid: number | undefined;
  files: Record<string, string>;
  sampleKeys: Record<string, SampleKey>;
  runs: RunRecord[];
  memory: MemoryRecord[];
  nodeFlags: string[];
  notes: string[];
  profileDir?: string;
  label: number;
}

function spec(o: Options, port: number, path: string, concurrency: number, extra: Partial<LoadSpec> = {}): LoadSpec {
  return { host: "127.0.0.1", port, path, concurrency, warmupMs: o.warmupMs, durationMs: o.durationMs, ...extra };
}

/** Runs `body` against a fresh scepgate with `profile` as profiles.default; records its peak memory. */
async function withGate<T>(c: Context, processes: number, scenario: string, profile: Record<string, unknown>, body: (g: Gate) => Promise<T>, dataDir = c.dataDir): Promise<T> {
  const label = `${String(++c.label).padStart(2, "0")}-${scenario}-p${processes}`;
  const nodeFlags = c.profileDir && scenario !== "bootstrap" ? ["--cpu-prof", "--cpu-prof-dir", join(c.profileDir, `${scenario}-p${processes}`)] : c.nodeFlags;
  const gate = await startGate({ dir: c.dir, dataDir, redisUrl: c.redis.url, profile, logLevel: c.o.logLevel, nodeFlags, label, processes });
  try {
    const out = await body(gate);
    c.memory.push(gateMemory(gate, label, processes));
    return out;
  } finally {
    await gate.stop();
  }
}

const PKIOP = "/scep?operation=PKIOperation";

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const runId = randomBytes(3).toString("hex");
  const dir = makeTempDir("bench-");
  // --profile: scenarios 3 (at the default concurrency) and 4 unless --only says otherwise (3, 4 and 6 can be profiled).
  const want = (n: number): boolean => (o.profile ? (o.only ? o.only.has(n) && [3, 4, 6].includes(n) : n === 3 || n === 4) : !o.only || o.only.has(n));
  log(`mode ${o.profile ? "profile" : o.quick ? "quick" : "full"}: warm-up ${o.warmupMs} ms, window ${o.durationMs} ms, concurrency ${o.concurrency}, sweep ${o.sweep.join("/")}, work dir ${dir}`);

  // 0. The server runs as `npm start` runs it: compiled (bin/scepgate.js falls back to tsx when dist/ is stale, which costs memory).
  log("npm run build (the server under test runs from dist/)");
  const build = await runCommand("npm", ["run", "-s", "build"], { cwd: REPO_ROOT });
  if (build.code !== 0) throw new Error(`npm run build failed: ${(build.stderr || build.stdout).trim().split("\n").slice(-3).join(" | ")}`);

  // 1. The RSA limit, measured before anything else runs.
  log(`openssl speed -seconds ${o.opensslSeconds} rsa2048 (1 core, then -multi ${o.builders})`);
  const ossl = await opensslSpeed(o.opensslSeconds, o.builders);
  const limit = { pkcsreqSuccess: ossl.signPerSecAllCores / 3, pending: ossl.signPerSecAllCores / 2, certPoll: ossl.signPerSecAllCores / 2 };
  log(`RSA-2048 sign/s: ${ossl.signPerSecOneCore.toFixed(0)} one core, ${ossl.signPerSecAllCores.toFixed(0)} all ${ossl.cores} cores`);

  // 2. Redis (one for the whole bench; every scepgate gets a fresh key prefix) and micromdm.
  env.waitQuietMs = o.waitQuietMs;
  const redis = await startRedis();
  env.redisPid = pidListeningOn(redis.port, "redis-server");
  const needMm = o.profile ? want(6) : [1, 2, 3, 6, 7].some(want);
  const mm = needMm ? await startScepServer({ keySize: 2048 }) : undefined;
  const mmPid = mm ? pidListeningOn(mm.port, "scepserver") : undefined;
  if (mm) log(`micromdm scepserver at ${mm.url} (pid ${mmPid ?? "?"}), redis at ${redis.url}`);

  const c: Context = {
    o, dir, dataDir: join(dir, "data"), redis, mm, mmPid, files: {}, sampleKeys: {}, runs: [], memory: [],
    nodeFlags: [], notes: [], label: 0,
  };
  if (o.profile) {
    c.profileDir = join(REPO_ROOT, "bench-results", "profiles", new Date().toISOString().replace(/[:.]/g, "-"));
    mkdirSync(c.profileDir, { recursive: true });
  }

  // 3. The RA and CA the messages are encrypted to: one bootstrap start of scepgate on the shared data dir.
  const raView = await withGate(c, 1, "bootstrap", { approval: "auto" }, async (g) => {
    const res = await fetch(`${g.url}?operation=GetCACert`);
    const all = certificatesOf(new Uint8Array(await res.arrayBuffer())).map(parseCertificate);
    const ra = pickRa(all);
    const ca = all.find((x) => x.isSelfIssued);
    if (!ra || !ca) throw new Error(`GetCACert: no RA or CA certificate among ${all.map((x) => x.subjectText()).join("; ")}`);
    return { ra, ca };
  });
  c.memory.length = 0; // the bootstrap start is not a measurement

  // 4. Pre-built messages. Each fresh scepgate (fresh Redis prefix) sees every message once, so the same
  //    sets serve every scepgate run. Sized so that a full window needs at most 80% of the RSA limit; a
  //    faster server runs out early, which ends its window at its last answer (still a valid figure).
  //    (Sized on the larger of the all-core figure and cores x one-core, in case the machine was busy.)
  const span = (o.warmupMs + o.durationMs) / 1000;
  const signs = Math.max(ossl.signPerSecAllCores, 0.9 * ossl.cores * ossl.signPerSecOneCore);
  const gateReqCount = Math.ceil((0.8 * signs * span) / 2);
  const pollCount = Math.ceil((0.8 * signs * span) / 2);
  const mmReqCount = Math.ceil((0.25 * signs * span) / 3);
  const sets: SetSpec[] = [];
  const rec = (cert: Certificate): string => Buffer.from(cert.der).toString("base64");
  if (want(3) || want(4)) sets.push({ kind: "pkcsreq", name: "gate-req", count: gateReqCount, recipientB64: rec(raView.ra) });
  if (want(5)) sets.push({ kind: "issue-poll", name: "gate-cp", issueCount: o.issueCount, pollCount, recipientB64: rec(raView.ra), caSubjectB64: Buffer.from(raView.ca.subject).toString("base64") });
  if (mm && want(3) && !o.profile) sets.push({ kind: "pkcsreq", name: "mm-req", count: mmReqCount, recipientB64: rec(parseCertificate(pemDer(mm.caCertPem))) });
  if (sets.length) {
    log(`building messages with ${o.builders} builder processes, ${o.keys} RSA-2048 device keys: ${sets.map(describeSet).join(", ")}`);
    const t = Date.now();
    const built = await buildMessages(dir, o, runId, sets);
    c.files = built.files;
    for (const r of built.reports) if (r.worker === 0) c.sampleKeys = r.sampleKeys;
    log(`built in ${((Date.now() - t) / 1000).toFixed(1)} s (keys ${Math.max(...built.reports.map((r) => r.keyMs)).toFixed(0)} ms)`);
  }

  const sampleDir = (name: string): string => {
    const d = join(dir, `samples-${name}`);
    mkdirSync(d, { recursive: true });
    return d;
  };

  // micromdm once (scenarios 1-3), then every scepgate scenario at each --processes variant (the default last).
  const mmRuns = o.profile ? {} : await runMicromdm(c, want, sampleDir);
  const byVariant = new Map<number, Scenarios>();
  for (const processes of o.processes) byVariant.set(processes, await runGateScenarios(c, processes, want, sampleDir, mmRuns));

  // Scenario 6: end to end through the queue to micromdm (needs upstream.url support in the product).
  let e2e: E2eResult | undefined;
  if (want(6) && mm) e2e = await runE2e(c, mm, runId, limit.pkcsreqSuccess);

  // Scenario 7: `scepgate batch` as a real process, beside the key-generation-only rate of the same run.
  let batch: BatchCase[] | undefined;
  if (want(7) && !o.profile) {
    batch = await runBatchBench({
      dir, redisUrl: redis.url, mmUrl: mm?.url, concurrency: 2 * cpus().length, log,
      devices: (k) => o.batchDevices ?? batchDevices(k, o.quick),
      keygenCount: (k) => batchKeygenCount(k, o.quick, o.batchDevices),
    });
  }

  // Micromdm's memory, once, at the end.
  const mmMem = mmPid ? procMemory(mmPid) : undefined;

  const report = makeReport(c, o, ossl, limit, byVariant, e2e, mmMem?.hwmMB, batch);
  if (!o.profile) {
    process.stdout.write(`${report.text}\n`);
    const outDir = join(REPO_ROOT, "bench-results");
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, "latest.json"), `${JSON.stringify(report.json, null, 2)}\n`);
    log(`wrote bench-results/latest.json`);
  } else {
    for (const sub of readdirSync(c.profileDir!)) {
      const subDir = join(c.profileDir!, sub);
      const profiles = readdirSync(subDir).filter((f) => f.endsWith(".cpuprofile")).map((f) => join(subDir, f));
      if (!profiles.length) continue;
      const run = c.runs.find((r) => sub === `${r.scenario}-c${r.concurrency}-p${r.processes}` || sub === `${r.scenario}-p${r.processes}`);
      // One profile per thread: the main thread does the serving; the others (tsx's loader-hooks thread, any worker) get one line each.
      const perThread = profiles.map((f) => summarize([f])).sort((a, b) => b.busyMs - a.busyMs);
      const main = perThread[0]!;
      const others = perThread.slice(1).map((t) => `other thread ${basename(t.files[0]!)}: busy ${t.busyMs.toFixed(0)} ms; mostly ${t.byAppArea.slice(0, 3).map((r) => `${r.name} ${r.selfMs.toFixed(0)} ms`).join(", ")}`);
      const text = [formatSummary(main, 30), "", ...others].join("\n");
      writeFileSync(join(subDir, "summary.txt"), `${text}\n`);
      process.stdout.write(`\n===== scenario ${sub}${run ? `: ${brief(run)}` : ""}\n${text}\n`);
    }
    log(`profiles and summaries under ${c.profileDir}`);
  }

  await mm?.stop();
  await redis.stop();
  await removeTempDir(dir);
}

type Want = (n: number) => boolean;
type SampleDir = (name: string) => string;
type MicromdmRuns = Pick<Scenarios, "getCACaps" | "getCACert"> & { pkcsreqSuccess?: RunRecord };

/** micromdm's figures, once per bench: GetCACaps and GetCACert at c, PKCSReq -> SUCCESS on one connection (its file depot races). */
async function runMicromdm(c: Context, want: Want, sampleDir: SampleDir): Promise<MicromdmRuns> {
  const { o, mm, mmPid, dir } = c;
  const out: MicromdmRuns = {};
  if (!mm) return out;
  for (const [n, key, op] of [
    [1, "getCACaps", "GetCACaps"],
    [2, "getCACert", "GetCACert"],
  ] as const) {
    if (!want(n)) continue;
    log(`scenario ${n} ${op}: micromdm`);
    const r = record("micromdm", key, o.concurrency, await runGenerator(spec(o, mm.port, `/scep?operation=${op}`, o.concurrency), dir, `${key}-mm`, mmPid));
    c.runs.push(r);
    log(brief(r));
    out[key] = { micromdm: r } as Scenarios[typeof key];
  }
  if (want(3)) {
    log("scenario 3 PKCSReq->SUCCESS: micromdm, one connection");
    const sd = sampleDir("success-mm");
    const r = record("micromdm", "pkcsreqSuccess", 1, await runGenerator(spec(o, mm.port, PKIOP, 1, { messagesFile: c.files["mm-req"], good: "SUCCESS", sampleDir: sd }), dir, "success-mm", mmPid));
    r.sampleCheck = await checkSample(sd, c.sampleKeys["mm-req"]!, "SUCCESS");
    c.runs.push(r);
    log(`${brief(r)}; sample ${r.sampleCheck}`);
    out.pkcsreqSuccess = r;
  }
  return out;
}

/** Scenarios 1-5 against scepgate at `serve --processes N`, each on a fresh instance; micromdm's figures attached for the ratios. */
async function runGateScenarios(c: Context, processes: number, want: Want, sampleDir: SampleDir, mm: MicromdmRuns): Promise<Scenarios> {
  const { o, dir } = c;
  const results: Scenarios = {};
  const tag = `p${processes}`;
  for (const [n, key, op] of [
    [1, "getCACaps", "GetCACaps"],
    [2, "getCACert", "GetCACert"],
  ] as const) {
    if (!want(n) || o.profile) continue;
    log(`scenario ${n} ${op}: scepgate --processes ${processes}`);
    const path = `/scep?operation=${op}`;
    const gate = await withGate(c, processes, key, { approval: "auto" }, async (g) => record("scepgate", key, o.concurrency, await runGenerator(spec(o, g.port, path, o.concurrency), dir, `${key}-gate-${tag}`, g.pid), processes));
    c.runs.push(gate);
    log(brief(gate));
    results[key] = { gate, micromdm: mm[key]?.micromdm };
  }
  if (want(3)) {
    const levels = o.profile ? [o.concurrency] : o.sweep;
    const sweep: RunRecord[] = [];
    for (const conc of levels) {
      log(`scenario 3 PKCSReq->SUCCESS: scepgate --processes ${processes} c=${conc}`);
      const sd = sampleDir(`success-c${conc}-${tag}`);
      const r = await withGate(c, processes, `pkcsreqSuccess-c${conc}`, { approval: "auto" }, async (g) =>
        record("scepgate", "pkcsreqSuccess", conc, await runGenerator(spec(o, g.port, PKIOP, conc, { messagesFile: c.files["gate-req"], good: "SUCCESS", sampleDir: sd }), dir, `success-c${conc}-${tag}`, g.pid), processes),
      );
      r.sampleCheck = await checkSample(sd, c.sampleKeys["gate-req"]!, "SUCCESS");
      c.runs.push(r);
      sweep.push(r);
      log(`${brief(r)}; sample ${r.sampleCheck}`);
    }
    const best = sweep.reduce((a, b) => (b.load.goodRps > a.load.goodRps ? b : a));
    const atDefault = sweep.find((r) => r.concurrency === o.concurrency) ?? best;
    results.pkcsreqSuccess = { gate: best, gateAtDefault: atDefault, sweep, micromdm: mm.pkcsreqSuccess };
  }
  if (want(4)) {
    log(`scenario 4 PKCSReq->PENDING: scepgate --processes ${processes} c=${o.concurrency}`);
    const sd = sampleDir(`pending-${tag}`);
    const r = await withGate(c, processes, "pending", { approval: "manual" }, async (g) =>
      record("scepgate", "pending", o.concurrency, await runGenerator(spec(o, g.port, PKIOP, o.concurrency, { messagesFile: c.files["gate-req"], good: "PENDING", sampleDir: sd }), dir, `pending-${tag}`, g.pid), processes),
    );
    r.sampleCheck = await checkSample(sd, c.sampleKeys["gate-req"]!, "PENDING");
    c.runs.push(r);
    log(`${brief(r)}; sample ${r.sampleCheck}`);
    results.pending = { gate: r };
  }
  if (want(5) && !o.profile) {
    log(`scenario 5 CertPoll: scepgate --processes ${processes}, issuing ${o.issueCount} transactions, then polling at c=${o.concurrency}`);
    const sd = sampleDir(`certpoll-${tag}`);
    const r = await withGate(c, processes, "certPoll", { approval: "auto" }, async (g) => {
      const issue = await runGenerator(
        { host: "127.0.0.1", port: g.port, path: PKIOP, concurrency: 8, warmupMs: 0, durationMs: 600_000, messagesFile: c.files["gate-cp-issue"], good: "SUCCESS" },
        dir,
        `certpoll-issue-${tag}`,
        undefined,
      );
      if (issue.load.good !== o.issueCount) throw new Error(`pre-issue: ${issue.load.good} of ${o.issueCount} SUCCESS (${JSON.stringify(issue.load.pki)})`);
      return record("scepgate", "certPoll", o.concurrency, await runGenerator(spec(o, g.port, PKIOP, o.concurrency, { messagesFile: c.files["gate-cp-poll"], good: "SUCCESS", sampleDir: sd }), dir, `certpoll-${tag}`, g.pid), processes);
    });
    r.sampleCheck = await checkSample(sd, c.sampleKeys["gate-cp"]!, "SUCCESS");
    c.runs.push(r);
    log(`${brief(r)}; sample ${r.sampleCheck}`);
    results.certPoll = { gate: r };
  }
  return results;
}

/** The RA certificate in a GetCACert answer: not self-issued, preferring one allowed to take keyEncipherment. */
function pickRa(all: Certificate[]): Certificate | undefined {
  const ras = all.filter((x) => !x.isSelfIssued);
  return ras.find((x) => x.keyUsage === undefined || x.keyUsage.keyEncipherment) ?? ras[0];
}

function describeSet(s: SetSpec): string {
  return s.kind === "pkcsreq" ? `${s.name} ${s.count}` : `${s.name} ${s.issueCount}+${s.pollCount} polls`;
}

function pemDer(pem: string): Uint8Array {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
}

// ---------------------------------------------------------------- scenario 6

interface E2eResult {
  available: boolean;
  reason?: string;
  run?: RunRecord;
  upstreamIssued?: number;
}

async function runE2e(c: Context, mm: ScepServer, runId: string, successLimit: number): Promise<E2eResult> {
  const o = c.o;
  log("scenario 6 end to end: scepgate -> queue -> micromdm upstream");
  const dataDir = join(c.dir, "data-e2e");
  const profile = { approval: "auto", syncWaitMs: 10_000, upstream: { url: mm.url, maxConcurrent: 1 } };
  try {
    return await withGate(
      c,
      o.processes.at(-1)!,
      "e2e",
      profile,
      async (g) => {
        const res = await fetch(`${g.url}?operation=GetCACert`);
        const all = certificatesOf(new Uint8Array(await res.arrayBuffer())).map(parseCertificate);
        const ra = pickRa(all);
        if (!ra) return { available: false, reason: "GetCACert names no RA certificate" };
        if (ra.keyUsage && !ra.keyUsage.keyEncipherment) {
          log(`note: the RA certificate scepgate serves (${ra.subjectText()}, issued by the upstream) has no keyEncipherment keyUsage; encrypting to it anyway`);
          c.notes.push(`scenario 6: the RA certificate enrolled from micromdm has keyUsage without keyEncipherment (micromdm sets digitalSignature only); clients that pick the RA by keyUsage would not find it. Messages were encrypted to it anyway.`);
        }
        const mmRate = c.runs.find((r) => r.server === "micromdm" && r.scenario === "pkcsreqSuccess")?.load.goodRps;
        const count = Math.ceil((mmRate ? 2 * mmRate : 0.15 * successLimit) * ((o.warmupMs + o.durationMs) / 1000)) + 64;
        log(`building ${count} PKCSReqs for scepgate's upstream-enrolled RA certificate`);
        const built = await buildMessages(c.dir, o, `${runId}e`, [{ kind: "pkcsreq", name: "e2e-req", count, recipientB64: Buffer.from(ra.der).toString("base64") }]);
        const sampleKey = built.reports.find((r) => r.worker === 0)!.sampleKeys["e2e-req"]!;
        const before = (await mm.issuedSerials()).length;
        const sd = join(c.dir, "samples-e2e");
        mkdirSync(sd, { recursive: true });
        const r = record("scepgate", "e2e", o.concurrency, await runGenerator(spec(o, g.port, PKIOP, o.concurrency, { messagesFile: built.files["e2e-req"], good: "SUCCESS", sampleDir: sd }), c.dir, "e2e", g.pid), g.processes);
        r.sampleCheck = await checkSample(sd, sampleKey, "SUCCESS");
        const upstreamIssued = (await mm.issuedSerials()).length - before;
        c.runs.push(r);
        log(`${brief(r)}; micromdm issued ${upstreamIssued} during the run (warm-up included); sample ${r.sampleCheck}`);
        return { available: true, run: r, upstreamIssued };
      },
      dataDir,
    );
  } catch (err) {
    const reason = (err as Error).message.split("\n")[0]!;
    log(`scenario 6 not available: ${reason}`);
    return { available: false, reason };
  }
}

// ---------------------------------------------------------------- report

interface Scenarios {
  getCACaps?: { gate: RunRecord; micromdm?: RunRecord };
  getCACert?: { gate: RunRecord; micromdm?: RunRecord };
  pkcsreqSuccess?: { gate: RunRecord; gateAtDefault: RunRecord; sweep: RunRecord[]; micromdm?: RunRecord };
  pending?: { gate: RunRecord };
  certPoll?: { gate: RunRecord };
}

const round = (v: number | undefined, d = 2): number | null => (v === undefined || !Number.isFinite(v) ? null : Number(v.toFixed(d)));

/** The figures of one --processes variant, against micromdm and the RSA limit. */
interface VariantFigures {
  processes: number;
  s: Scenarios;
  ratios: { pkcsreqSuccess?: number; getCACaps?: number; getCACert?: number };
  fractions: { pkcsreqSuccess?: number; pending?: number; certPoll?: number };
  p99: { pkcsreqSuccess?: number; pending?: number; certPoll?: number };
  /** Good answers/s per core of the machine (the figure a bigger machine multiplies). */
  perCore: { getCACaps?: number; getCACert?: number; pkcsreqSuccess?: number; pending?: number; certPoll?: number };
  /** Sum of the node processes' peak RSS (supervisor and children), max over scenarios. */
  rssMB?: number;
  rssTreeMB?: number;
  /** The largest peak RSS of one serving process, max over scenarios. */
  rssMBPerProcess?: number;
  supervisorMB?: number;
}

function variantFigures(c: Context, processes: number, s: Scenarios, limit: { pkcsreqSuccess: number; pending: number; certPoll: number }): VariantFigures {
  const ratio = (a?: RunRecord, b?: RunRecord): number | undefined => (a && b && b.load.goodRps > 0 ? a.load.goodRps / b.load.goodRps : undefined);
  const frac = (r: RunRecord | undefined, l: number): number | undefined => (r ? r.load.goodRps / l : undefined);
  const cores = cpus().length;
  const per = (r?: RunRecord): number | undefined => (r ? r.load.goodRps / cores : undefined);
  const mem = c.memory.filter((m) => m.processes === processes);
  const max = (f: (m: MemoryRecord) => number | undefined): number | undefined => {
    const v = mem.map(f).filter((x): x is number => x !== undefined);
    return v.length ? Math.max(...v) : undefined;
  };
  return {
    processes,
    s,
    ratios: { pkcsreqSuccess: ratio(s.pkcsreqSuccess?.gate, s.pkcsreqSuccess?.micromdm), getCACaps: ratio(s.getCACaps?.gate, s.getCACaps?.micromdm), getCACert: ratio(s.getCACert?.gate, s.getCACert?.micromdm) },
    fractions: { pkcsreqSuccess: frac(s.pkcsreqSuccess?.gate, limit.pkcsreqSuccess), pending: frac(s.pending?.gate, limit.pending), certPoll: frac(s.certPoll?.gate, limit.certPoll) },
    p99: { pkcsreqSuccess: s.pkcsreqSuccess?.gateAtDefault.load.latencyMs.p99, pending: s.pending?.gate.load.latencyMs.p99, certPoll: s.certPoll?.gate.load.latencyMs.p99 },
    perCore: { getCACaps: per(s.getCACaps?.gate), getCACert: per(s.getCACert?.gate), pkcsreqSuccess: per(s.pkcsreqSuccess?.gate), pending: per(s.pending?.gate), certPoll: per(s.certPoll?.gate) },
    rssMB: max((m) => m.nodeMB),
    rssTreeMB: max((m) => m.treeMB),
    rssMBPerProcess: max((m) => m.perProcessMB),
    supervisorMB: max((m) => m.supervisorMB),
  };
}

/** The targets of issue 13, judged on the default variant (one process per core). */
const TARGETS = { getRatio: 1.5, successRatio: 4, rsaFraction: 0.5, p99Ms: 50, rssPerProcessMB: 120 } as const;

function makeReport(
  c: Context,
  o: Options,
  ossl: OpensslSpeed,
  limit: { pkcsreqSuccess: number; pending: number; certPoll: number },
  byVariant: Map<number, Scenarios>,
  e2e: E2eResult | undefined,
  mmRssMB: number | undefined,
  batch: BatchCase[] | undefined,
): { text: string; json: unknown } {
  const variants = [...byVariant].map(([n, s]) => variantFigures(c, n, s, limit));
  const head = variants.at(-1)!;
  const T = TARGETS;

  interface Row {
    n: string;
    name: string;
    procs: string;
    gate: string;
    perCore: string;
    p50: string;
    p99: string;
    mm: string;
    ratio: string;
    frac: string;
    target: string;
    pass: string;
  }
  const f0 = (v?: number): string => (v === undefined ? "-" : v.toFixed(0));
  const f2 = (v?: number): string => (v === undefined ? "-" : v.toFixed(2));
  const pct = (v?: number): string => (v === undefined ? "-" : `${(100 * v).toFixed(1)}%`);
  const times = (v?: number): string => (v === undefined ? "-" : `${f2(v)}x`);
  const verdict = (ok: boolean | undefined): string => (ok === undefined ? "n/a" : ok ? "PASS" : "FAIL");
  const targets: { name: string; value: number | null; target: string; pass: boolean | null }[] = [];
  const check = (name: string, value: number | undefined, target: string, ok: (v: number) => boolean): boolean | undefined => {
    const pass = value === undefined ? undefined : ok(value);
    targets.push({ name, value: round(value, 3), target, pass: pass ?? null });
    return pass;
  };
  const both = (a: boolean | undefined, b: boolean | undefined): boolean | undefined => (a === undefined || b === undefined ? undefined : a && b);

  const rows: Row[] = [];
  for (const v of variants) {
    const judged = v === head;
    const s = v.s;
    const procs = String(v.processes);
    for (const [n, key, name] of [
      ["1", "getCACaps", "GetCACaps"],
      ["2", "getCACert", "GetCACert"],
    ] as const) {
      const r = s[key];
      if (!r) continue;
      const pass = judged ? check(`${key} ratio`, v.ratios[key], `>= ${T.getRatio}x micromdm`, (x) => x >= T.getRatio) : undefined;
      rows.push({
        n, name, procs, gate: f0(r.gate.load.goodRps), perCore: f0(v.perCore[key]), p50: f2(r.gate.load.latencyMs.p50), p99: f2(r.gate.load.latencyMs.p99),
        mm: f0(r.micromdm?.load.goodRps), ratio: times(v.ratios[key]), frac: "-", target: `>= ${T.getRatio}x`, pass: judged ? verdict(pass) : "(ref)",
      });
    }
    if (s.pkcsreqSuccess) {
      const r = s.pkcsreqSuccess;
      const a = judged ? check("pkcsreqSuccess ratio", v.ratios.pkcsreqSuccess, `>= ${T.successRatio}x micromdm (best concurrency vs its best: one connection)`, (x) => x >= T.successRatio) : undefined;
      const b = judged ? check("pkcsreqSuccess p99 ms at c=32", v.p99.pkcsreqSuccess, `< ${T.p99Ms} ms`, (x) => x < T.p99Ms) : undefined;
      rows.push({
        n: "3", name: `PKCSReq->SUCCESS (best c=${r.gate.concurrency}; p50/p99 at c=${r.gateAtDefault.concurrency})`, procs, gate: f0(r.gate.load.goodRps), perCore: f0(v.perCore.pkcsreqSuccess),
        p50: f2(r.gateAtDefault.load.latencyMs.p50), p99: f2(r.gateAtDefault.load.latencyMs.p99), mm: `${f0(r.micromdm?.load.goodRps)} (c=1)`,
        ratio: times(v.ratios.pkcsreqSuccess), frac: pct(v.fractions.pkcsreqSuccess), target: `>= ${T.successRatio}x, p99 < ${T.p99Ms}`, pass: judged ? verdict(both(a, b)) : "(ref)",
      });
    }
    for (const [n, key, name] of [
      ["4", "pending", "PKCSReq->PENDING (manual)"],
      ["5", "certPoll", "CertPoll (issued)"],
    ] as const) {
      const r = s[key];
      if (!r) continue;
      const a = judged ? check(`${key} RSA-limit fraction`, v.fractions[key], `>= ${100 * T.rsaFraction}% of the all-core RSA limit`, (x) => x >= T.rsaFraction) : undefined;
      const b = judged ? check(`${key} p99 ms at c=32`, v.p99[key], `< ${T.p99Ms} ms`, (x) => x < T.p99Ms) : undefined;
      rows.push({
        n, name: `${name} c=${r.gate.concurrency}`, procs, gate: f0(r.gate.load.goodRps), perCore: f0(v.perCore[key]), p50: f2(r.gate.load.latencyMs.p50), p99: f2(r.gate.load.latencyMs.p99),
        mm: "-", ratio: "-", frac: pct(v.fractions[key]), target: `>= ${100 * T.rsaFraction}%, p99 < ${T.p99Ms}`, pass: judged ? verdict(both(a, b)) : "(ref)",
      });
    }
  }
  if (e2e) {
    const r = e2e.available ? e2e.run : undefined;
    rows.push(r
      ? { n: "6", name: `end-to-end via queue -> micromdm (maxConcurrent 1) c=${r.concurrency}`, procs: String(head.processes), gate: f0(r.load.goodRps), perCore: "-", p50: f2(r.load.latencyMs.p50), p99: f2(r.load.latencyMs.p99), mm: "-", ratio: "-", frac: "-", target: "(report)", pass: "n/a" }
      : { n: "6", name: "end-to-end via queue -> micromdm: NOT AVAILABLE (reason below)", procs: "-", gate: "-", perCore: "-", p50: "-", p99: "-", mm: "-", ratio: "-", frac: "-", target: "(report)", pass: "n/a" });
  }
  const rssPass = check("scepgate peak RSS MB per serving process", head.rssMBPerProcess, `< ${T.rssPerProcessMB} MB`, (x) => x < T.rssPerProcessMB);
  const batchRsa = batch?.find((b) => b.key === "rsa-2048" && b.ca === "micromdm");
  // With the quick run's 50 devices the start and the last device's round trip weigh too much: the target is the full run's.
  if (batchRsa && !o.quick) check("batch rsa-2048 devices/s vs key generation only", batchRsa.ratio, ">= 80% of the keygen-only rate", (x) => x >= 0.8);

  const headRow: Row = { n: "#", name: "scenario", procs: "procs", gate: "scepgate req/s", perCore: "per core", p50: "p50 ms", p99: "p99 ms", mm: "micromdm req/s", ratio: "ratio", frac: "RSA-limit fraction", target: "target", pass: "pass/fail" };
  const all = [headRow, ...rows];
  const cols: (keyof Row)[] = ["n", "name", "procs", "gate", "perCore", "p50", "p99", "mm", "ratio", "frac", "target", "pass"];
  const width = Object.fromEntries(cols.map((k) => [k, Math.max(...all.map((r) => r[k].length))])) as Record<keyof Row, number>;
  const line = (r: Row): string => `| ${cols.map((k) => (k === "name" || k === "target" || k === "n" ? r[k].padEnd(width[k]) : r[k].padStart(width[k]))).join(" | ")} |`;
  const sep = `|${cols.map((k) => "-".repeat(width[k] + 2)).join("|")}|`;

  const runName = (r: RunRecord): string => `${r.server === "micromdm" ? "mm " : `p${r.processes} `}${r.scenario}${r.scenario === "pkcsreqSuccess" ? `@${r.concurrency}` : ""}`;
  const memLines = c.memory.map((m) => `  ${m.scenario}: per serving process ${m.perProcessMB.toFixed(0)} MB${m.supervisorMB === undefined ? "" : `, supervisor ${m.supervisorMB.toFixed(0)} MB`}, node total ${m.nodeMB.toFixed(0)} MB, all processes ${m.treeMB.toFixed(0)} MB (${m.tree.map((p) => `${p.name} ${p.hwmMB.toFixed(0)}`).join(", ")})`);
  const mmRuns = c.runs.filter((r) => r.server === "micromdm");
  const text = [
    `scepgate bench (${o.quick ? "quick" : "full"}): ${new Date().toISOString()}, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ` +
      `warm-up ${o.warmupMs / 1000} s + ${o.durationMs / 1000} s window per run, scepgate log level ${o.logLevel}`,
    `RSA-2048 (openssl speed -seconds ${ossl.seconds}): ${ossl.signPerSecOneCore.toFixed(0)} sign/s one core, ${ossl.signPerSecAllCores.toFixed(0)} sign/s all ${ossl.cores} cores -> ` +
      `limits ${limit.pkcsreqSuccess.toFixed(0)} req/s at 3 private-key ops (SUCCESS), ${limit.pending.toFixed(0)} req/s at 2 (PENDING, CertPoll)`,
    `scepgate runs at serve --processes ${variants.map((v) => v.processes).join(" and ")} (the default, one per core: ${head.processes}); targets are judged on --processes ${head.processes}, the other rows are for reference`,
    "",
    line(headRow),
    sep,
    ...rows.map(line),
    "",
    `req/s = good answers/s (HTTP 200 for 1-2; pkiStatus SUCCESS for 3, 5, 6; PENDING for 4); per core = req/s / ${cpus().length} cores of the machine. micromdm: 1-2 at c=${o.concurrency}, 3 on one connection.`,
    ...variants.flatMap((v) => (v.s.pkcsreqSuccess ? [`scenario 3 sweep (scepgate --processes ${v.processes}): ${v.s.pkcsreqSuccess.sweep.map((r) => `c=${r.concurrency} ${r.load.goodRps.toFixed(0)}/s p99 ${r.load.latencyMs.p99.toFixed(1)} ms`).join("; ")}`] : [])),
    ...mmRuns.map((r) => `micromdm ${r.scenario} c=${r.concurrency}: p50 ${r.load.latencyMs.p50.toFixed(2)} ms, p99 ${r.load.latencyMs.p99.toFixed(2)} ms`),
    `server CPU per answer (all of the server's processes, ms): ${c.runs.map((r) => `${runName(r)} ${cpuPerAnswer(r).toFixed(2)}`).join(", ")}`,
    "CPU over each measured window (% of all cores: server / redis / load generator / interrupts (loopback TCP) / other processes on the machine / idle):",
    ...c.runs.filter((r) => r.load.windowCpu).map((r) => {
      const w = r.load.windowCpu!;
      const warn = w.othersPct > 10 ? "   <-- other processes took a share of the cores: figure understated" : "";
      return `  ${runName(r)} c=${r.concurrency}: ${w.serverPct.toFixed(0)} / ${w.redisPct.toFixed(0)} / ${w.generatorPct.toFixed(0)} / ${w.irqPct.toFixed(0)} / ${w.othersPct.toFixed(0)} / ${(100 - w.busyPct).toFixed(0)}${warn}`;
    }),
    ...c.runs.filter((r) => r.sampleCheck).map((r) => `sample check ${runName(r)}: ${r.sampleCheck}`),
    ...c.runs.filter((r) => r.load.exhausted).map((r) => `note: ${runName(r)} c=${r.concurrency} used up its message set; its window was ${(r.load.windowMs / 1000).toFixed(1)} s`),
    ...c.runs.filter((r) => r.load.errors || r.load.good < r.load.requests).map((r) => `note: ${runName(r)} c=${r.concurrency}: ${r.load.requests - r.load.good} answers not counted (${JSON.stringify(r.load.pki)} ${JSON.stringify(r.load.http)}), ${r.load.errors} errors${r.load.firstError ? ` (${r.load.firstError})` : ""}`),
    ...(e2e?.available ? [`scenario 6: micromdm issued ${e2e.upstreamIssued} certificates during the run (warm-up and drain included); answers in the window ${JSON.stringify(e2e.run?.load.pki)}`] : []),
    ...(e2e && !e2e.available ? [`scenario 6 NOT AVAILABLE, no figure: ${e2e.reason}`] : []),
    ...c.notes.map((n) => `note: ${n}`),
    ...(batch?.length ? ["", ...batchReportLines(batch), `target: rsa-2048 -> micromdm >= 80% of keygen-only: ${batchRsa && !o.quick ? verdict(batchRsa.ratio >= 0.8) : "n/a (judged on the full run: 1000 devices)"}`] : []),
    "",
    ...variants.map((v) =>
      `peak RSS (VmHWM), --processes ${v.processes}: ${v.rssMBPerProcess === undefined ? "-" : v.rssMBPerProcess.toFixed(0)} MB per serving process max over scenarios` +
      `${v.supervisorMB === undefined ? "" : `, supervisor ${v.supervisorMB.toFixed(0)} MB`}, node processes together ${v.rssMB === undefined ? "-" : v.rssMB.toFixed(0)} MB, ` +
      `every process of the tree ${v.rssTreeMB === undefined ? "-" : v.rssTreeMB.toFixed(0)} MB`),
    `target < ${T.rssPerProcessMB} MB per serving process (--processes ${head.processes}): ${verdict(rssPass)}; micromdm scepserver ${mmRssMB === undefined ? "-" : mmRssMB.toFixed(0)} MB`,
    ...memLines,
  ].join("\n");

  const fig = (r?: RunRecord) =>
    r && {
      processes: r.processes,
      reqPerSec: round(r.load.goodRps),
      reqPerSecPerCore: round(r.load.goodRps / cpus().length),
      answersPerSec: round(r.load.rps),
      concurrency: r.concurrency,
      p50ms: round(r.load.latencyMs.p50, 3),
      p90ms: round(r.load.latencyMs.p90, 3),
      p99ms: round(r.load.latencyMs.p99, 3),
      maxMs: round(r.load.latencyMs.max, 3),
      answers: r.load.requests,
      good: r.load.good,
      windowMs: round(r.load.windowMs, 0),
      exhausted: r.load.exhausted,
      http: r.load.http,
      pkiStatus: r.load.pki,
      errors: r.load.errors,
      serverCpuMsPerAnswer: round(cpuPerAnswer(r), 3),
      windowCpuPct: r.load.windowCpu,
      generatorCpuMs: round(r.load.generatorCpuMs, 0),
      sampleCheck: r.sampleCheck,
    };
  const roundAll = (o2: Record<string, number | undefined>, d = 3): Record<string, number | null> => Object.fromEntries(Object.entries(o2).map(([k, v]) => [k, round(v, d)]));
  const gateFigures = (s: Scenarios) => ({
    getCACaps: fig(s.getCACaps?.gate),
    getCACert: fig(s.getCACert?.gate),
    pkcsreqSuccess: fig(s.pkcsreqSuccess?.gate),
    pkcsreqSuccessAtDefaultConcurrency: fig(s.pkcsreqSuccess?.gateAtDefault),
    pkcsreqSuccessSweep: s.pkcsreqSuccess?.sweep.map(fig),
    pending: fig(s.pending?.gate),
    certPoll: fig(s.certPoll?.gate),
  });
  const variantJson = (v: VariantFigures) => ({
    processes: v.processes,
    ratios: roundAll(v.ratios),
    rsaLimitFraction: roundAll(v.fractions),
    p99ms: roundAll(v.p99),
    perCore: roundAll(v.perCore, 1),
    rssMB: round(v.rssMB, 1),
    rssMBPerProcess: round(v.rssMBPerProcess, 1),
    supervisorRssMB: round(v.supervisorMB, 1),
    scepgate: gateFigures(v.s),
  });
  const h = head.s;
  const json = {
    timestamp: new Date().toISOString(),
    mode: o.quick ? "quick" : "full",
    machine: { cpus: cpus().length, model: cpus()[0]?.model, memGB: round(totalmem() / 2 ** 30, 1), kernel: release() },
    node: process.version,
    params: { warmupMs: o.warmupMs, durationMs: o.durationMs, concurrency: o.concurrency, sweep: o.sweep, logLevel: o.logLevel, deviceKeys: o.keys, cipher: "aes128", digest: "sha256", processes: variants.map((v) => v.processes) },
    openssl: { ...ossl, limitReqPerSec: { pkcsreqSuccess: round(limit.pkcsreqSuccess, 0), pending: round(limit.pending, 0), certPoll: round(limit.certPoll, 0) } },
    // The headline figures: scepgate at its default --processes (one per core).
    processes: head.processes,
    ratios: roundAll(head.ratios),
    rsaLimitFraction: roundAll(head.fractions),
    p99ms: roundAll(head.p99),
    perCore: roundAll(head.perCore, 1),
    rssMB: round(head.rssMB, 1),
    rssMBPerProcess: round(head.rssMBPerProcess, 1),
    rssMBAllProcesses: round(head.rssTreeMB, 1),
    micromdmRssMB: round(mmRssMB, 1),
    scepgate: gateFigures(h),
    micromdm: { getCACaps: fig(h.getCACaps?.micromdm), getCACert: fig(h.getCACert?.micromdm), pkcsreqSuccess: fig(h.pkcsreqSuccess?.micromdm) },
    variants: Object.fromEntries(variants.map((v) => [String(v.processes), variantJson(v)])),
    e2e: e2e ? { available: e2e.available, reason: e2e.reason, ...(e2e.run ? { run: fig(e2e.run), upstreamIssued: e2e.upstreamIssued } : {}) } : undefined,
    batch: batch?.map((b) => ({ ...b, devicesPerSec: round(b.devicesPerSec), keygenPerSec: round(b.keygenPerSec), ratio: round(b.ratio, 3), wallSeconds: round(b.wallSeconds, 1) })),
    memory: c.memory,
    notes: c.notes,
    targets,
    pass: targets.every((t) => t.pass !== false),
  };
  return { text, json };
}

main().then(
  () => {
    cleanupAll();
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    cleanupAll();
    process.exit(1);
  },
);

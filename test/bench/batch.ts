/**
 * Scenario 7 of `npm run bench`: `scepgate batch` throughput.
 *
 * For each case, `node bin/scepgate.js batch DEVICES.csv --out DIR` runs as a
 * real process (its own Redis key prefix on the bench's Redis) and its own
 * summary gives devices/s (from the first device started to the last one
 * done; process start-up and the runtime's boot are outside it, the wall
 * time including them is printed too). Beside it, in the same run and just
 * before it, the key-generation-only rate: generateKey() of the same key
 * type at the same concurrency in the bench process, no network, no files.
 * The ratio batch / keygen-only is the figure of merit for RSA, where key
 * generation dominates (target >= 80% for rsa-2048).
 *
 * Cases: rsa-2048 and ec-p256 against the micromdm upstream (maxConcurrent
 * 1), ec-p256 against the embedded CA (inline). NOTE(micromdm): scepserver
 * 2.1.0 signs with the CSR's own signatureAlgorithm, so it refuses every
 * EC device CSR with an RSA CA (FAILURE badRequest): the ec-p256 → micromdm
 * figure is the pipeline's rate up to micromdm's FAILURE answer (the same
 * work for scepgate, minus writing the bundle); the embedded-CA case shows
 * EC devices actually issued.
 *
 * Standalone: `node --import tsx test/bench/batch.ts [--quick] [--devices N]`.
 */
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { generateKey, type KeySpec } from "../../src/crypto/index.js";
import { uniquePrefix } from "../harness/redis.js";
import { childEnv, SCEPGATE_BIN } from "../harness/scepgate.js";

export interface BatchBenchOptions {
  /** Work dir (configs, device lists, output dirs). */
  dir: string;
  redisUrl: string;
  /** The micromdm upstream; its cases are skipped without one. */
  mmUrl: string | undefined;
  /** Devices per batch of a key type (full 1000; quick 100 EC, 50 RSA). */
  devices: (spec: KeySpec) => number;
  /** Keys generated for the keygen-only rate (at most `devices`). */
  keygenCount: (spec: KeySpec) => number;
  /** Devices prepared at once, for the batch and the keygen-only run alike (scepgate's default: 2 x cores). */
  concurrency: number;
  log: (msg: string) => void;
}

export interface BatchCase {
  name: string;
  key: KeySpec;
  ca: "micromdm" | "embedded";
  devices: number;
  issued: number;
  failed: number;
  /** The batch's own figure: devices it worked on per second. */
  devicesPerSec: number;
  /** Including process start-up and boot. */
  wallSeconds: number;
  keygenPerSec: number;
  keygenCount: number;
  /** devicesPerSec / keygenPerSec. */
  ratio: number;
  note?: string;
}

const PASSPHRASE = "bench batch passphrase";

/** Devices per case: 1000; quick 100 EC, 50 RSA (RSA key generation takes seconds; --quick stays under 90 s in all). */
export function batchDevices(spec: KeySpec, quick: boolean): number {
  return quick ? (spec.startsWith("rsa") ? 50 : 100) : 1000;
}

/** Keys for the keygen-only rate: 300 RSA (30 quick), as many EC keys as devices. */
export function batchKeygenCount(spec: KeySpec, quick: boolean, devices?: number): number {
  return spec.startsWith("rsa") ? (quick ? 30 : 300) : (devices ?? batchDevices(spec, quick));
}

/** generateKey(spec) `count` times, `concurrency` at a time; keys per second. */
export async function keygenRate(spec: KeySpec, count: number, concurrency: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next++ < count) await generateKey(spec);
    }),
  );
  return (count * 1000) / (performance.now() - started);
}

function run(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SCEPGATE_BIN, ...args], { cwd, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), ms: performance.now() - started }));
  });
}

/** A config for `ca` under `dir`, with a fresh key prefix; returns its path. */
function writeConfig(o: BatchBenchOptions, label: string, ca: "micromdm" | "embedded"): string {
  const profile = ca === "micromdm" ? { upstream: { url: o.mmUrl, maxConcurrent: 1 } } : {};
  const config = { dataDir: join(o.dir, `batch-data-${ca}`), redis: { url: o.redisUrl, keyPrefix: uniquePrefix(`bench-batch-${label}`) }, log: { level: "error" }, profiles: { default: profile } };
  const file = join(o.dir, `batch-${label}.yaml`);
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return file;
}

function devicesCsv(file: string, prefix: string, n: number): void {
  const rows = Array.from({ length: n }, (_, i) => `${prefix}-${i},${prefix}-${i}.bench.example,${prefix}-${i}.bench.example,10.${(i >> 8) & 255}.${i & 255}.7`);
  writeFileSync(file, ["name,cn,dns,ip", ...rows].join("\n") + "\n");
}

/** One `scepgate batch` run of `n` devices; its summary line. */
async function batchRun(o: BatchBenchOptions, config: string, label: string, key: KeySpec, n: number): Promise<{ summary: Record<string, number>; ms: number }> {
  const csv = join(o.dir, `batch-${label}.csv`);
  devicesCsv(csv, `${label}-${Date.now().toString(36)}`, n);
  const passFile = join(o.dir, "batch-pass");
  writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
  const args = ["batch", csv, "--out", join(o.dir, `batch-out-${label}`), "--key", key, "--concurrency", String(o.concurrency), "--pass-file", passFile, "--config", config, "--wait", "5m"];
  const r = await run(args, o.dir);
  const line = r.stdout.trim().split("\n").reverse().find((l) => l.includes('"type":"summary"'));
  if (!line) throw new Error(`scepgate batch (${label}) printed no summary (exit ${r.code}): ${r.stderr.slice(-1500)}`);
  return { summary: JSON.parse(line) as Record<string, number>, ms: r.ms };
}

async function runCase(o: BatchBenchOptions, name: string, key: KeySpec, ca: "micromdm" | "embedded", config: string): Promise<BatchCase> {
  const devices = o.devices(key);
  const count = Math.min(o.keygenCount(key), devices);
  o.log(`scenario 7 batch ${name}: key generation only, ${count} x ${key} at concurrency ${o.concurrency}`);
  const keygenPerSec = await keygenRate(key, count, o.concurrency);
  o.log(`scenario 7 batch ${name}: ${devices} devices (keygen-only ${keygenPerSec.toFixed(1)}/s)`);
  const { summary, ms } = await batchRun(o, config, name.replace(/[^a-z0-9]+/gi, "-"), key, devices);
  const devicesPerSec = summary["devicesPerSecond"] ?? 0;
  const c: BatchCase = {
    name, key, ca, devices, issued: summary["issued"] ?? 0, failed: summary["failed"] ?? 0, devicesPerSec, wallSeconds: ms / 1000,
    keygenPerSec, keygenCount: count, ratio: devicesPerSec / keygenPerSec,
  };
  if (ca === "micromdm" && key.startsWith("ec-") && c.issued === 0) c.note = "micromdm 2.1.0 refuses EC CSRs (signs with the CSR's signatureAlgorithm): every device ended failed; the rate is the pipeline's up to its FAILURE answer";
  o.log(`scenario 7 batch ${name}: ${devicesPerSec.toFixed(1)} devices/s (${c.issued} issued, ${c.failed} failed; ${c.wallSeconds.toFixed(1)} s wall), ${(100 * c.ratio).toFixed(0)}% of keygen-only`);
  return c;
}

/** Runs the cases; a warm-up batch per CA first (RA enrollment, caches), not measured. */
export async function runBatchBench(o: BatchBenchOptions): Promise<BatchCase[]> {
  const cases: BatchCase[] = [];
  if (o.mmUrl) {
    const config = writeConfig(o, "micromdm", "micromdm");
    o.log("scenario 7 batch: warm-up (RA enrollment from micromdm)");
    await batchRun(o, config, "warmup-mm", "rsa-2048", 2);
    cases.push(await runCase(o, "rsa-2048 -> micromdm", "rsa-2048", "micromdm", config));
    cases.push(await runCase(o, "ec-p256 -> micromdm", "ec-p256", "micromdm", config));
  }
  const embedded = writeConfig(o, "embedded", "embedded");
  await batchRun(o, embedded, "warmup-emb", "ec-p256", 2);
  cases.push(await runCase(o, "ec-p256 -> embedded CA", "ec-p256", "embedded", embedded));
  return cases;
}

/** The report lines of scenario 7. */
export function batchReportLines(cases: readonly BatchCase[]): string[] {
  if (cases.length === 0) return [];
  const head = ["case", "devices", "issued", "devices/s", "wall s", "keygen-only/s", "batch/keygen"];
  const rows = cases.map((c) => [c.name, String(c.devices), String(c.issued), c.devicesPerSec.toFixed(1), c.wallSeconds.toFixed(1), `${c.keygenPerSec.toFixed(1)} (${c.keygenCount} keys)`, `${(100 * c.ratio).toFixed(0)}%`]);
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join(" | ")} |`;
  return [
    "scenario 7: scepgate batch (a real process per case; devices/s from the batch's own summary, first device started to last done; keygen-only at the same concurrency)",
    line(head),
    `|${width.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.map(line),
    ...cases.filter((c) => c.note).map((c) => `note: ${c.name}: ${c.note}`),
  ];
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes("--quick");
  const at = argv.indexOf("--devices");
  const given = at >= 0 ? Number(argv[at + 1]) : undefined;
  const { startRedis } = await import("../harness/redis.js");
  const { startScepServer } = await import("../harness/upstream-ca.js");
  const { makeTempDir, removeTempDir } = await import("../harness/tmp.js");
  const { cleanupAll } = await import("../harness/cleanup.js");
  const dir = makeTempDir("bench-batch-");
  const [redis, mm] = await Promise.all([startRedis(), startScepServer({ keySize: 2048 })]);
  try {
    const cases = await runBatchBench({
      dir, redisUrl: redis.url, mmUrl: mm.url, concurrency: 2 * availableParallelism(),
      devices: (k) => given ?? batchDevices(k, quick),
      keygenCount: (k) => batchKeygenCount(k, quick, given),
      log: (m) => process.stderr.write(`[bench-batch] ${m}\n`),
    });
    process.stdout.write(`${batchReportLines(cases).join("\n")}\n`);
  } finally {
    await mm.stop();
    await redis.stop();
    await removeTempDir(dir);
    cleanupAll();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`bench batch failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

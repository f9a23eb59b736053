/**
 * `scepgate batch`: the composition around the batch use-cases. Opens the
 * output directory (locked against a second run, leftovers of a killed run
 * removed, the passphrase checked against the keys already there), the
 * manifest and the runtime (store, queue, profiles), starts the forward
 * workers in-process when the profile's CA is remote (as `serve` does), runs
 * the devices with at most `concurrency` being prepared at once, and closes
 * everything in the right order.
 */
import type { LoadedConfig } from "../config/index.js";
import { DirLockedError, lockDir, type DirLock } from "../fsutil/dir-lock.js";
import type { AppLogger } from "../observability/logger.js";
import type { BatchDevice } from "../ra/batch-devices.js";
import { collectDevice, loadUpstreamCertificates, requestDevice, requestTarget, saveUpstreamCertificates } from "./batch-requests.js";
import { enrollDevice } from "./batch-enroll.js";
import { BatchConflictError, BatchUsageError } from "./batch-errors.js";
import { BatchDir } from "./batch-files.js";
import { BatchManifest, type BatchMode } from "./batch-manifest.js";
import { Slots, type BatchRunOptions, type BatchSession, type DeviceResult } from "./batch-session.js";
import { createRuntime } from "./runtime.js";
import { startWorkers, type WorkersHandle } from "./workers.js";

/** Where the command reports progress (the CLI draws a bar or prints JSON lines). */
export interface BatchReporter {
  start(info: { total: number; mode: BatchMode | "collect"; profile: string; dir: string }): void;
  device(result: DeviceResult): void;
}

export interface BatchSummary {
  total: number;
  /** Issued in this run. */
  issued: number;
  /** Already finished (issued, or requested with --requests-only) by an earlier run. */
  skipped: number;
  failed: number;
  pending: number;
  requested: number;
  /** Not started because the run was interrupted. */
  notStarted: number;
  elapsedMs: number;
  /** Devices this run worked on (skipped ones not counted) per second. */
  devicesPerSecond: number;
}

/** Locks the directory and opens the manifest and the runtime; undoes what it did on failure. */
async function openSession(loaded: LoadedConfig, logger: AppLogger, o: BatchRunOptions, mode: BatchMode | "collect"): Promise<{ s: BatchSession; lock: DirLock }> {
  const dir = new BatchDir(o.outDir, o.passphrase);
  await dir.create();
  const lock = await lockDir(dir.lockFile()).catch((err: unknown) => {
    throw err instanceof DirLockedError ? new BatchConflictError(`another scepgate batch (pid ${err.pid}) is working in ${o.outDir}`) : err;
  });
  try {
    await dir.removeLeftovers();
    await dir.checkPassphrase();
    const manifest = mode === "collect" ? await BatchManifest.load(dir.manifestFile()) : await BatchManifest.open(dir.manifestFile(), o.profile, mode);
    if (!manifest || (mode === "collect" && manifest.mode !== "requests-only")) {
      throw new BatchUsageError(`${dir.manifestFile()} is not from \`scepgate batch --requests-only\`: nothing to collect`);
    }
    const profileName = mode === "collect" ? manifest.profile : o.profile;
    if (!loaded.config.profiles[profileName]) throw new BatchUsageError(`no profile "${profileName}" in the configuration`);
    const rt = await createRuntime(loaded, logger);
    const profile = rt.profiles.find((p) => p.name === profileName)!;
    return { s: { rt, profile, dir, manifest, o }, lock };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function closeSession(s: BatchSession, lock: DirLock, workers: WorkersHandle | undefined): Promise<void> {
  try {
    await s.manifest.save();
    await workers?.close(); // lets an active forward step finish: none is lost or sent twice
    await s.rt.close();
  } finally {
    await lock.release();
  }
}

/** Runs every device through `one` with the slots; counts the results. */
async function runDevices(s: BatchSession, devices: readonly string[], reporter: BatchReporter, one: (name: string, slots: Slots) => Promise<DeviceResult | undefined>): Promise<BatchSummary> {
  const started = Date.now();
  const slots = new Slots(s.o.concurrency);
  const summary: BatchSummary = { total: devices.length, issued: 0, skipped: 0, failed: 0, pending: 0, requested: 0, notStarted: 0, elapsedMs: 0, devicesPerSecond: 0 };
  // Device failures are results; what rejects here (the manifest cannot be written) ends the run, once every device has stopped.
  const settled = await Promise.allSettled(
    devices.map(async (name) => {
      const r = await one(name, slots);
      if (!r) return void summary.notStarted++;
      await s.manifest.set(r.entry);
      if (r.skipped) summary.skipped++;
      else if (r.entry.status === "issued") summary.issued++;
      else summary[r.entry.status]++;
      reporter.device(r);
    }),
  );
  const failure = settled.find((x): x is PromiseRejectedResult => x.status === "rejected");
  if (failure) throw failure.reason;
  summary.elapsedMs = Date.now() - started;
  const worked = summary.total - summary.skipped - summary.notStarted;
  summary.devicesPerSecond = summary.elapsedMs > 0 ? (worked * 1000) / summary.elapsedMs : 0;
  return summary;
}

/** `scepgate batch DEVICES.csv --out DIR …`: enroll (or, with requestsOnly, write the requests of) every device. */
export async function runBatch(loaded: LoadedConfig, logger: AppLogger, devices: readonly BatchDevice[], o: BatchRunOptions, reporter: BatchReporter): Promise<BatchSummary> {
  const mode: BatchMode = o.requestsOnly ? "requests-only" : "enroll";
  const { s, lock } = await openSession(loaded, logger, o, mode);
  let workers: WorkersHandle | undefined;
  try {
    s.manifest.include(devices.map((d) => d.name), new Date());
    await s.manifest.save();
    const byName = new Map(devices.map((d) => [d.name, d]));
    const upstreamChallenge = loaded.config.profiles[s.profile.name]?.upstream?.challenge;
    reporter.start({ total: devices.length, mode, profile: s.profile.name, dir: o.outDir });
    if (o.requestsOnly) {
      const target = await requestTarget(s.profile);
      await saveUpstreamCertificates(s.dir, target);
      return await runDevices(s, [...byName.keys()], reporter, (name, slots) => requestDevice(s, target, byName.get(name)!, upstreamChallenge, slots));
    }
    // The retention sweep belongs to the long-running workers, not to a batch run.
    if (!s.profile.upstream.inline) workers = await startWorkers(s.rt, { retention: false });
    return await runDevices(s, [...byName.keys()], reporter, (name, slots) => enrollDevice(s, byName.get(name)!, upstreamChallenge, slots));
  } finally {
    await closeSession(s, lock, workers);
  }
}

/** `scepgate batch collect DIR`: bundles from the CertReps (NAME.p7r) of a --requests-only run. */
export async function runCollect(loaded: LoadedConfig, logger: AppLogger, o: Omit<BatchRunOptions, "profile" | "requestsOnly">, reporter: BatchReporter): Promise<BatchSummary> {
  const { s, lock } = await openSession(loaded, logger, { ...o, profile: "", requestsOnly: true }, "collect");
  try {
    const up = await loadUpstreamCertificates(s.dir);
    const names = s.manifest.list().map((d) => d.name);
    reporter.start({ total: names.length, mode: "collect", profile: s.profile.name, dir: o.outDir });
    return await runDevices(s, names, reporter, (name, slots) => collectDevice(s, up, name, slots));
  } finally {
    await closeSession(s, lock, undefined);
  }
}

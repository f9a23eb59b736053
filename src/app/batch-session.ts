/**
 * What the batch modes share: the options of a run, its open directory,
 * manifest and runtime, the slots that bound how many devices are being
 * prepared at once, and the manifest entries they produce.
 */
import type { Certificate } from "../crypto/index.js";
import type { BatchDevice } from "../ra/batch-devices.js";
import type { Profile } from "../ra/profile.js";
import type { BatchDir } from "./batch-files.js";
import type { BatchManifest, ManifestDevice } from "./batch-manifest.js";
import type { Runtime } from "./runtime.js";

/** What a device came to in this run. */
export interface DeviceResult {
  entry: ManifestDevice;
  /** Nothing was done: it was finished (or requested) by an earlier run. */
  skipped: boolean;
}

export interface BatchRunOptions {
  outDir: string;
  profile: string;
  passphrase: string;
  /** Devices being prepared at once (key generation, request, submission); waiting for certificates does not hold a slot. */
  concurrency: number;
  /** How long to wait for each submitted device's certificate. */
  waitMs: number;
  legacyP12: boolean;
  requestsOnly: boolean;
  /** Stops starting devices; devices waiting are recorded as pending. */
  signal?: AbortSignal;
}

/** At most `n` holders at once; acquire() resolves with the release function. */
export class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(n: number) {
    this.free = Math.max(1, n);
  }
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

/** The open output directory, its manifest and the runtime, for one run. */
export interface BatchSession {
  rt: Runtime;
  profile: Profile;
  dir: BatchDir;
  manifest: BatchManifest;
  o: BatchRunOptions;
}

/** The entry fields known before anything is issued: the earlier entry's, with the device's key and subject. */
export function baseEntry(previous: ManifestDevice | undefined, name: string, device?: Pick<BatchDevice, "key">, subject?: string): ManifestDevice {
  const base: ManifestDevice = { ...(previous ?? { status: "pending" }), name, updatedAt: new Date().toISOString() };
  if (device) base.key = device.key;
  if (subject !== undefined) base.subject = subject;
  return base;
}

/** The entry of an issued device. */
export function issuedEntry(base: ManifestDevice, cert: Certificate): ManifestDevice {
  const { error: _dropped, ...rest } = base;
  return { ...rest, status: "issued", subject: cert.subjectText(), serial: cert.serialHex, sha256: cert.fingerprint256(), notAfter: cert.notAfter.toISOString(), updatedAt: new Date().toISOString() };
}

/** The entry of a device that failed with `err`. */
export function failedEntry(base: ManifestDevice, err: unknown): ManifestDevice {
  return { ...base, status: "failed", error: err instanceof Error ? err.message : String(err), updatedAt: new Date().toISOString() };
}

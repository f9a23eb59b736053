/**
 * DIR/manifest.json of `scepgate batch`: one entry per device (status,
 * serial, SHA-256 fingerprint, notAfter, error), rewritten atomically after
 * every device so that a crash at any moment leaves the previous or the new
 * version, never a torn one.
 *
 * ```json
 * { "version": 1, "profile": "default", "mode": "enroll", "updatedAt": "…",
 *   "devices": [ { "name": "r1", "status": "issued", "key": "ec-p256", "subject": "CN=r1",
 *                  "transactionId": "…", "requestId": "…", "serial": "…", "sha256": "…",
 *                  "notAfter": "…", "updatedAt": "…" } ] }
 * ```
 */
import { readFile } from "node:fs/promises";
import { PUBLIC_MODE, writeFileAtomic } from "../fsutil/secret-file.js";
import { BatchConflictError } from "./batch-errors.js";

/**
 * Where a device stands: `issued` (its bundle is written), `failed` (the CA
 * refused, or something went wrong: see `error`), `pending` (submitted, no
 * final answer yet: run again), `requested` (`--requests-only`: NAME.p7 is
 * written, waiting for its CertRep).
 */
export type DeviceStatus = "issued" | "failed" | "pending" | "requested";

/** One device's entry. */
export interface ManifestDevice {
  name: string;
  status: DeviceStatus;
  /** rsa-2048, ec-p256, … */
  key?: string;
  subject?: string;
  /** The transactionID: the device's (enroll mode: `scepgate requests show` finds it by requestId) or the one in NAME.p7. */
  transactionId?: string;
  /** The RA's record id (enroll mode). */
  requestId?: string;
  /** Issued certificate: serial (hex), SHA-256 fingerprint of the DER (hex), notAfter (ISO). */
  serial?: string;
  sha256?: string;
  notAfter?: string;
  error?: string;
  updatedAt: string;
}

/** `enroll`: submitted through the RA; `requests-only`: NAME.p7 files for another channel, then `batch collect`. */
export type BatchMode = "enroll" | "requests-only";

export interface ManifestFile {
  version: 1;
  profile: string;
  mode: BatchMode;
  updatedAt: string;
  devices: ManifestDevice[];
}

/** The manifest of one output directory, kept in memory and saved after each change. */
export class BatchManifest {
  private readonly devices = new Map<string, ManifestDevice>();
  private dirty = false;
  private writing: Promise<void> | undefined;

  private constructor(
    readonly file: string,
    readonly profile: string,
    readonly mode: BatchMode,
    existing: readonly ManifestDevice[],
  ) {
    for (const d of existing) this.devices.set(d.name, d);
  }

  /** Reads `file` if it exists; throws BatchConflictError when it was made for another profile or mode. */
  static async open(file: string, profile: string, mode: BatchMode): Promise<BatchManifest> {
    const found = await read(file);
    if (found && found.profile !== profile) {
      throw new BatchConflictError(`${file} was made for profile "${found.profile}", not "${profile}": use --profile ${found.profile} or another --out directory`);
    }
    if (found && found.mode !== mode) {
      throw new BatchConflictError(`${file} was made ${found.mode === "requests-only" ? "with" : "without"} --requests-only: use another --out directory (mixing both could enroll a device twice)`);
    }
    return new BatchManifest(file, profile, mode, found?.devices ?? []);
  }

  /** Reads an existing manifest (for `batch collect`); undefined when there is none. */
  static async load(file: string): Promise<BatchManifest | undefined> {
    const found = await read(file);
    return found && new BatchManifest(file, found.profile, found.mode, found.devices);
  }

  get(name: string): ManifestDevice | undefined {
    return this.devices.get(name);
  }

  /** Every entry, in the order devices were first listed. */
  list(): ManifestDevice[] {
    return [...this.devices.values()];
  }

  /** Adds entries (status pending) for devices it does not know yet, in the given order. */
  include(names: readonly string[], now: Date): void {
    for (const name of names) if (!this.devices.has(name)) this.devices.set(name, { name, status: "pending", updatedAt: now.toISOString() });
  }

  /** Replaces a device's entry and saves the manifest; resolves once a version holding it is on disk. */
  set(entry: ManifestDevice): Promise<void> {
    this.devices.set(entry.name, entry);
    return this.save();
  }

  /** Writes the manifest (coalescing: one write at a time, the last state always written). */
  save(): Promise<void> {
    this.dirty = true;
    this.writing ??= this.flush();
    return this.writing;
  }

  private async flush(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        const doc: ManifestFile = { version: 1, profile: this.profile, mode: this.mode, updatedAt: new Date().toISOString(), devices: this.list() };
        await writeFileAtomic(this.file, `${JSON.stringify(doc, null, 2)}\n`, { mode: PUBLIC_MODE });
      }
    } finally {
      this.writing = undefined; // in the same turn as the last check of `dirty`: a later save() starts a new flush
    }
  }
}

async function read(file: string): Promise<ManifestFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new BatchConflictError(`${file} is not JSON (${(err as Error).message}): move it away to start over`);
  }
  const m = doc as Partial<ManifestFile>;
  if (m.version !== 1 || typeof m.profile !== "string" || (m.mode !== "enroll" && m.mode !== "requests-only") || !Array.isArray(m.devices)) {
    throw new BatchConflictError(`${file} is not a scepgate batch manifest (version 1)`);
  }
  return m as ManifestFile;
}

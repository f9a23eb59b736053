/**
 * One device of `scepgate batch` (enroll mode), crash-safe at every step:
 *
 * 1. a valid NAME.p12 from an earlier run: done, nothing else happens;
 * 2. the key: NAME.key.pem if it is there, else a new one, written first;
 * 3. the request recorded pre-approved and forwarded (ra/batch-enrollment.ts;
 *    the same record is found again on a rerun: its transactionID comes from
 *    the key) — then the slot is free for the next device;
 * 4. its final state awaited (up to --wait); once issued, NAME.crt.pem and
 *    NAME.p12 are written from the record.
 *
 * Killed between any two steps, a rerun continues at the same step with the
 * same key and the same record, so the CA sees one request per device.
 */
import type { KeyObject } from "node:crypto";
import { parseCertificate, spkiOf } from "../crypto/index.js";
import { failInfoName } from "../protocol/index.js";
import type { BatchDevice } from "../ra/batch-devices.js";
import { submitBatchDevice, BatchDeviceError } from "../ra/batch-enrollment.js";
import { deviceSubject } from "../ra/batch-request.js";
import { FinalStates, type Transaction } from "../ra/ports.js";
import type { ManifestDevice } from "./batch-manifest.js";
import { baseEntry, failedEntry, issuedEntry, type BatchSession, type DeviceResult, type Slots } from "./batch-session.js";

/** Resolves undefined once `signal` aborts (never, without one). */
function abortion(signal: AbortSignal | undefined): Promise<undefined> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve(undefined);
    else signal.addEventListener("abort", () => resolve(undefined), { once: true });
  });
}

const stops = new WeakMap<BatchSession, Promise<undefined>>();

/** One shared abort promise per session (not one listener per device). */
function stopOf(s: BatchSession): Promise<undefined> {
  let p = stops.get(s);
  if (!p) stops.set(s, (p = abortion(s.o.signal)));
  return p;
}

/** Enrolls one device; undefined when the run was interrupted before it started. */
export async function enrollDevice(s: BatchSession, d: BatchDevice, upstreamChallenge: string | undefined, slots: Slots): Promise<DeviceResult | undefined> {
  const base = baseEntry(s.manifest.get(d.name), d.name, d, deviceSubject(d));
  const release = await slots.acquire();
  let submitted: Transaction;
  let key: KeyObject;
  try {
    if (s.o.signal?.aborted) return undefined;
    const done = await s.dir.readBundle(d.name);
    if (done) return { entry: issuedEntry(base, done.cert), skipped: base.status === "issued" };
    key = (await s.dir.loadOrCreateKey(d.name, d.key)).key;
    const deps = { store: s.rt.store, clock: s.rt.clock, logger: s.rt.logger, queue: s.rt.queue };
    submitted = await submitBatchDevice(deps, s.profile, d, key, upstreamChallenge);
  } catch (err) {
    return { entry: failedEntry(base, err), skipped: false };
  } finally {
    release(); // waiting for the CA does not hold a slot
  }
  const entry: ManifestDevice = { ...base, transactionId: submitted.transactionId, requestId: submitted.id };
  try {
    const final = FinalStates.has(submitted.state)
      ? submitted
      : await Promise.race([s.rt.store.waitForFinal(submitted.profile, submitted.transactionId, s.o.waitMs), stopOf(s)]);
    return { entry: await finish(s, d, key, entry, final), skipped: false };
  } catch (err) {
    return { entry: failedEntry(entry, err), skipped: false };
  }
}

/** Writes the bundle of an issued record; the entry of any other outcome. */
async function finish(s: BatchSession, d: BatchDevice, key: KeyObject, entry: ManifestDevice, tx: Transaction | undefined): Promise<ManifestDevice> {
  const now = new Date().toISOString();
  if (!tx) {
    const why = s.o.signal?.aborted ? "interrupted" : `no final answer from the CA within ${Math.round(s.o.waitMs / 1000)} s`;
    return { ...entry, status: "pending", error: `${why}: run the same command again to keep waiting`, updatedAt: now };
  }
  if (tx.state !== "issued" || !tx.certificate) {
    const why = tx.reason ?? (tx.failInfo === undefined ? tx.state : failInfoName(tx.failInfo));
    return failedEntry(entry, new BatchDeviceError(`${tx.state}: ${why}`));
  }
  const cert = parseCertificate(Buffer.from(tx.certificate, "base64"));
  if (Buffer.compare(cert.spki, spkiOf(key)) !== 0) throw new BatchDeviceError("the CA issued a certificate for another key");
  const chain = (tx.chain ?? []).map((c) => new Uint8Array(Buffer.from(c, "base64")));
  await s.dir.writeBundle(d.name, { key, cert, chain }, s.o.legacyP12);
  return issuedEntry(entry, cert);
}

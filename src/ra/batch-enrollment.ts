/**
 * Enrolling one batch device through the RA's own pipeline: the request is
 * recorded pre-approved (`source: "batch"`, audited as actor "batch") and
 * forwarded exactly like an approved device request: by the forward queue
 * and workers for a remote CA, inline for the embedded CA. Idempotent per
 * device key: the transactionID is derived from the key, so a rerun finds
 * its record instead of making a second one.
 */
import type { KeyObject } from "node:crypto";
import { parseCsr, spkiOf } from "../crypto/index.js";
import { RaError } from "./errors.js";
import { enrollUpstream, recordUpstreamResult } from "./forward.js";
import { newTransaction, successorOf } from "./new-transaction.js";
import type { Profile } from "./profile.js";
import type { Clock, ForwardQueue, Logger, Transaction, TransactionStore } from "./ports.js";
import type { BatchDevice } from "./batch-devices.js";
import { buildDeviceCsr, deviceRequesterCertificate, withoutChallengePassword } from "./batch-request.js";
import { keyId } from "./ids.js";

/** The actor batch records and their audit events name. */
export const BATCH_ACTOR = "batch";

export interface BatchEnrollmentDeps {
  store: TransactionStore;
  clock: Clock;
  logger: Logger;
  /** Needed when the profile's CA is not inline. */
  queue?: ForwardQueue;
}

/** A device that cannot be enrolled as asked (its transactionID belongs to someone else). */
export class BatchDeviceError extends RaError {}

/**
 * The challenge password a batch CSR carries: the upstream's when the
 * profile has one (`upstreamChallenge`), else the row's, else none.
 */
export function batchChallenge(device: BatchDevice, upstreamChallenge: string | undefined): string | undefined {
  return upstreamChallenge ?? device.challenge;
}

/**
 * Records the device's request (or finds it) and sets it moving towards the
 * CA. Returns the record as it is after this step: already final, or on its
 * way (wait for it with {@link TransactionStore.waitForFinal}). A record
 * that failed or was rejected before is superseded by a fresh request (the
 * old one stays in the history).
 */
export async function submitBatchDevice(
  deps: BatchEnrollmentDeps,
  profile: Profile,
  device: BatchDevice,
  key: KeyObject,
  upstreamChallenge: string | undefined,
): Promise<Transaction> {
  const spki = spkiOf(key);
  const fresh = batchRecord(deps, profile, device, key, spki, upstreamChallenge);
  const stored = await deps.store.create(fresh, BATCH_ACTOR);
  let tx: Transaction | undefined = stored.tx;
  if (!stored.created) {
    if (tx.source !== "batch" || tx.requesterKeyId !== fresh.requesterKeyId) {
      throw new BatchDeviceError(`transactionID ${fresh.transactionId} of ${device.name} is in use by another request (${tx.id}, from ${tx.source})`);
    }
    if (tx.state === "failed" || tx.state === "rejected") {
      const next = successorOf(fresh, tx);
      const reason = `batch run again after the request was ${tx.state}`;
      tx = (await deps.store.supersede(next, tx, { actor: BATCH_ACTOR, reason })) ? next : await deps.store.get(profile.name, fresh.transactionId);
      if (!tx) throw new Error(`batch record ${fresh.id} vanished`);
    }
  }
  deps.logger.debug({ profile: profile.name, id: tx.id, device: device.name, state: tx.state, created: stored.created }, "batch request recorded");
  return advance(deps, profile, tx);
}

/** An approved record goes to the CA: inline (embedded CA) or through the forward queue. */
async function advance(deps: BatchEnrollmentDeps, profile: Profile, tx: Transaction): Promise<Transaction> {
  if (tx.state !== "approved") return tx;
  if (profile.upstream.inline) {
    const result = await enrollUpstream(profile, tx);
    return (await recordUpstreamResult(deps, tx, result, ["approved"])) ?? (await deps.store.get(tx.profile, tx.transactionId)) ?? tx;
  }
  if (!deps.queue) throw new Error(`profile "${profile.name}" forwards to a remote CA but no forward queue is configured`);
  await deps.queue.enqueueForward(tx.profile, tx.transactionId);
  return tx;
}

function batchRecord(deps: BatchEnrollmentDeps, profile: Profile, device: BatchDevice, key: KeyObject, spki: Uint8Array, upstreamChallenge: string | undefined): Transaction {
  const now = deps.clock.now();
  const challenge = batchChallenge(device, upstreamChallenge);
  const signed = buildDeviceCsr(device, key, challenge);
  // The upstream's challenge is put back by the upstream client on the way out (see withoutChallengePassword).
  const stored = upstreamChallenge === undefined ? signed : withoutChallengePassword(signed);
  return {
    ...newTransaction({
      profile: profile.name,
      transactionId: keyId(spki),
      messageType: "19",
      csr: parseCsr(stored),
      requesterCert: deviceRequesterCertificate(device, key, now, 365, spki),
      requesterSpki: spki,
      state: "approved",
      challenge: "not-required",
      context: {},
      source: "batch",
      now,
    }),
    decidedBy: BATCH_ACTOR,
  };
}

/**
 * The versioned data of a forward job. A forward job is a step job: the one
 * job of a transaction lives through every retry and upstream poll, and
 * carries in `progress` what forwardStep needs to resume (ra/forwarding.ts
 * ForwardProgress). A payload of a version this code does not know fails the
 * job with an UnrecoverableError (it would fail the same way every time).
 */
import { UnrecoverableError } from "bullmq";
import type { ForwardProgress } from "../ra/forwarding.js";

/** The payload version this code writes. */
export const FORWARD_JOB_VERSION = 1;

/** ForwardProgress without the identity fields, which sit at the top of the payload. */
export type ForwardJobProgress = Omit<ForwardProgress, "profile" | "transactionId">;

/** Version 1 of the forward job data, as stored in Redis (JSON). */
export interface ForwardJobDataV1 {
  v: 1;
  profile: string;
  transactionId: string;
  progress: ForwardJobProgress;
}

export type ForwardJobData = ForwardJobDataV1;

/** The payload of a forward that has not started yet. */
export function newForwardJob(profile: string, transactionId: string): ForwardJobData {
  return { v: FORWARD_JOB_VERSION, profile, transactionId, progress: { failures: 0, polls: 0 } };
}

/** The payload that records `p` (after a step mutated it). */
export function encodeForwardJob(p: ForwardProgress): ForwardJobData {
  const progress: ForwardJobProgress = { failures: p.failures, polls: p.polls };
  if (p.firstAttemptAt !== undefined) progress.firstAttemptAt = p.firstAttemptAt;
  if (p.pendingSince !== undefined) progress.pendingSince = p.pendingSince;
  if (p.lastFailure !== undefined) progress.lastFailure = p.lastFailure;
  return { v: FORWARD_JOB_VERSION, profile: p.profile, transactionId: p.transactionId, progress };
}

/**
 * Reads job data back into the ForwardProgress that forwardStep mutates.
 * Throws UnrecoverableError for an unknown version or a malformed payload.
 */
export function parseForwardJob(data: unknown): ForwardProgress {
  if (!isObject(data)) throw new UnrecoverableError("forward job: data is not an object");
  if (data["v"] !== FORWARD_JOB_VERSION) {
    throw new UnrecoverableError(`forward job: unknown payload version ${JSON.stringify(data["v"])} (this worker reads v${FORWARD_JOB_VERSION})`);
  }
  const { profile, transactionId, progress } = data;
  if (typeof profile !== "string" || typeof transactionId !== "string" || !isObject(progress)) {
    throw new UnrecoverableError("forward job: v1 payload lacks profile, transactionId or progress");
  }
  const out: ForwardProgress = {
    profile,
    transactionId,
    failures: count(progress["failures"], "failures"),
    polls: count(progress["polls"], "polls"),
  };
  const firstAttemptAt = isoTime(progress["firstAttemptAt"], "firstAttemptAt");
  const pendingSince = isoTime(progress["pendingSince"], "pendingSince");
  if (firstAttemptAt !== undefined) out.firstAttemptAt = firstAttemptAt;
  if (pendingSince !== undefined) out.pendingSince = pendingSince;
  const lastFailure = progress["lastFailure"];
  if (lastFailure === "unreachable" || lastFailure === "timeout" || lastFailure === "http" || lastFailure === "protocol") out.lastFailure = lastFailure;
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function count(v: unknown, name: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new UnrecoverableError(`forward job: progress.${name} is not a count`);
  return v;
}

function isoTime(v: unknown, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || Number.isNaN(Date.parse(v))) throw new UnrecoverableError(`forward job: progress.${name} is not a time`);
  return v;
}

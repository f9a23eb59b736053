/**
 * Job and worker options of the forward queues, with the reasons for each
 * number in one place.
 */
import type { JobsOptions, WorkerOptions } from "bullmq";

/**
 * Finished jobs kept for inspection: completed ones a day, failed ones a
 * week, and at most 10,000 of each per queue, so neither set grows with
 * traffic (BullMQ trims both whenever a job finishes; `age` is in seconds).
 * Removing a finished job is always safe: the job id comes from the record
 * id, and ensureJob adds a missing job or revives a finished one for a new
 * attempt alike (a failed job is revived by reconcile within a minute, long
 * before it ages out). The transaction records themselves are removed by the
 * retention sweep (store/retention.ts), much later.
 */
export const FORWARD_RETENTION = {
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
} as const;

/**
 * BullMQ attempts are only for unexpected exceptions (a bug, a Redis hiccup):
 * upstream retries and polls are steps of the same attempt (moveToDelayed
 * with skipAttempt), so attemptsMade does not grow with them. 5 attempts with
 * exponential backoff from 1 s: 1, 2, 4, 8 s, then the job fails, the error
 * is logged, the transaction keeps its state and reconcile revives the job
 * within a minute.
 */
export const EXCEPTION_ATTEMPTS = 5;
export const EXCEPTION_BACKOFF_MS = 1_000;

/** BullMQ's own retries of a step that threw (see EXCEPTION_ATTEMPTS). */
export interface ExceptionRetry {
  attempts: number;
  backoffMs: number;
}

/** Options of every forward job (the job id is set per transaction). */
export function forwardJobOptions(retry: ExceptionRetry = { attempts: EXCEPTION_ATTEMPTS, backoffMs: EXCEPTION_BACKOFF_MS }): JobsOptions {
  return {
    attempts: retry.attempts,
    backoff: { type: "exponential", delay: retry.backoffMs },
    ...FORWARD_RETENTION,
  };
}

/**
 * Crash safety. A SIGKILLed worker leaves its active jobs locked until the
 * lock expires; the stalled checker (one run per stalledInterval across all
 * workers) first marks active jobs, and on its next run moves the marked
 * ones whose lock has expired back to wait. So a killed worker's job is
 * picked up by another worker after at most lockDuration + stalledInterval
 * = 20 s (typically 10-20 s).
 *
 * - lockDuration 10 s: the lock is renewed every 5 s (half), so only an event
 *   loop blocked for more than 5 s could lose it; our steps are I/O-bound with
 *   ~30 ms of CPU.
 * - stalledInterval 10 s: one cheap Lua script per 10 s per queue.
 * - maxStalledCount 100: a stall is a crashed process, not a poison job; the
 *   step is idempotent (same upstream transactionID, recover() polls first).
 */
export const WORKER_TIMING = {
  lockDurationMs: 10_000,
  stalledIntervalMs: 10_000,
  maxStalledCount: 100,
} as const;

/** Worker options for crash safety (the rest is set by startForwardWorkers). */
export function forwardWorkerOptions(timing: Partial<typeof WORKER_TIMING> = {}): Pick<WorkerOptions, "lockDuration" | "stalledInterval" | "maxStalledCount"> {
  const t = { ...WORKER_TIMING, ...timing };
  return { lockDuration: t.lockDurationMs, stalledInterval: t.stalledIntervalMs, maxStalledCount: t.maxStalledCount };
}

/** Upstream retry backoff: base·2^(failures-1), capped (ra/forwarding.ts uses 1 s / 30 s). */
export interface RetryBackoff {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY_BACKOFF: RetryBackoff = { baseMs: 1_000, maxMs: 30_000 };

export function retryBackoffDelay(b: RetryBackoff, failures: number): number {
  return Math.min(b.baseMs * 2 ** Math.max(0, failures - 1), b.maxMs);
}

/**
 * The notification queue: its name, job payload and options.
 *
 * - `P bull:notify:*`  BullMQ's keys of the one notification queue (BullMQ `prefix` = `P bull`)
 *
 * Retries: a delivery that fails (no answer within the target's timeout, a
 * connection error, any non-2xx status) is retried {@link NOTIFY_ATTEMPTS}
 * times in all, after 5 s, 10 s, 20 s … doubling up to 1 h between
 * attempts ({@link notifyBackoffDelay}): about 15 hours from the first try
 * to the last. Then the job stays failed (kept a week) and the error is logged.
 */
import { UnrecoverableError, type JobsOptions } from "bullmq";
import { NOTIFY_EVENTS, type NotifyEvent } from "../config/index.js";

/** The notification queue's name. */
export const NOTIFY_QUEUE = "notify";
/** The name every delivery job carries. */
export const NOTIFY_JOB_NAME = "deliver";
/** Attempts of one delivery, the first included. */
export const NOTIFY_ATTEMPTS = 25;
/** Delay before the first retry; doubles after each failure. */
export const NOTIFY_BACKOFF_BASE_MS = 5_000;
/** Longest delay between two attempts. */
export const NOTIFY_BACKOFF_MAX_MS = 3_600_000;

/** One delivery: the target (by id), the idempotency key, and the exact body to send. */
export interface NotifyJobData {
  v: 1;
  target: string;
  key: string;
  event: NotifyEvent;
  /** The JSON payload, serialised once when the event was read: every retry sends the same bytes. */
  body: string;
}

/** The delay before retry `attemptsMade` (1 = the first retry). */
export function notifyBackoffDelay(attemptsMade: number, baseMs = NOTIFY_BACKOFF_BASE_MS, maxMs = NOTIFY_BACKOFF_MAX_MS): number {
  return Math.min(baseMs * 2 ** Math.max(0, attemptsMade - 1), maxMs);
}

/** Options of one delivery job (the custom backoff is the worker's notifyBackoffDelay). */
export function notifyJobOptions(jobId: string): JobsOptions & { jobId: string } {
  return {
    jobId,
    attempts: NOTIFY_ATTEMPTS,
    backoff: { type: "custom" },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
  };
}

/** Checks a job's data; a payload of another version or shape cannot be retried into shape. */
export function parseNotifyJob(data: unknown): NotifyJobData {
  const d = data as Partial<NotifyJobData> | null;
  const ok = d?.v === 1 && typeof d.target === "string" && typeof d.key === "string" && typeof d.body === "string"
    && typeof d.event === "string" && (NOTIFY_EVENTS as readonly string[]).includes(d.event);
  if (!ok) throw new UnrecoverableError("not a version 1 notification job");
  return d as NotifyJobData;
}

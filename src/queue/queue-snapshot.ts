/**
 * What a forward queue holds, for the metrics read at scrape time: BullMQ's
 * job counts per state (one script), and the age of the oldest job still to
 * run (waiting or delayed), with bounded work whatever the queue's size.
 */
import type { Queue } from "bullmq";

/** The BullMQ states counted, as getJobCounts names them. */
export const SNAPSHOT_STATES = ["waiting", "active", "delayed", "prioritized", "waiting-children", "completed", "failed"] as const;

/** Delayed jobs read from each end of the delayed set (by due time) to find the oldest. */
const DELAYED_SAMPLE = 10;

/** One queue's counts and oldest job age. */
export interface QueueSnapshot {
  queue: string;
  counts: Record<string, number>;
  /** Seconds since the oldest waiting or delayed job was created; undefined when there is none. */
  oldestJobAgeSeconds?: number;
}

/**
 * Counts per state, and the oldest job among: the oldest of the wait list
 * (exact: its tail) and the first of the prioritized set, and the
 * {@link DELAYED_SAMPLE} soonest and latest due delayed jobs. A forward job
 * lives through every retry and poll of its transaction (delayed with
 * growing backoff), so the oldest delayed ones are the latest due; a delayed
 * job in the middle of both ends can be missed, which makes the figure a
 * lower bound when more than 2 × 10 jobs are delayed.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any payload type
export async function snapshotQueue(queue: Queue<any, any, string>, nowMs: number): Promise<QueueSnapshot> {
  const [counts, oldestWaiting, soonest, latest] = await Promise.all([
    queue.getJobCounts(...SNAPSHOT_STATES),
    queue.getJobs(["wait", "prioritized"], 0, 0, true),
    queue.getJobs(["delayed"], 0, DELAYED_SAMPLE - 1, true),
    queue.getJobs(["delayed"], 0, DELAYED_SAMPLE - 1, false),
  ]);
  let oldest = Infinity;
  for (const job of [...oldestWaiting, ...soonest, ...latest]) if (job && job.timestamp < oldest) oldest = job.timestamp;
  const snapshot: QueueSnapshot = { queue: queue.name, counts };
  if (Number.isFinite(oldest)) snapshot.oldestJobAgeSeconds = Math.max(0, (nowMs - oldest) / 1000);
  return snapshot;
}

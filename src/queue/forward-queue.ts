/**
 * The ForwardQueue port on BullMQ: one queue per upstream CA (queue-names.ts),
 * one job per transaction (job id from the record id), so enqueueing twice
 * is a no-op and the job lives through every retry and poll of that
 * transaction.
 */
import { Queue, type Job } from "bullmq";
import type { ForwardQueue, Logger, TransactionStore } from "../ra/ports.js";
import { closeQueueRedis, type QueueConnection } from "./connection.js";
import { encodeForwardJob, newForwardJob, parseForwardJob, type ForwardJobData } from "./job-payload.js";
import { forwardJobOptions, type ExceptionRetry } from "./job-options.js";
import { bullPrefix, FORWARD_JOB_NAME, forwardJobId, type ForwardQueueSpec } from "./queue-names.js";
import { snapshotQueue, type QueueSnapshot } from "./queue-snapshot.js";
import { reconcileForwards, type ReconcileResult } from "./reconcile.js";

/** Options of {@link BullForwardQueue}. */
export interface BullForwardQueueOptions {
  /** A connection with `maxRetriesPerRequest: null` (connectQueueRedis), shared by every queue. */
  connection: QueueConnection;
  /** Close `connection` in close() (default false: the caller owns it). */
  ownsConnection?: boolean;
  /** The configured `redis.keyPrefix` (e.g. `scepgate:`). */
  prefix: string;
  /** The forward queues and the profiles routed to each (planForwardQueues). */
  queues: readonly ForwardQueueSpec[];
  logger: Logger;
  /** BullMQ retries of a step that throws (default 5 attempts, backoff from 1 s); tests shorten it. */
  exceptionRetry?: ExceptionRetry;
}

/** What {@link BullForwardQueue.ensureJob} found and did. */
export type EnsureOutcome = "added" | "exists" | "revived";

type ForwardJob = Job<ForwardJobData, void, string>;

/** {@link ForwardQueue} on BullMQ. */
export class BullForwardQueue implements ForwardQueue {
  /** The configured `redis.keyPrefix` this queue set lives under. */
  readonly prefix: string;
  private readonly byName = new Map<string, { spec: ForwardQueueSpec; queue: Queue<ForwardJobData, void, string> }>();
  private readonly byProfile = new Map<string, Queue<ForwardJobData, void, string>>();
  private readonly logger: Logger;
  private readonly owned: QueueConnection | undefined;
  private readonly jobOptions: ReturnType<typeof forwardJobOptions>;

  constructor(o: BullForwardQueueOptions) {
    this.prefix = o.prefix;
    this.logger = o.logger;
    this.owned = o.ownsConnection ? o.connection : undefined;
    this.jobOptions = forwardJobOptions(o.exceptionRetry);
    for (const spec of o.queues) {
      const queue = new Queue<ForwardJobData, void, string>(spec.name, { connection: o.connection, prefix: bullPrefix(o.prefix) });
      queue.on("error", (err) => this.logger.warn({ queue: spec.name, err: err.message }, "forward queue: redis error"));
      this.byName.set(spec.name, { spec, queue });
      for (const profile of spec.profiles) this.byProfile.set(profile, queue);
    }
  }

  /** The queue specs, as given. */
  get specs(): ForwardQueueSpec[] {
    return [...this.byName.values()].map((q) => q.spec);
  }

  /** Profiles that forward through a queue (the others are inline or unknown). */
  get profiles(): string[] {
    return [...this.byProfile.keys()];
  }

  /**
   * Enqueues the forward of an approved transaction; a no-op while its job
   * is waiting, active or delayed. A finished job (from an earlier attempt of
   * the same transactionID) is revived with fresh progress.
   */
  async enqueueForward(profile: string, transactionId: string): Promise<void> {
    const outcome = await this.ensureJob(profile, transactionId, { keepProgress: false });
    this.logger.debug({ profile, transactionId, outcome }, "forward enqueued");
  }

  /**
   * Makes sure the transaction has a live job. `keepProgress` keeps the
   * progress of a failed job being revived (reconcile does, so retryFor and
   * maxPendingAge still count from the first attempt).
   */
  async ensureJob(profile: string, transactionId: string, o: { keepProgress: boolean }): Promise<EnsureOutcome> {
    const queue = this.queueOf(profile);
    const jobId = forwardJobId(profile, transactionId);
    for (let round = 0; ; round++) {
      const state = await queue.getJobState(jobId);
      if (state === "unknown") {
        // Idempotent in Redis: if another process added it meanwhile, this is a no-op.
        await queue.add(FORWARD_JOB_NAME, newForwardJob(profile, transactionId), { ...this.jobOptions, jobId });
        return "added";
      }
      if (state !== "completed" && state !== "failed") return "exists";
      const fresh = newForwardJob(profile, transactionId);
      if (await this.revive(queue, jobId, state, o.keepProgress && state === "failed" ? undefined : fresh, fresh)) return "revived";
      // Raced with another reviver or the retention cleaner: look again.
      if (round >= 3) return "exists";
    }
  }

  /** The job of a transaction, or undefined (for tools and tests). */
  async getJob(profile: string, transactionId: string): Promise<ForwardJob | undefined> {
    return (await this.queueOf(profile).getJob(forwardJobId(profile, transactionId))) ?? undefined;
  }

  /** The BullMQ state of a transaction's job ("unknown" when there is none). */
  async jobState(profile: string, transactionId: string): Promise<string> {
    return this.queueOf(profile).getJobState(forwardJobId(profile, transactionId));
  }

  /** Each queue's job counts per state and its oldest waiting or delayed job's age (queue-snapshot.ts), for the metrics. */
  snapshot(nowMs = Date.now()): Promise<QueueSnapshot[]> {
    return Promise.all([...this.byName.values()].map(({ queue }) => snapshotQueue(queue, nowMs)));
  }

  /** Writes each queue's maxConcurrent as its BullMQ global concurrency (enforced in Redis for all workers). */
  async applyConcurrency(): Promise<void> {
    for (const { spec, queue } of this.byName.values()) await queue.setGlobalConcurrency(spec.maxConcurrent);
  }

  /**
   * Enqueues every transaction of `profiles` (default: all routed ones) that
   * is approved, forwarding or upstream_pending but has no live job
   * (reconcile.ts). Idempotent.
   */
  reconcile(store: TransactionStore, profiles?: readonly string[]): Promise<ReconcileResult> {
    return reconcileForwards(this, store, this.logger, profiles);
  }

  /** Closes the BullMQ queue objects, and the connection when this queue owns it. */
  async close(): Promise<void> {
    await Promise.all([...this.byName.values()].map(({ queue }) => queue.close()));
    if (this.owned) await closeQueueRedis(this.owned);
  }

  private queueOf(profile: string): Queue<ForwardJobData, void, string> {
    const q = this.byProfile.get(profile);
    if (!q) throw new Error(`profile "${profile}" has no forward queue (its CA is inline, or it is not configured)`);
    return q;
  }

  /**
   * Moves a finished job back to wait with `data`, or, when `data` is
   * undefined, with its own progress if readable (else `fallback`). False
   * when the job is no longer in `state`.
   */
  private async revive(
    queue: Queue<ForwardJobData, void, string>,
    jobId: string,
    state: "completed" | "failed",
    data: ForwardJobData | undefined,
    fallback: ForwardJobData,
  ): Promise<boolean> {
    const job = await queue.getJob(jobId);
    if (!job) return false;
    try {
      await job.updateData(data ?? keptProgress(job.data, fallback));
      await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
      return true;
    } catch (err) {
      this.logger.debug({ jobId, err: (err as Error).message }, "forward job changed while reviving it");
      return false;
    }
  }
}

/** The job's own progress, re-encoded at the current version; `fallback` when it cannot be read. */
function keptProgress(data: unknown, fallback: ForwardJobData): ForwardJobData {
  try {
    return encodeForwardJob(parseForwardJob(data));
  } catch {
    return fallback;
  }
}

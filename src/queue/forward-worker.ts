/**
 * The forward workers: one BullMQ Worker per forward queue, each running
 * ra's forwardStep as a step job. A step that must come back later (upstream
 * unreachable → retry, upstream PENDING → poll) saves its progress in the
 * job's data and moves the same job to delayed, so one job per transaction
 * lives through every retry and poll without BullMQ counting attempts.
 */
import { hostname } from "node:os";
import { DelayedError, UnrecoverableError, Worker, type Job } from "bullmq";
import { forwardStep, type ForwardingDeps } from "../ra/forwarding.js";
import type { Logger } from "../ra/ports.js";
import { closeQueueRedis, type QueueConnection, type QueueConnectionFactory } from "./connection.js";
import { BullForwardQueue } from "./forward-queue.js";
import { encodeForwardJob, parseForwardJob, type ForwardJobData } from "./job-payload.js";
import { EXCEPTION_ATTEMPTS, forwardWorkerOptions, retryBackoffDelay, type RetryBackoff, type WORKER_TIMING } from "./job-options.js";
import { bullPrefix, type ForwardQueueSpec } from "./queue-names.js";
import { startReconciler, type Reconciler } from "./reconcile.js";

/** Options of {@link startForwardWorkers}. */
export interface ForwardWorkersOptions {
  /** Makes the workers' connection (maxRetriesPerRequest null; connectQueueRedis). Called once; BullMQ duplicates it for each worker's blocking reads. */
  connect: QueueConnectionFactory;
  /** The configured `redis.keyPrefix`. */
  prefix: string;
  queues: readonly ForwardQueueSpec[];
  /** Jobs one process runs at once per queue (`workers.concurrency`), never above the queue's maxConcurrent. */
  concurrency: number;
  deps: ForwardingDeps;
  logger: Logger;
  /** Lock and stall timing (job-options.ts WORKER_TIMING); tests shorten it. */
  timing?: Partial<typeof WORKER_TIMING>;
  /** Upstream retry backoff; default: the delay forwardStep asks for (1 s doubling to 30 s). */
  retryBackoff?: RetryBackoff;
  /** Periodic reconcile; default every minute. `false`: none (not even at start). */
  reconcile?: { intervalMs: number } | false;
  /** Name recorded on the jobs this process takes (default `host:pid`). */
  name?: string;
}

/** Running forward workers. */
export interface ForwardWorkers {
  readonly workers: readonly Worker<ForwardJobData, void, string>[];
  /** The queue view of the same queues (reconcile, inspection). */
  readonly queue: BullForwardQueue;
  /** Stops taking jobs, waits for the active ones (their step completes or is delayed), closes connections. */
  close(): Promise<void>;
}

/**
 * Starts one Worker per queue. The queues' global concurrency (maxConcurrent)
 * is written before the first job is taken.
 */
export async function startForwardWorkers(o: ForwardWorkersOptions): Promise<ForwardWorkers> {
  const connection = o.connect();
  const queue = new BullForwardQueue({ connection, prefix: o.prefix, queues: o.queues, logger: o.logger });
  const workers: Worker<ForwardJobData, void, string>[] = [];
  let reconciler: Reconciler | undefined;
  try {
    await queue.applyConcurrency();
    for (const spec of o.queues) workers.push(createWorker(o, spec, connection));
    await Promise.all(workers.map((w) => w.waitUntilReady()));
    if (o.reconcile !== false) {
      reconciler = startReconciler({ queue, store: o.deps.store, logger: o.logger, redis: connection, prefix: o.prefix, intervalMs: o.reconcile?.intervalMs });
    }
  } catch (err) {
    await Promise.all(workers.map((w) => w.close(true)));
    await queue.close();
    await closeQueueRedis(connection);
    throw err;
  }
  o.logger.info({ queues: o.queues.map((q) => ({ name: q.name, maxConcurrent: q.maxConcurrent, profiles: q.profiles })) }, "forward workers started");
  let closing: Promise<void> | undefined;
  return {
    workers,
    queue,
    close: () =>
      (closing ??= (async () => {
        await Promise.all(workers.map((w) => w.close()));
        await reconciler?.stop();
        await queue.close();
        await closeQueueRedis(connection);
      })()),
  };
}

/** One queue's Worker; its own concurrency never exceeds the queue's global one. */
function createWorker(o: ForwardWorkersOptions, spec: ForwardQueueSpec, connection: QueueConnection): Worker<ForwardJobData, void, string> {
  const worker = new Worker<ForwardJobData, void, string>(spec.name, forwardProcessor(o), {
    connection,
    prefix: bullPrefix(o.prefix),
    concurrency: Math.max(1, Math.min(o.concurrency, spec.maxConcurrent)),
    name: o.name ?? `${hostname()}:${process.pid}`,
    ...forwardWorkerOptions(o.timing),
  });
  watch(worker, spec, o.logger);
  return worker;
}

/** The processor: one forwardStep; a retry or poll saves its progress and delays the same job. */
export function forwardProcessor(o: Pick<ForwardWorkersOptions, "deps" | "retryBackoff">) {
  return async (job: Job<ForwardJobData, void, string>, token?: string): Promise<void> => {
    const progress = parseForwardJob(job.data);
    const outcome = await forwardStep(o.deps, progress);
    if (outcome.next === "done") return;
    if (token === undefined) throw new Error("forward job without a lock token");
    const delayMs = outcome.next === "retry" && o.retryBackoff ? retryBackoffDelay(o.retryBackoff, progress.failures) : outcome.delayMs;
    await job.updateData(encodeForwardJob(progress));
    await job.moveToDelayed(Date.now() + delayMs, token);
    throw new DelayedError();
  };
}

/** Logs what an operator must see: failed jobs (loudly once exception retries are spent), stalls, Redis errors. */
function watch(worker: Worker<ForwardJobData, void, string>, spec: ForwardQueueSpec, logger: Logger): void {
  worker.on("failed", (job, err) => {
    const fields = { queue: spec.name, jobId: job?.id, profile: job?.data.profile, transactionId: job?.data.transactionId, attemptsMade: job?.attemptsMade, err: err.message };
    const final = err instanceof UnrecoverableError || err.name === "UnrecoverableError" || (job?.attemptsMade ?? 0) >= (job?.opts.attempts ?? EXCEPTION_ATTEMPTS);
    if (final) {
      logger.error({ ...fields, stack: err.stack }, "forward job FAILED: the transaction keeps its state; reconcile revives the job within a minute");
    } else {
      logger.warn(fields, "forward job threw; BullMQ retries it with backoff");
    }
  });
  worker.on("stalled", (jobId) => logger.warn({ queue: spec.name, jobId }, "forward job stalled (its worker died); another worker resumes it"));
  worker.on("error", (err) => logger.error({ queue: spec.name, err: err.message }, "forward worker error"));
}

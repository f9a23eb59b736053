/**
 * The notification workers: one BullMQ Worker on the notification queue
 * delivering each job to its target, plus the feed that fills the queue
 * from the audit stream (notify-feed.ts). Runs in every worker process
 * (`scepgate worker`, `serve` unless --no-workers); never in the front's
 * request path, so a request never waits for, or fails because of, a
 * notification.
 *
 * The HTTP POST itself is given in (`deliver`, policy/webhook-post.ts wired
 * by app/), so this adapter knows only BullMQ and Redis.
 */
import { Queue, UnrecoverableError, Worker, type Job } from "bullmq";
import type { Logger, TransactionStore } from "../ra/ports.js";
import { closeQueueRedis, type QueueConnectionFactory } from "./connection.js";
import { startNotifyFeed } from "./notify-feed.js";
import type { NotifyTarget } from "./notify-events.js";
import { NOTIFY_QUEUE, notifyBackoffDelay, parseNotifyJob, type NotifyJobData } from "./notify-queue.js";
import { bullPrefix } from "./queue-names.js";
import { forwardWorkerOptions } from "./job-options.js";

/** The outcome of one delivery attempt: ok, or why not (then it is retried). */
export type DeliveryOutcome = { ok: true } | { ok: false; reason: string };

/** Sends one delivery (signed POST with the idempotency key). */
export type Deliver = (target: NotifyTarget, job: { key: string; event: string; body: string; attempt: number }) => Promise<DeliveryOutcome>;

/** What startNotifyWorkers needs. */
export interface NotifyWorkersOptions {
  connect: QueueConnectionFactory;
  prefix: string;
  /** The store's global audit stream key. */
  stream: string;
  targets: readonly NotifyTarget[];
  store: Pick<TransactionStore, "getById">;
  deliver: Deliver;
  logger: Logger;
  concurrency?: number;
  /** Retry delays (tests shorten them). */
  backoff?: { baseMs: number; maxMs: number };
  claimIdleMs?: number;
}

/** Running notification workers. */
export interface NotifyWorkers {
  close(): Promise<void>;
}

/** The processor of delivery jobs: throws (→ retry with backoff) unless the target took it. */
export function notifyProcessor(targets: readonly NotifyTarget[], deliver: Deliver, logger: Logger) {
  const byId = new Map(targets.map((t) => [t.id, t]));
  return async function deliverNotification(job: Job<NotifyJobData>): Promise<void> {
    const data = parseNotifyJob(job.data);
    const target = byId.get(data.target);
    if (!target) throw new UnrecoverableError(`notification target ${data.target} is no longer configured`);
    const outcome = await deliver(target, { key: data.key, event: data.event, body: data.body, attempt: job.attemptsMade + 1 });
    if (outcome.ok) return;
    logger.warn({ target: target.url, key: data.key, attempt: job.attemptsMade + 1, reason: outcome.reason }, "notification not delivered, will retry");
    throw new Error(`notification to ${target.url}: ${outcome.reason}`);
  };
}

/** Starts the delivery worker and the feed; close() stops the feed, then lets active deliveries finish. */
export async function startNotifyWorkers(o: NotifyWorkersOptions): Promise<NotifyWorkers> {
  const prefix = bullPrefix(o.prefix);
  const queueConn = o.connect();
  const workerConn = o.connect();
  const feedConn = o.connect();
  const queue = new Queue(NOTIFY_QUEUE, { connection: queueConn, prefix });
  const backoff = o.backoff ?? { baseMs: undefined, maxMs: undefined };
  const worker = new Worker(NOTIFY_QUEUE, notifyProcessor(o.targets, o.deliver, o.logger), {
    connection: workerConn,
    prefix,
    concurrency: o.concurrency ?? 10,
    ...forwardWorkerOptions(),
    settings: { backoffStrategy: (attemptsMade: number) => notifyBackoffDelay(attemptsMade, backoff.baseMs, backoff.maxMs) },
  });
  worker.on("failed", (job, err) => {
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) o.logger.error({ key: job.data.key, err: err.message }, "notification given up");
  });
  worker.on("error", (err) => o.logger.warn({ err: err.message }, "notification worker error"));
  const feed = await startNotifyFeed({ redis: feedConn, stream: o.stream, queue, targets: o.targets, store: o.store, logger: o.logger, claimIdleMs: o.claimIdleMs });
  o.logger.info({ targets: o.targets.length }, "notification workers started");
  return {
    close: async () => {
      await feed.stop();
      await worker.close();
      await queue.close();
      await Promise.all([queueConn, workerConn, feedConn].map(closeQueueRedis));
    },
  };
}

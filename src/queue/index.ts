/**
 * The BullMQ adapter: forward queues (one per upstream CA), versioned job
 * payloads, job and worker options, the forward workers and reconcile.
 * Every queue name and Redis key is built in queue-names.ts.
 */
export { closeQueueRedis, connectQueueRedis, type QueueConnection, type QueueConnectionFactory } from "./connection.js";
export { BullForwardQueue, type BullForwardQueueOptions, type EnsureOutcome } from "./forward-queue.js";
export { forwardProcessor, startForwardWorkers, type ForwardWorkers, type ForwardWorkersOptions } from "./forward-worker.js";
export {
  DEFAULT_RETRY_BACKOFF, EXCEPTION_ATTEMPTS, EXCEPTION_BACKOFF_MS, FORWARD_RETENTION, WORKER_TIMING, type ExceptionRetry, type RetryBackoff,
} from "./job-options.js";
export { FORWARD_JOB_VERSION, encodeForwardJob, newForwardJob, parseForwardJob, type ForwardJobData } from "./job-payload.js";
export { snapshotQueue, SNAPSHOT_STATES, type QueueSnapshot } from "./queue-snapshot.js";
export {
  bullPrefix, FORWARD_JOB_NAME, forwardJobId, forwardQueueName, planForwardQueues, reconcileLockKey, type ForwardQueueSpec, type ForwardRoute,
} from "./queue-names.js";
export { IN_FLIGHT_STATES, reconcileForwards, startReconciler, type ReconcileResult, type Reconciler } from "./reconcile.js";
export { idempotencyKey, notificationPayload, notifyEventOf, notifyJobId, notifyTargetId, targetsFor, type NotificationPayload, type NotifyTarget } from "./notify-events.js";
export { CLAIM_IDLE_MS, NOTIFY_GROUP } from "./notify-feed.js";
export { NOTIFY_ATTEMPTS, NOTIFY_QUEUE, notifyBackoffDelay, type NotifyJobData } from "./notify-queue.js";
export { notifyProcessor, startNotifyWorkers, type Deliver, type DeliveryOutcome, type NotifyWorkers, type NotifyWorkersOptions } from "./notify-worker.js";

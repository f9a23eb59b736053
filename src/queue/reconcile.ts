/**
 * Reconcile: every transaction that should be moving towards its CA has a
 * live forward job. It repairs a crash between a state change and the
 * enqueue (the front wrote `approved` and died), a job that failed after its
 * exception retries, and a job that finished while its transaction still
 * waits. Idempotent: a transaction whose job is waiting, active or delayed is
 * left alone. Workers run it at start and then once a minute, one worker at a
 * time (a Redis lock).
 */
import { randomBytes } from "node:crypto";
import type { Logger, TransactionState, TransactionStore } from "../ra/ports.js";
import type { QueueConnection } from "./connection.js";
import { reconcileLockKey } from "./queue-names.js";

/** States whose transactions must have a live forward job. */
export const IN_FLIGHT_STATES: readonly TransactionState[] = ["approved", "forwarding", "upstream_pending"];

/** Records read per (profile, state) in one pass: the store's list() maximum. */
const LIST_LIMIT = 1000;

/** What reconcile needs of the queue (BullForwardQueue). */
export interface Reconcilable {
  readonly profiles: readonly string[];
  ensureJob(profile: string, transactionId: string, o: { keepProgress: boolean }): Promise<"added" | "exists" | "revived">;
}

/** Counts of one reconcile pass. */
export interface ReconcileResult {
  checked: number;
  added: number;
  revived: number;
}

/**
 * One reconcile pass over `profiles` (default: every profile with a queue).
 * A failed job is revived with its progress, so retryFor and maxPendingAge
 * still count from the first attempt. Reads at most 1,000 records per
 * (profile, state) per pass.
 */
export async function reconcileForwards(queue: Reconcilable, store: TransactionStore, logger: Logger, profiles?: readonly string[]): Promise<ReconcileResult> {
  const result: ReconcileResult = { checked: 0, added: 0, revived: 0 };
  const routed = new Set(queue.profiles);
  for (const profile of profiles ?? queue.profiles) {
    if (!routed.has(profile)) continue;
    for (const state of IN_FLIGHT_STATES) {
      for (const tx of await store.list({ profile, state, limit: LIST_LIMIT })) {
        result.checked++;
        const outcome = await queue.ensureJob(profile, tx.transactionId, { keepProgress: true });
        if (outcome === "exists") continue;
        if (outcome === "added") result.added++;
        else result.revived++;
        logger.warn({ profile, id: tx.id, state: tx.state, outcome }, "reconcile: transaction had no live forward job");
      }
    }
  }
  return result;
}

/** Options of {@link startReconciler}. */
export interface ReconcilerOptions {
  queue: Reconcilable;
  store: TransactionStore;
  logger: Logger;
  /** Connection for the lock. */
  redis: QueueConnection;
  /** The configured `redis.keyPrefix`. */
  prefix: string;
  /** Period; default one minute. */
  intervalMs?: number;
}

/** A running periodic reconcile. */
export interface Reconciler {
  /** Runs one pass now, without the lock. */
  runNow(): Promise<ReconcileResult>;
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

/**
 * Runs a pass at once (every worker, so a restarted fleet repairs itself
 * without waiting), then every interval in whichever worker takes the lock:
 * `SET lock NX PX 0.9·interval`, never released, so the fleet makes about one
 * pass per interval however many workers run.
 */
export function startReconciler(o: ReconcilerOptions): Reconciler {
  const intervalMs = o.intervalMs ?? 60_000;
  const token = randomBytes(8).toString("hex");
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const pass = async (locked: boolean): Promise<void> => {
    try {
      if (locked) {
        const got = await o.redis.set(reconcileLockKey(o.prefix), token, "PX", Math.max(1, Math.floor(intervalMs * 0.9)), "NX");
        if (got !== "OK") return;
      }
      const r = await reconcileForwards(o.queue, o.store, o.logger);
      o.logger.debug({ ...r }, "reconcile pass done");
    } catch (err) {
      o.logger.error({ err: (err as Error).message }, "reconcile pass failed; next pass in one interval");
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass(true).finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  running = pass(false).finally(schedule);

  return {
    runNow: () => reconcileForwards(o.queue, o.store, o.logger),
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => undefined);
    },
  };
}

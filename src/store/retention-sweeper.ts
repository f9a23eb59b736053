/**
 * The periodic retention sweep of the workers: one sweep at start and then
 * one per interval, in whichever worker process takes the lock (`SET
 * P retention:lock NX PX 0.9·interval`, never released), so the fleet makes
 * about one sweep per interval however many workers run. Two sweeps at once
 * would still be safe (the delete re-checks each record), only wasteful.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "../ra/ports.js";
import { sweepRetention, type RetentionSweepOptions, type RetentionSweepResult } from "./retention.js";

/** Period of the sweep: every ten minutes. */
export const RETENTION_INTERVAL_MS = 10 * 60_000;

/** Options of {@link startRetentionSweeper}. */
export interface RetentionSweeperOptions extends RetentionSweepOptions {
  logger: Logger;
  /** Period; default {@link RETENTION_INTERVAL_MS}. */
  intervalMs?: number;
  /** Called after each sweep this process ran (a metric hooks in here). */
  onSweep?: (result: RetentionSweepResult) => void;
}

/** A running periodic sweep. */
export interface RetentionSweeper {
  /** Runs one sweep now, without the lock. */
  runNow(): Promise<RetentionSweepResult>;
  /** Stops the timer and waits for a sweep in progress (it stops after its current batch at the latest). */
  stop(): Promise<void>;
}

/** Starts the sweep: one locked attempt at once, then one per interval. */
export function startRetentionSweeper(o: RetentionSweeperOptions): RetentionSweeper {
  const intervalMs = o.intervalMs ?? RETENTION_INTERVAL_MS;
  const token = randomBytes(8).toString("hex");
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const run = async (): Promise<RetentionSweepResult> => {
    const result = await sweepRetention({ ...o, shouldStop: () => stopped || (o.shouldStop?.() ?? false) });
    report(o.logger, result);
    o.onSweep?.(result);
    return result;
  };
  const attempt = async (): Promise<void> => {
    try {
      const got = await o.redis.set(o.keys.retentionLock(), token, "PX", Math.max(1, Math.floor(intervalMs * 0.9)), "NX");
      if (got === "OK") await run();
    } catch (err) {
      o.logger.error({ err: (err as Error).message }, "retention sweep failed; nothing was removed that was not exported first; next sweep in one interval");
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = attempt().finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  running = attempt().finally(schedule);

  return {
    runNow: run,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => undefined);
    },
  };
}

/** The sweep's counts: info when it removed anything, else debug. */
function report(logger: Logger, r: RetentionSweepResult): void {
  const fields = { removed: r.removed, byProfile: r.byProfile, changed: r.changed, batches: r.batches, trimmedAuditEntries: r.trimmed, complete: r.complete, durationMs: r.durationMs };
  if (r.removed > 0) logger.info(fields, "retention sweep removed finished transactions (exported to the audit file first)");
  else logger.debug(fields, "retention sweep: nothing due");
}

/**
 * The forward worker process (`scepgate worker`, `workers/forward.ts`): boots
 * the runtime from the configuration, starts the forward workers and the
 * retention sweep, and on SIGTERM/SIGINT stops taking jobs, lets the active
 * steps (and the sweep's current batch) finish, and exits. Run as many as
 * you like: upstream.maxConcurrent holds across all of them, and one of them
 * sweeps per interval.
 */
import { loadConfig } from "../config/index.js";
import type { HttpServer } from "../edge/index.js";
import { ScepgateMetrics } from "../observability/metrics.js";
import { retentionMetrics, startMetricsListener } from "./metrics-wiring.js";
import { createRuntime } from "./runtime.js";
import type { Logger } from "../ra/ports.js";
import { runUntilSignal } from "./lifecycle.js";
import { startWorkers, type WorkersHandle } from "./workers.js";

/** A running worker process; stop() is what SIGTERM does (without exiting). */
export interface ForwardWorkerProcess {
  stop(): Promise<void>;
}

/** Boots and runs the forward workers until SIGTERM or SIGINT; `exit: false` leaves the process alone (tests). */
export async function runForwardWorker(opts: { config?: string; exit?: boolean } = {}): Promise<ForwardWorkerProcess> {
  let logger: Logger | undefined;
  return runUntilSignal(
    async () => {
      const rt = await createRuntime(await loadConfig({ file: opts.config }), undefined, { metrics: new ScepgateMetrics() });
      logger = rt.logger;
      let workers: WorkersHandle;
      let metricsServer: HttpServer | undefined; // `workers.metricsPort`: this process's /metrics
      try {
        workers = await startWorkers(rt, retentionMetrics(rt.metrics));
      } catch (err) {
        await rt.close();
        throw err;
      }
      try {
        metricsServer = await startMetricsListener(rt);
      } catch (err) {
        await workers.close();
        await rt.close();
        throw err;
      }
      let stopping: Promise<void> | undefined;
      return {
        stop: () =>
          (stopping ??= (async () => {
            await metricsServer?.close();
            await workers.close(); // waits for active jobs: none is lost or run twice
            await rt.close();
          })()),
      };
    },
    { logger: () => logger, exit: opts.exit },
  );
}

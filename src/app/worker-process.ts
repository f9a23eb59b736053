/**
 * The forward worker process (`scepgate worker`, `workers/forward.ts`): boots
 * the runtime from the configuration, starts the forward workers, and on
 * SIGTERM/SIGINT stops taking jobs, lets the active steps finish, and exits.
 * Run as many as you like: upstream.maxConcurrent holds across all of them.
 */
import { loadConfig } from "../config/index.js";
import { createRuntime } from "./runtime.js";
import { startWorkers } from "./workers.js";

/** A running worker process; stop() is what SIGTERM does (without exiting). */
export interface ForwardWorkerProcess {
  stop(): Promise<void>;
}

/** Boots and runs the forward workers until SIGTERM or SIGINT; `exit: false` leaves the process alone (tests). */
export async function runForwardWorker(opts: { config?: string; exit?: boolean } = {}): Promise<ForwardWorkerProcess> {
  const rt = await createRuntime(await loadConfig({ file: opts.config }));
  let workers;
  try {
    workers = await startWorkers(rt);
  } catch (err) {
    await rt.close();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await workers.close(); // waits for active jobs: none is lost or run twice
      await rt.close();
    })());
  const onSignal = (signal: NodeJS.Signals): void => {
    rt.logger.info({ signal }, "stopping forward workers");
    stop().then(
      () => opts.exit !== false && process.exit(0),
      (err: unknown) => {
        rt.logger.error({ err: (err as Error).message }, "forward workers did not stop cleanly");
        if (opts.exit !== false) process.exit(1);
      },
    );
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  return { stop };
}


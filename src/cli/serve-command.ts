/** `scepgate serve`: the SCEP front and the forward workers until SIGTERM/SIGINT; `scepgate worker`: the workers alone. */
import { Command } from "commander";
import { runUntilSignal } from "../app/lifecycle.js";
import { createRuntime } from "../app/runtime.js";
import { serve } from "../app/serve.js";
import { runForwardWorker } from "../app/worker-process.js";
import { loadConfig } from "../config/index.js";
import { ScepgateMetrics } from "../observability/metrics.js";
import type { Logger } from "../ra/ports.js";
import { CONFIG_HELP } from "./command-kit.js";

interface ServeOptions {
  config?: string;
  workers: boolean;
}

async function serveCommand(opts: ServeOptions): Promise<void> {
  let logger: Logger | undefined;
  await runUntilSignal(
    async () => {
      const rt = await createRuntime(await loadConfig({ file: opts.config }), undefined, { threadedKeys: true, metrics: new ScepgateMetrics() });
      logger = rt.logger;
      try {
        return await serve(rt, { workers: opts.workers });
      } catch (err) {
        await rt.close();
        throw err;
      }
    },
    { logger: () => logger },
  );
}

/** `scepgate serve`; its action resolves once listening, and the process then runs until a signal. */
export function serveCommandSpec(): Command {
  return new Command("serve")
    .description("run the SCEP front (and the workers unless --no-workers)")
    .option("-c, --config <file>", CONFIG_HELP)
    .option("--no-workers", "run the HTTP front only")
    .action((opts: ServeOptions) => serveCommand(opts));
}

/** `scepgate worker`: forward workers only (scale out: run many against the same Redis). */
export function workerCommandSpec(): Command {
  return new Command("worker")
    .description("run the forward workers only (any number of them may share one Redis)")
    .option("-c, --config <file>", CONFIG_HELP)
    .action(async (opts: { config?: string }) => {
      await runForwardWorker({ config: opts.config });
    });
}

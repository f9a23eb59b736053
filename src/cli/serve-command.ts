/** `scepgate serve`: the SCEP front and the forward workers until SIGTERM/SIGINT; `scepgate worker`: the workers alone. */
import { Command } from "commander";
import { createRuntime } from "../app/runtime.js";
import { serve } from "../app/serve.js";
import { runForwardWorker } from "../app/worker-process.js";
import { loadConfig } from "../config/index.js";
import { CONFIG_HELP } from "./command-kit.js";
import { errorText } from "./exit.js";

interface ServeOptions {
  config?: string;
  workers: boolean;
}

async function serveCommand(opts: ServeOptions): Promise<void> {
  const loaded = await loadConfig({ file: opts.config });
  const rt = await createRuntime(loaded);
  const serving = await serve(rt, { workers: opts.workers });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    rt.logger.info({ signal }, "stopping");
    serving.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(errorText(err, Boolean(process.env["SCEPGATE_DEBUG"])));
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
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

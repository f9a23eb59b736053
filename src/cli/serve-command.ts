/**
 * `scepgate serve`: the SCEP front and the forward workers until SIGTERM/SIGINT,
 * in one process (`--processes 1`) or in N processes sharing the port under a
 * supervisor (default: one per core; app/cluster-supervisor.ts).
 * `scepgate worker`: the workers alone.
 */
import { availableParallelism } from "node:os";
import { Command, InvalidArgumentError } from "commander";
import { isServeChild, reportReady, roleFromSupervisor, stopWhenOrphaned } from "../app/cluster-child.js";
import type { ChildRole } from "../app/cluster-supervisor.js";
import { runUntilSignal } from "../app/lifecycle.js";
import { loadConfig, type LoadedConfig } from "../config/index.js";
import { createLogger } from "../observability/logger.js";
import type { Logger } from "../ra/ports.js";
import { CONFIG_HELP } from "./command-kit.js";

interface ServeOptions {
  config?: string;
  workers: boolean;
  processes?: number;
}

/** How one serve process runs: its workers and key threads (a supervised child gets them from its role). */
interface ProcessShape {
  workers: boolean;
  /** Private-key operations on worker threads (false: on the event loop, when the processes already fill the cores). */
  threadedKeys: boolean;
  onListening?: (url: string) => void;
  /** A supervised child: `/metrics` answers with the whole cluster's metrics. */
  clusterChild?: boolean;
}

async function serveCommand(opts: ServeOptions): Promise<void> {
  if (isServeChild()) return serveChild(opts);
  const loaded = await loadConfig({ file: opts.config });
  const processes = opts.processes ?? loaded.config.listen.processes ?? availableParallelism();
  if (processes === 1) return serveOneProcess(loaded, { workers: opts.workers, threadedKeys: true });
  return supervise(loaded, processes, opts.workers);
}

/** One serve process: the whole front (and, unless told otherwise, the workers). */
async function serveOneProcess(loaded: LoadedConfig, shape: ProcessShape): Promise<void> {
  // Loaded here, not at the top: the supervisor never needs the front's modules.
  const [{ createRuntime }, { serve }, { ScepgateMetrics, answerClusterScrapes }, { clusterMetricsText }] = await Promise.all([
    import("../app/runtime.js"),
    import("../app/serve.js"),
    import("../observability/metrics.js"),
    import("../app/cluster-child.js"),
  ]);
  let logger: Logger | undefined;
  await runUntilSignal(
    async () => {
      const metrics = new ScepgateMetrics();
      if (shape.clusterChild) answerClusterScrapes(metrics);
      const rt = await createRuntime(loaded, undefined, { threadedKeys: shape.threadedKeys, metrics });
      logger = rt.logger;
      try {
        const serving = await serve(rt, { workers: shape.workers, metricsText: shape.clusterChild ? clusterMetricsText : undefined });
        shape.onListening?.(serving.url);
        return serving;
      } catch (err) {
        await rt.close();
        throw err;
      }
    },
    { logger: () => logger },
  );
}

/** A process forked by the supervisor: its role first, then one serve process of that shape. */
async function serveChild(opts: ServeOptions): Promise<void> {
  const role: ChildRole = await roleFromSupervisor();
  const loaded = await loadConfig({ file: opts.config });
  // The supervisor passes SIGHUP on to every child; without a listener it would end the process.
  process.on("SIGHUP", () => undefined);
  stopWhenOrphaned(() => process.kill(process.pid, "SIGTERM"));
  await serveOneProcess(loaded, { workers: role.workers, threadedKeys: role.keyThreads > 0, onListening: reportReady, clusterChild: true });
}

async function supervise(loaded: LoadedConfig, processes: number, workers: boolean): Promise<void> {
  const { config } = loaded;
  const [{ startSupervisor }, { ensurePrivateRedis }] = await Promise.all([import("../app/cluster-supervisor.js"), import("../store/redis-child.js")]);
  const logger = createLogger({ level: config.log.level, format: config.log.format, name: "scepgate-supervisor" });
  await runUntilSignal(
    () =>
      startSupervisor({
        processes,
        workers,
        cores: availableParallelism(),
        logger,
        privateRedis: config.redis.url || config.redis.sentinel ? undefined : () => ensurePrivateRedis(config.dataDir),
      }),
    { logger: () => logger },
  );
}

function processCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 1 || n > 1024) throw new InvalidArgumentError("expected a whole number from 1 to 1024");
  return n;
}

/** `scepgate serve`; its action resolves once listening, and the process then runs until a signal. */
export function serveCommandSpec(): Command {
  return new Command("serve")
    .description("run the SCEP front (and the workers unless --no-workers)")
    .option("-c, --config <file>", CONFIG_HELP)
    .option("--no-workers", "run the HTTP front only")
    .option("--processes <n>", "serve processes sharing the port (default: listen.processes, else one per core; 1: a single process)", processCount)
    .action((opts: ServeOptions) => serveCommand(opts));
}

/** `scepgate worker`: forward workers only (scale out: run many against the same Redis). */
export function workerCommandSpec(): Command {
  return new Command("worker")
    .description("run the forward workers only (any number of them may share one Redis)")
    .option("-c, --config <file>", CONFIG_HELP)
    .action(async (opts: { config?: string }) => {
      const { runForwardWorker } = await import("../app/worker-process.js");
      await runForwardWorker({ config: opts.config });
    });
}

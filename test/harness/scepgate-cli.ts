/**
 * The rest of the `scepgate` command line around a running instance (see
 * scepgate.ts for `serve`): one-shot commands against its configuration
 * (`requests …`, `otp issue`, `ra init`) and `scepgate worker` processes that
 * share its configuration file, Redis and data directory (the front +
 * workers topology of deploy/).
 */
import { childEnv, SCEPGATE_BIN, type Scepgate } from "./scepgate.js";
import { run, startProcess, type ManagedProcess, type RunResult } from "./process.js";

/** What a command needs of an instance: its config file and working directory. */
export type ConfigHolder = Pick<Scepgate, "configFile" | "dir">;

/** Options of {@link scepgateCli}. */
export interface CliOptions {
  /** Kill it after this long; default 30 s (a command that hangs is a bug the caller sees as code 124). */
  timeoutMs?: number;
  /** Extra environment. */
  env?: Record<string, string>;
}

/**
 * Runs `node bin/scepgate.js ARGS --config FILE` to completion in the
 * instance's directory (so `requests`, `otp` and `ra init` see the same Redis,
 * key prefix and data as `serve`). Never rejects.
 */
export function scepgateCli(gate: ConfigHolder, args: readonly string[], opts: CliOptions = {}): Promise<RunResult> {
  if (gate.configFile === undefined) throw new Error("scepgateCli: the instance has no config file (noConfig)");
  return run(process.execPath, [SCEPGATE_BIN, ...args, "--config", gate.configFile], {
    cwd: gate.dir,
    env: childEnv(opts.env),
    timeoutMs: opts.timeoutMs ?? 30_000,
  });
}

/** Options of {@link startScepgateWorker}. */
export interface ScepgateWorkerOptions {
  /** Label for logs and errors; default `scepgate-worker`. */
  name?: string;
  /** Wait this long for "forward workers started"; default 30 s. */
  bootTimeoutMs?: number;
  /** Echo its output to stderr (debugging). */
  echo?: boolean;
}

/** Pino's line once a worker process takes jobs (src/queue/forward-worker.ts). */
const WORKERS_STARTED = /"msg":"forward workers started"/;

/**
 * Starts `node bin/scepgate.js worker --config FILE` on the instance's
 * configuration and resolves once it takes jobs. Registered for cleanup like
 * every harness process; `kill()` is a SIGKILL to its process group (a
 * crash), `stop()` a SIGTERM (a graceful close).
 */
export async function startScepgateWorker(gate: ConfigHolder, opts: ScepgateWorkerOptions = {}): Promise<ManagedProcess> {
  if (gate.configFile === undefined) throw new Error("startScepgateWorker: the instance has no config file (noConfig)");
  const proc = startProcess(process.execPath, [SCEPGATE_BIN, "worker", "--config", gate.configFile], {
    cwd: gate.dir,
    env: childEnv(),
    name: opts.name ?? "scepgate-worker",
    echo: opts.echo ?? false,
  });
  try {
    await proc.waitForOutput(WORKERS_STARTED, opts.bootTimeoutMs ?? 30_000);
  } catch (err) {
    await proc.kill();
    throw err;
  }
  return proc;
}

/** The last lines of a process's output, for assertion messages. */
export function tail(text: string, lines = 40): string {
  return text.split("\n").slice(-lines).join("\n");
}

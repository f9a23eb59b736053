/**
 * The `scepgate` command line (commander). Every command takes --config FILE;
 * without it ./scepgate.yaml is used when present, else the zero-config
 * development setup.
 */
import "reflect-metadata";
import { Command } from "commander";
import { loadConfig } from "../config/index.js";
import { createRuntime } from "../app/runtime.js";
import { serve } from "../app/serve.js";

function fail(err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`scepgate: ${message.split("\n")[0]}\n`);
  if (process.env.SCEPGATE_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + "\n");
  process.exit(1);
}

async function serveCommand(opts: { config?: string; workers: boolean }): Promise<void> {
  const loaded = await loadConfig({ file: opts.config });
  const rt = await createRuntime(loaded);
  const serving = await serve(rt);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    rt.logger.info({ signal }, "stopping");
    serving.stop().then(
      () => process.exit(0),
      (err) => fail(err),
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

export function createCli(): Command {
  const program = new Command("scepgate")
    .description("SCEP registration authority proxy (RFC 8894)")
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) });
  program
    .command("serve")
    .description("run the SCEP front (and the workers unless --no-workers)")
    .option("-c, --config <file>", "configuration file (default ./scepgate.yaml when present, else development defaults)")
    .option("--no-workers", "run the HTTP front only")
    .action((opts: { config?: string; workers: boolean }) => serveCommand(opts));
  return program;
}

createCli().parseAsync(process.argv).catch(fail);
